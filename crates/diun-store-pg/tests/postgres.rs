//! What only PostgreSQL needs checking: migrations in both directions,
//! replicas starting together, the server going away and coming back, and
//! text that PostgreSQL cannot hold.
//!
//! Needs `DIUN_DASHBOARD_TEST_POSTGRES_URL`; see `diun_store_pg::testing`.

use std::net::TcpListener;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use diun_core::{Change, Notification, Store, StoreError, StoreOptions, TagName, UpdateFilter};
use diun_store_pg::testing::{TcpProxy, TestDatabase};
use diun_store_pg::PgStore;

fn notification(host: &str, image: &str) -> Notification {
    Notification::builder(image).hostname(host).digest("sha256:1").build().unwrap()
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap()
}

#[test]
fn down_migrations_undo_up_migrations() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    db.store().record_notification(&notification("nas", "a"), now()).unwrap();
    db.revert_migrations().unwrap();
    // Every table is gone with its data: the operations fail, not answer empty.
    assert!(diun_core::page::all_updates(db.store(), &UpdateFilter::default()).is_err());
    let store = PgStore::open(db.url(), &StoreOptions::default()).unwrap();
    assert!(diun_core::page::all_updates(&store, &UpdateFilter::default()).unwrap().is_empty());
    store.record_notification(&notification("nas", "a"), now()).unwrap();
}

#[test]
fn replicas_opening_an_empty_database_together_all_succeed() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    db.revert_migrations().unwrap();
    let stores: Vec<PgStore> = std::thread::scope(|scope| {
        let opening: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| PgStore::open(db.url(), &StoreOptions::default()).expect("open a replica")))
            .collect();
        opening.into_iter().map(|replica| replica.join().unwrap()).collect()
    });
    let first = stores[0].record_notification(&notification("nas", "a"), now()).unwrap();
    for store in &stores {
        assert_eq!(store.get_update(first.id).unwrap(), first);
    }
}

#[test]
fn text_postgresql_cannot_hold_matches_nothing() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let store = db.store();
    store.record_notification(&notification("nas", "a"), now()).unwrap();
    let tag = store.create_tag(&TagName::parse("media").unwrap(), now()).unwrap();
    for filter in [
        UpdateFilter { host: Some("n\0as".into()), ..UpdateFilter::default() },
        UpdateFilter { query: Some("\0".into()), ..UpdateFilter::default() },
    ] {
        assert!(diun_core::page::all_updates(store, &filter).unwrap().is_empty(), "{filter:?}");
    }
    assert!(!store.unassign_tag("a\0").unwrap());
    assert!(matches!(store.assign_tag("a\0", tag.id), Err(StoreError::Invalid(_))));
    assert!(matches!(store.assign_tag("a\0", tag.id + 1), Err(StoreError::NotFound(_))));
}

#[test]
fn backslash_in_a_query_is_literal() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let store = db.store();
    let odd = store.record_notification(&notification("nas", r"reg\istry/a"), now()).unwrap();
    store.record_notification(&notification("nas", "registry/a"), now()).unwrap();
    let found =
        diun_core::page::all_updates(store, &UpdateFilter { query: Some(r"G\I".into()), ..UpdateFilter::default() })
            .unwrap();
    assert_eq!(found.into_iter().map(|u| u.id).collect::<Vec<_>>(), [odd.id]);
}

#[test]
fn tags_sort_by_code_point_whatever_the_locale() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let store = db.store();
    for name in ["ab", "a-c", "a b", "Zulu", "été"] {
        store.create_tag(&TagName::parse(name).unwrap(), now()).unwrap();
    }
    let names: Vec<String> = store.list_tags().unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["a b", "a-c", "ab", "Zulu", "été"]);
}

