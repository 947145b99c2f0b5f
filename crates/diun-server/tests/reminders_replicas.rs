//! Replicas sharing one PostgreSQL database send one reminder per slot, not
//! one each: two stores opened on the database (as two replicas open it) run
//! the same slot at the same moment, and the capture server gets one digest.
//!
//! Needs `DIUN_DASHBOARD_TEST_POSTGRES_URL`; see `diun_store_pg::testing`.
#![cfg(feature = "postgres")]

mod common;
mod server;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use chrono::{Timelike, Utc};
use common::capture::CaptureServer;
use diun_core::{Notification, Store, StoreOptions};
use diun_server::links::DashboardLinks;
use diun_server::reminders::run::run_slot;
use diun_server::reminders::{Reminders, RetryPolicy, Schedule, SlotOutcome, Target};
use diun_store_pg::testing::TestDatabase;
use diun_store_pg::PgStore;

#[test]
fn two_replicas_send_one_digest_per_slot() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let body = br#"{"hostname":"nas","image":"nginx:1.27","digest":"sha256:1"}"#;
    db.store()
        .record_notification(&Notification::from_json(body).unwrap(), Utc::now() - chrono::Duration::days(8))
        .unwrap();
    let replicas: Vec<Arc<dyn Store>> = (0..2)
        .map(|_| Arc::new(PgStore::open(db.url(), &StoreOptions::default()).unwrap()) as Arc<dyn Store>)
        .collect();
    let server = CaptureServer::start();
    let reminders = Reminders {
        schedule: Some(Schedule::parse("daily 09:00", "Europe/Paris").unwrap()),
        after_days: 7,
        targets: vec![Target::parse(&format!("webhook+{}/hook", server.url)).unwrap()],
        links: DashboardLinks::default(),
        retry: RetryPolicy { attempts: 1, first_backoff: Duration::from_millis(10) },
    };
    let schedule = reminders.schedule.clone().unwrap();
    let mut slot = schedule.latest_at_or_before(Utc::now());
    for round in 1..=3 {
        let barrier = Arc::new(Barrier::new(replicas.len()));
        let outcomes: Vec<SlotOutcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = replicas
                .iter()
                .map(|store| {
                    let (barrier, reminders) = (Arc::clone(&barrier), &reminders);
                    scope.spawn(move || {
                        barrier.wait();
                        run_slot(store.as_ref(), reminders, slot, Utc::now()).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let sent = outcomes.iter().filter(|o| matches!(o, SlotOutcome::Sent(_))).count();
        let elsewhere = outcomes.iter().filter(|o| matches!(o, SlotOutcome::ClaimedElsewhere)).count();
        assert_eq!((sent, elsewhere), (1, 1), "round {round}: {outcomes:?}");
        assert_eq!(server.wait_for(round).len(), round, "one digest per slot");
        slot = schedule.next_after(slot);
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(server.requests().len(), 3, "no late duplicate");
    assert!(server.requests().iter().all(|r| r.json()["total"] == 1));
}

/// The real thing: two server processes on one database, with a schedule
/// whose slot is the coming minute; the capture server gets one digest.
/// Takes up to a minute, waiting for the slot.
#[test]
fn two_servers_send_one_scheduled_digest() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let body = br#"{"hostname":"nas","image":"nginx:1.27","digest":"sha256:1"}"#;
    db.store()
        .record_notification(&Notification::from_json(body).unwrap(), Utc::now() - chrono::Duration::days(8))
        .unwrap();
    let hook = CaptureServer::start();
    // The next whole minute in Paris time, with at least 10 s to start both servers.
    let zone: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
    let slot = (Utc::now() + chrono::Duration::seconds(70)).with_second(0).unwrap().with_nanosecond(0).unwrap();
    let schedule = format!("daily {}", slot.with_timezone(&zone).format("%H:%M"));
    let targets = format!("webhook+{}/hook", hook.url);
    let vars = [
        ("DIUN_DASHBOARD_REMINDER_SCHEDULE", schedule.as_str()),
        ("DIUN_DASHBOARD_REMINDER_TIMEZONE", "Europe/Paris"),
        ("DIUN_DASHBOARD_REMINDER_AFTER_DAYS", "7"),
        ("DIUN_DASHBOARD_REMINDER_TARGETS", targets.as_str()),
    ];
    let (a, b) = (server::Server::start(db.url(), &vars), server::Server::start(db.url(), &vars));
    let wait = (slot - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(10);
    std::thread::sleep(wait);
    let requests = hook.requests();
    assert_eq!(requests.len(), 1, "one digest for two replicas ({schedule})");
    assert_eq!(requests[0].json()["updates"][0]["image"], "nginx:1.27");
    // Both replicas counted the slot: one sent it, the other saw it claimed.
    let outcomes: Vec<String> = [&a, &b]
        .iter()
        .map(|server| {
            let response = ureq::get(&server.url("/metrics")).call().unwrap().into_string().unwrap();
            response
                .lines()
                .filter(|l| l.starts_with("diun_dashboard_reminder_runs_total"))
                .map(str::to_owned)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let joined = outcomes.join(" | ");
    assert!(joined.contains("outcome=\"sent\"} 1") && joined.contains("outcome=\"other_replica\"} 1"), "{joined}");
}
