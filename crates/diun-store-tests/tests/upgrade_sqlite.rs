//! A SQLite file written before the summary's counts were kept gets them
//! from its rows when the migration that keeps them runs.

use chrono::{TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use diun_core::{Notification, Store, StoreOptions, TagName, UpdateFilter};
use diun_store_sqlite::SqliteStore;

#[test]
fn the_migration_that_keeps_the_counts_starts_from_the_rows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("upgrade.db");
    let url = format!("sqlite://{}", path.display());
    let now = Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap();
    {
        let store = SqliteStore::open(&url, &StoreOptions::default()).expect("open");
        let tag = store.create_tag(&TagName::parse("media").unwrap(), now).unwrap();
        for (host, image) in [("nas", "a"), ("pi", "a"), ("nas", "b"), ("pi", "c")] {
            let notification = Notification::builder(image).hostname(host).digest("sha256:1").build().unwrap();
            let update = store.record_notification(&notification, now).unwrap();
            if image == "b" {
                store.set_acknowledged(update.id, true, now).unwrap();
            }
        }
        store.assign_tag("a", tag.id).unwrap();
    }
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).expect("a connection of its own");
    conn.batch_execute(include_str!("../../../migrations-sqlite/2026-12-07-000007_summary_counts/down.sql")).unwrap();
    diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version = '20261207000007'")
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let store = SqliteStore::open(&url, &StoreOptions::default()).expect("reopen, migrating");
    diun_store_tests::scenarios::assert_summary_counts(&store, "the migration");
    let summary = store.summary(&UpdateFilter::default()).unwrap();
    assert_eq!((summary.pending, summary.acknowledged, summary.tags.len()), (3, 1, 2));
}