/// Operations fail as unavailable within the connection timeout while the
/// server cannot be reached, and work again by themselves once it can.
#[test]
fn an_unreachable_server_is_unavailable_then_recovers() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let mut proxy = TcpProxy::to_server_of(db.url());
    let options = StoreOptions { connection_timeout: Duration::from_secs(1), pool_size: 2, ..StoreOptions::default() };
    let store = PgStore::open(&proxy.url(db.url()), &options).unwrap();
    store.record_notification(&notification("nas", "a"), now()).unwrap();

    proxy.stop();
    for attempt in 0..3 {
        let started = Instant::now();
        let result = diun_core::page::all_updates(&store, &UpdateFilter::default());
        assert!(matches!(result, Err(StoreError::Unavailable(_))), "attempt {attempt}: {result:?}");
        assert!(started.elapsed() < Duration::from_secs(4), "attempt {attempt} took {:?}", started.elapsed());
    }
    assert!(matches!(store.record_notification(&notification("nas", "b"), now()), Err(StoreError::Unavailable(_))));

    proxy.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    let updates = loop {
        match diun_core::page::all_updates(&store, &UpdateFilter::default()) {
            Ok(updates) => break updates,
            Err(StoreError::Unavailable(_)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100))
            }
            Err(err) => panic!("the store did not recover: {err}"),
        }
    };
    assert_eq!(updates.len(), 1);
    store.ping().unwrap();
}

