//! How many round trips to PostgreSQL a webhook costs, counted with diesel's
//! instrumentation on every connection of the store: each statement sent is
//! one round trip, and preparing a statement (once per connection) one more.
//! A statement with parameters that diesel does not keep prepared (a
//! `sql_query`) is prepared on every run, which costs a second round trip
//! that no event announces: the test refuses those on the webhook's path.
//!
//! Alone in its test binary: the count is process-wide.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use chrono::Utc;
use diesel::connection::{set_default_instrumentation, Instrumentation, InstrumentationEvent};
use diun_core::{Notification, Store, StoreOptions};
use diun_store_pg::testing::TestDatabase;
use diun_store_pg::PgStore;

static ROUND_TRIPS: AtomicUsize = AtomicUsize::new(0);
/// Statements with parameters sent, by their SQL.
static SENT: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// Statements that diesel prepared and keeps, by their SQL.
static KEPT_PREPARED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

struct CountRoundTrips;

impl Instrumentation for CountRoundTrips {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                ROUND_TRIPS.fetch_add(1, Ordering::SeqCst);
                // Shown as "SQL -- binds: [..]" when it has parameters.
                if let Some((sql, _)) = query.to_string().split_once(" -- binds: ") {
                    SENT.lock().unwrap().push(sql.trim().to_owned());
                }
            }
            InstrumentationEvent::CacheQuery { sql, .. } => {
                ROUND_TRIPS.fetch_add(1, Ordering::SeqCst);
                KEPT_PREPARED.lock().unwrap().get_or_insert_with(HashSet::new).insert(sql.trim().to_owned());
            }
            _ => {}
        }
    }
}

/// Fails on a statement sent since the last call that diesel did not keep prepared.
fn all_sent_were_kept_prepared() {
    let sent = std::mem::take(&mut *SENT.lock().unwrap());
    let kept = KEPT_PREPARED.lock().unwrap();
    for sql in sent {
        assert!(
            kept.as_ref().is_some_and(|kept| kept.contains(&sql)),
            "prepared anew on every run (two round trips, not one): {sql}"
        );
    }
}

fn notification(image: &str, digest: u32) -> Notification {
    let body = format!(r#"{{"hostname": "rt", "image": "{image}", "digest": "sha256:{digest:064}"}}"#);
    Notification::from_json(body.as_bytes()).unwrap()
}

/// Round trips of `record_notification` per webhook, sent one after the other.
fn per_webhook(store: &PgStore, images: impl Iterator<Item = String>, digest: u32) -> f64 {
    let before = ROUND_TRIPS.load(Ordering::SeqCst);
    let mut webhooks = 0;
    for image in images {
        store.record_notification(&notification(&image, digest), Utc::now()).unwrap();
        webhooks += 1;
    }
    (ROUND_TRIPS.load(Ordering::SeqCst) - before) as f64 / f64::from(webhooks)
}

#[test]
fn a_webhook_alone_costs_five_round_trips() {
    set_default_instrumentation(|| Some(Box::new(CountRoundTrips))).unwrap();
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    // A store of its own, whose connections all carry the count.
    let store = PgStore::open(db.url(), &StoreOptions::default()).unwrap();
    // Warm up: connections made and statements prepared, on both writer
    // connections, and the mute rules read.
    per_webhook(&store, (0..4).map(|i| format!("warm-{i}")), 1);
    per_webhook(&store, (0..4).map(|i| format!("warm-{i}")), 2);

    SENT.lock().unwrap().clear();
    let new_images = per_webhook(&store, (0..20).map(|i| format!("new-{i}")), 1);
    let new_digest = per_webhook(&store, (0..20).map(|i| format!("new-{i}")), 2);
    let same_digest = per_webhook(&store, (0..20).map(|i| format!("new-{i}")), 2);
    println!(
        "round trips per webhook: new image {new_images}, stored image with a new digest {new_digest}, \
         the same digest again {same_digest}"
    );
    // BEGIN, the revision (with the count of mute rule changes), the one
    // statement that locks, upserts, appends the event and reads the update
    // back, the change feed's NOTIFY, COMMIT; no test query before them, and
    // no query for the mute rules while they are unchanged.
    assert_eq!(new_images, 5.0);
    assert_eq!(new_digest, 5.0);
    assert_eq!(same_digest, 5.0);
    all_sent_were_kept_prepared();

    // After a change of the rules, the first webhook reads them (once per
    // writer connection's statement cache: the query is prepared too).
    store.create_mute_rule(&diun_core::NewMuteRule::new("muted-*", None, None, "").unwrap(), Utc::now()).unwrap();
    SENT.lock().unwrap().clear();
    let after_rule_change = per_webhook(&store, std::iter::once("muted-1".to_owned()), 1);
    let next = per_webhook(&store, std::iter::once("muted-2".to_owned()), 1);
    println!("round trips after a rule change: {after_rule_change}, then {next}");
    assert!(after_rule_change > 5.0 && after_rule_change <= 7.0, "{after_rule_change}");
    assert_eq!(next, 5.0);

    // Committed together (as concurrent webhooks are): one statement for
    // all of them, the NOTIFY of every change included.
    let batch: Vec<_> = (0..20).map(|i| (notification(&format!("batch-{i}"), 1), Utc::now())).collect();
    let before = ROUND_TRIPS.load(Ordering::SeqCst);
    store.record_notifications(&batch).unwrap();
    let together = ROUND_TRIPS.load(Ordering::SeqCst) - before;
    println!("round trips for 20 webhooks committed together: {together}");
    assert_eq!(together, 5);
    all_sent_were_kept_prepared();

    // A batch that names an update twice: one statement cannot change a row
    // twice, so the second mention starts a second statement.
    let twice: Vec<_> = ["batch-0", "batch-1", "batch-0", "batch-2"]
        .iter()
        .zip([3, 3, 4, 3])
        .map(|(image, digest)| (notification(image, digest), Utc::now()))
        .collect();
    let before = ROUND_TRIPS.load(Ordering::SeqCst);
    let updates = store.record_notifications(&twice).unwrap();
    let together = ROUND_TRIPS.load(Ordering::SeqCst) - before;
    println!("round trips for a batch naming an update twice: {together}");
    assert_eq!(together, 6);
    assert_eq!(updates[0].id, updates[2].id);
    // Both notifications counted (one before the batch), each answered as the update stands after it.
    assert_eq!((updates[0].event_count, updates[2].event_count), (3, 3));
    assert_eq!(updates[0].digest, format!("sha256:{:064}", 4));
    all_sent_were_kept_prepared();
}
