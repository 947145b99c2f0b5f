//! The snooze waker: snoozed updates come back by themselves when their time comes.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use diun_core::Store;

/// How often due snoozes end: a snoozed update is back within this long of its time.
pub const WAKE_INTERVAL: Duration = Duration::from_secs(15);

/// Ends the snoozes due now, then every `interval`, on a thread of its own,
/// for as long as the process lives. A failed run is logged and retried at
/// the next interval. With several replicas on one database each runs it:
/// the first to commit ends a snooze, the others find nothing due.
pub fn spawn(store: Arc<dyn Store>, interval: Duration) {
    std::thread::Builder::new()
        .name("snooze-waker".into())
        .spawn(move || loop {
            match store.wake_snoozed(Utc::now()) {
                Ok(0) => {}
                Ok(woken) => log::info!("snooze: {woken} snoozed update(s) came back"),
                Err(err) => log::warn!("snooze: {err}"),
            }
            std::thread::sleep(interval);
        })
        .expect("the snooze waker thread starts");
}