/// Needs no server: opening against a closed port fails at once, as unavailable.
#[test]
fn opening_an_unreachable_server_is_unavailable() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let result = PgStore::open(&format!("postgres://postgres@127.0.0.1:{port}/diun"), &StoreOptions::default());
    assert!(matches!(result, Err(StoreError::Unavailable(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

/// The change feed reconnects by itself after an outage, says that it may
/// have missed changes, and carries the changes made after it.
#[test]
fn the_change_feed_survives_an_outage() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let mut proxy = TcpProxy::to_server_of(db.url());
    let options = StoreOptions { connection_timeout: Duration::from_secs(1), pool_size: 2, ..StoreOptions::default() };
    let store = PgStore::open(&proxy.url(db.url()), &options).unwrap();
    let feed = store.subscribe().unwrap();
    feed.wait_connected(Duration::from_secs(5)).unwrap();
    let first = store.record_notification(&notification("nas", "a"), now()).unwrap();
    assert_eq!(feed.recv_timeout(Duration::from_secs(5)), Ok(Change::UpdateCreated { id: first.id }));

    proxy.stop();
    // A change the feed cannot hear: made directly, while the proxy is down.
    let missed = db.store().record_notification(&notification("nas", "b"), now()).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    proxy.restart();
    assert_eq!(feed.recv_timeout(Duration::from_secs(20)), Ok(Change::Resync));
    db.store().set_acknowledged(missed.id, true, now()).unwrap();
    assert_eq!(feed.recv_timeout(Duration::from_secs(5)), Ok(Change::UpdatesAcknowledged { ids: vec![missed.id] }));
}

/// Subscribing never waits for the database: without a listening
/// connection the subscription is made at once, says why it is not
/// connected, and gets `Resync` when the database comes back.
#[test]
fn subscribing_to_an_unreachable_server_returns_at_once_and_resyncs_later() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let mut proxy = TcpProxy::to_server_of(db.url());
    let options = StoreOptions { connection_timeout: Duration::from_secs(1), ..StoreOptions::default() };
    let store = PgStore::open(&proxy.url(db.url()), &options).unwrap();
    proxy.stop();
    let started = Instant::now();
    let feed = store.subscribe().unwrap();
    assert!(started.elapsed() < Duration::from_millis(200), "subscribe took {:?}", started.elapsed());
    let waited = feed.wait_connected(Duration::from_millis(1500));
    assert!(matches!(waited, Err(StoreError::Unavailable(_))), "{waited:?}");

    proxy.restart();
    assert_eq!(feed.recv_timeout(Duration::from_secs(20)), Ok(Change::Resync));
    assert!(feed.is_connected());
    let id = db.store().record_notification(&notification("nas", "a"), now()).unwrap().id;
    assert_eq!(feed.recv_timeout(Duration::from_secs(5)), Ok(Change::UpdateCreated { id }));
}

/// The listening connection and its thread end with the last clone of the
/// store, which closes its subscriptions.
#[test]
fn the_change_feed_ends_with_the_last_store() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let store = PgStore::open(db.url(), &StoreOptions::default()).unwrap();
    let clone = store.clone();
    let feed = store.subscribe().unwrap();
    feed.wait_connected(Duration::from_secs(5)).unwrap();
    drop(store);
    let id = clone.record_notification(&notification("nas", "a"), now()).unwrap().id;
    assert_eq!(feed.recv_timeout(Duration::from_secs(5)), Ok(Change::UpdateCreated { id }));
    drop(clone);
    assert_eq!(feed.recv_timeout(Duration::from_secs(5)), Err(RecvTimeoutError::Disconnected));
}

/// A mute rule made while a notification for an image it covers is being
/// recorded covers that notification, whichever of the two commits first:
/// either the notification reads the rule, or the rule's scan of open
/// updates finds the notification's update.
#[test]
fn a_rule_made_during_a_notification_covers_it() {
    use diesel::{Connection, PgConnection, RunQueryDsl};

    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let store = db.store();
    // The store has read the rules (none yet) and keeps them: the notification
    // below must find out that they changed.
    store.record_notification(&notification("nas", "registry.example.com/other:1"), now()).unwrap();
    // Another writer holds the revision, so that both writers below start
    // and then wait for it, side by side.
    let mut holder = PgConnection::establish(db.url()).unwrap();
    diesel::sql_query("BEGIN").execute(&mut holder).unwrap();
    diesel::sql_query("UPDATE data_revision SET revision = revision").execute(&mut holder).unwrap();
    let rule = diun_core::NewMuteRule::new("registry.example.com/app:*", None, None, "").unwrap();
    let (rule, update) = std::thread::scope(|scope| {
        let rule = scope.spawn(|| store.create_mute_rule(&rule, now()).unwrap());
        let update = scope
            .spawn(|| store.record_notification(&notification("nas", "registry.example.com/app:1"), now()).unwrap());
        let waiting = format!(
            "SELECT 1 FROM pg_stat_activity WHERE datname = '{}' AND wait_event_type = 'Lock' HAVING count(*) = 2",
            db.name()
        );
        // From a connection of its own: a transaction sees the activity as it was when it first looked.
        let mut watcher = PgConnection::establish(db.url()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while diesel::sql_query(&waiting).execute(&mut watcher).unwrap() == 0 {
            assert!(Instant::now() < deadline, "the two writers never waited for the revision");
            std::thread::sleep(Duration::from_millis(10));
        }
        diesel::sql_query("ROLLBACK").execute(&mut holder).unwrap();
        (rule.join().unwrap(), update.join().unwrap())
    });
    assert_eq!(store.get_update(update.id).unwrap().muted_by, Some(rule.id));
}

/// Each replica keeps the mute rules it read; a rule made or removed
/// elsewhere (another replica, a statement written by hand) applies to its
/// next notification all the same.
#[test]
fn rules_changed_elsewhere_apply_to_the_next_notification() {
    use diesel::{Connection, PgConnection, RunQueryDsl};

    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let here = db.store();
    let elsewhere = PgStore::open(db.url(), &StoreOptions::default()).unwrap();
    here.record_notification(&notification("nas", "app:0"), now()).unwrap();

    let rule =
        elsewhere.create_mute_rule(&diun_core::NewMuteRule::new("app:*", None, None, "").unwrap(), now()).unwrap();
    let muted = here.record_notification(&notification("nas", "app:1"), now()).unwrap();
    assert_eq!(muted.muted_by, Some(rule.id));

    elsewhere.delete_mute_rule(rule.id).unwrap();
    assert_eq!(here.record_notification(&notification("nas", "app:2"), now()).unwrap().muted_by, None);

    let mut by_hand = PgConnection::establish(db.url()).unwrap();
    diesel::sql_query("INSERT INTO mute_rules (pattern, created_at) VALUES ('app:*', now())")
        .execute(&mut by_hand)
        .unwrap();
    assert!(here.record_notification(&notification("nas", "app:3"), now()).unwrap().muted_by.is_some());
}

/// Webhooks, bulk acknowledgments and their undo, and tag moves, from two
/// replicas at once: every write transaction takes the revision row before
/// any other, so none waits on another that waits on it (PostgreSQL would
/// end one with "deadlock detected"), and the summary's counts, which
/// triggers keep, still match the rows.
#[test]
fn concurrent_writes_of_every_kind_neither_deadlock_nor_miscount() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let other = PgStore::open(db.url(), &StoreOptions::default()).unwrap();
    let images: Vec<String> = (0..12).map(|i| format!("app-{i}")).collect();
    let tags = [
        db.store().create_tag(&TagName::parse("one").unwrap(), now()).unwrap().id,
        db.store().create_tag(&TagName::parse("two").unwrap(), now()).unwrap().id,
    ];
    let at = |i: i64| now() + chrono::Duration::seconds(i);
    let other = &other;
    std::thread::scope(|scope| {
        for (replica, store) in [db.store(), other as &dyn Store].into_iter().enumerate() {
            let images = &images;
            scope.spawn(move || {
                for round in 0..25 {
                    for (i, image) in images.iter().enumerate() {
                        let digest = format!("sha256:{}", (round + i) % 3);
                        let host = if (i + replica) % 2 == 0 { "nas" } else { "pi" };
                        let n = Notification::builder(image).hostname(host).digest(&digest).build().unwrap();
                        store.record_notification(&n, at(round as i64)).expect("a webhook");
                    }
                }
            });
            scope.spawn(move || {
                for round in 0..25 {
                    store.acknowledge(&diun_core::AckSelector::All, at(round)).expect("acknowledge all");
                    store.unacknowledge(&diun_core::UnackSelector::AcknowledgedAt(at(round))).expect("undo");
                }
            });
        }
        let images = &images;
        scope.spawn(move || {
            for round in 0..25 {
                other.set_image_tags(images, Some(tags[round % 2])).expect("move the images");
            }
        });
    });
    let updates = diun_core::page::all_updates(db.store(), &UpdateFilter::default()).unwrap();
    let mut counts = diun_core::StateCounts::default();
    updates.iter().for_each(|update| counts.add(update.state()));
    let summary = db.store().summary(&UpdateFilter::default()).unwrap();
    assert_eq!(
        (summary.pending, summary.snoozed, summary.muted, summary.acknowledged),
        (counts.pending, counts.snoozed, counts.muted, counts.acknowledged)
    );
    assert_eq!(summary.total, 24);
    assert_eq!(summary.tags.iter().map(|tag| tag.pending + tag.acknowledged).sum::<i64>(), 24);
}

/// A database written before the summary's counts were kept gets them from
/// its rows when the migration that keeps them runs.
#[test]
fn the_migration_that_keeps_the_counts_starts_from_the_rows() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let store = db.store();
    let tag = store.create_tag(&TagName::parse("media").unwrap(), now()).unwrap();
    for (host, image) in [("nas", "a"), ("pi", "a"), ("nas", "b"), ("pi", "c")] {
        store.record_notification(&notification(host, image), now()).unwrap();
    }
    store.assign_tag("a", tag.id).unwrap();
    let updates = diun_core::page::all_updates(store, &UpdateFilter::default()).unwrap();
    store.set_acknowledged(updates.iter().find(|u| u.image == "b").unwrap().id, true, now()).unwrap();
    db.execute(include_str!("../../../migrations-postgres/2026-12-07-000007_summary_counts/down.sql")).unwrap();
    db.execute("DELETE FROM __diesel_schema_migrations WHERE version = '20261207000007'").unwrap();
    let reopened = PgStore::open(db.url(), &StoreOptions::default()).unwrap();
    diun_store_tests::scenarios::assert_summary_counts(&reopened, "the migration");
    assert_eq!(reopened.summary(&UpdateFilter::default()).unwrap().acknowledged, 1);
}

