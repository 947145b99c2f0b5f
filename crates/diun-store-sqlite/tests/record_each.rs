//! `Store::record_each` commits a batch together, yet a notification whose
//! statements fail fails alone: the others of its batch are stored.

use chrono::{TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diun_core::{page, Notification, Store, StoreError, StoreOptions, UpdateFilter};
use diun_store_sqlite::SqliteStore;

fn notification(host: &str, image: &str) -> Notification {
    let body = format!(r#"{{"hostname":"{host}","image":"{image}","digest":"sha256:1"}}"#);
    Notification::from_json(body.as_bytes()).unwrap()
}

#[test]
fn a_notification_that_fails_fails_alone_and_the_rest_of_its_batch_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("each.db");
    let store = SqliteStore::open(path.to_str().unwrap(), &StoreOptions::default()).unwrap();
    // A write that fails for one notification only, as a constraint or a
    // damaged page might: the database refuses one image.
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    conn.batch_execute(
        "CREATE TRIGGER refuse_one BEFORE INSERT ON updates WHEN NEW.image LIKE '%refused%'
         BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
    )
    .unwrap();
    let revision = store.revision().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
    let batch = vec![
        (notification("nas", "nginx:1"), at),
        (notification("nas", "refused:1"), at),
        (notification("pi", "nginx:1"), at),
    ];

    let results = store.record_each(batch);

    assert_eq!(results.len(), 3);
    let (nas, pi) = (results[0].as_ref().unwrap(), results[2].as_ref().unwrap());
    assert_eq!((nas.hostname.as_str(), pi.hostname.as_str()), ("nas", "pi"));
    assert!(matches!(&results[1], Err(StoreError::Backend(err)) if err.to_string().contains("refused by the test")));
    let stored: Vec<_> = page::all_updates(&store, &UpdateFilter::default()).unwrap();
    let mut images: Vec<_> = stored.iter().map(|u| (u.hostname.as_str(), u.image.as_str())).collect();
    images.sort();
    assert_eq!(images, [("nas", nas.image.as_str()), ("pi", pi.image.as_str())]);
    assert!(store.revision().unwrap() > revision);
    assert!(store.record_each(Vec::new()).is_empty());
}
