//! Optional removal of updates acknowledged long ago.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diun_core::{Store, StoreResult};

/// Removes updates acknowledged more than `days` before `now`; logs and returns how many.
pub fn run_once(store: &dyn Store, days: u32, now: DateTime<Utc>) -> StoreResult<u64> {
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let removed = store.delete_acknowledged_before(cutoff)?;
    log::info!("retention: removed {removed} update(s) acknowledged before {}", cutoff.to_rfc3339());
    Ok(removed)
}

/// Runs [`run_once`] now and then every `interval`, on a thread of its own,
/// for as long as the process lives. A failed run is logged and retried at
/// the next interval.
pub fn spawn(store: Arc<dyn Store>, days: u32, interval: Duration) {
    std::thread::Builder::new()
        .name("retention".into())
        .spawn(move || loop {
            if let Err(err) = run_once(store.as_ref(), days, Utc::now()) {
                log::warn!("retention: {err}");
            }
            std::thread::sleep(interval);
        })
        .expect("the retention thread starts");
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use diun_core::{Notification, StoreOptions, UpdateFilter};
    use diun_store_sqlite::SqliteStore;

    use super::*;

    #[test]
    fn removes_only_updates_acknowledged_before_the_cutoff() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("r.db").to_str().unwrap(), &StoreOptions::default()).unwrap();
        let now = Utc::now();
        let mut ids = Vec::new();
        for (image, acknowledged_days_ago) in [("old", Some(10)), ("recent", Some(3)), ("pending", None)] {
            let body = format!(r#"{{"hostname":"nas","image":"{image}","digest":"sha256:1"}}"#);
            let update = store.record_notification(&Notification::from_json(body.as_bytes()).unwrap(), now).unwrap();
            if let Some(days) = acknowledged_days_ago {
                store.set_acknowledged(update.id, true, now - chrono::Duration::days(days)).unwrap();
            }
            ids.push(update.id);
        }
        assert_eq!(run_once(&store, 7, now).unwrap(), 1);
        let left: Vec<String> = diun_core::page::all_updates(&store, &UpdateFilter::default())
            .unwrap()
            .into_iter()
            .map(|u| u.image)
            .collect();
        assert_eq!(left.len(), 2);
        assert!(!left.contains(&"old".to_owned()));
    }
}