#[test]
fn a_notification_that_fails_fails_alone_and_the_rest_of_its_batch_is_stored() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    // A write that fails for one notification only, as a constraint might: the database refuses one image.
    db.execute(
        "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
         CREATE TRIGGER refuse_one BEFORE INSERT ON updates FOR EACH ROW
           WHEN (NEW.image LIKE '%refused%') EXECUTE FUNCTION refuse_one();",
    )
    .unwrap();
    let store = db.store();
    let revision = store.revision().unwrap();
    let batch = vec![
        (notification("nas", "nginx"), now()),
        (notification("nas", "refused"), now()),
        (notification("pi", "nginx"), now()),
    ];

    let results = store.record_each(batch);

    assert_eq!(results.len(), 3);
    let (nas, pi) = (results[0].as_ref().unwrap(), results[2].as_ref().unwrap());
    assert_eq!((nas.hostname.as_str(), pi.hostname.as_str()), ("nas", "pi"));
    assert!(matches!(&results[1], Err(err) if err.to_string().contains("refused by the test")), "{:?}", results[1]);
    let stored = diun_core::page::all_updates(store, &UpdateFilter::default()).unwrap();
    let mut images: Vec<_> = stored.iter().map(|u| (u.hostname.as_str(), u.image.as_str())).collect();
    images.sort();
    assert_eq!(images, [("nas", nas.image.as_str()), ("pi", pi.image.as_str())]);
    assert!(store.revision().unwrap() > revision);
    assert!(store.record_each(Vec::new()).is_empty());
}
