//! Webhooks wait for their commit without holding a thread.
//!
//! A notification is stored before its webhook is answered, and the
//! notifications that arrive together are committed together (one
//! transaction, one disk sync). Were each webhook to wait for its commit on a
//! thread of actix-web's blocking pool, as other store calls do, a burst of
//! webhooks would take every thread of that small pool: the next webhooks and
//! every dashboard read would wait for a thread, and no batch could hold more
//! webhooks than there are threads. Measured with 64 senders on 100,000
//! updates (SQLite, 2 cores): 2,400 webhooks/s with p99 64 ms that way, and
//! 16 concurrent dashboard reads got 116 answers a second between them.
//!
//! Here a webhook waits in a queue, asynchronously, and one thread commits
//! whatever is queued, batch after batch, through [`Store::record_each`]
//! (which stores each notification of a batch on its own terms).
//!
//! Waiting is bounded as in the stores' own group commit: a notification
//! still queued when its wait limit runs out is withdrawn, never written, and
//! its webhook is answered 503; one already taken into a batch is waited for
//! (the commit's own time is bounded by the store's timeouts), so that a
//! sender is never told "not stored" of a notification that was stored.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use actix_web::rt::time::timeout;
use chrono::{DateTime, Utc};
use diun_core::{Notification, Store, StoreResult, Update};
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::telemetry::record_store_duration;

/// The most notifications committed in one transaction.
const MAX_BATCH: usize = 256;

/// Where a queued notification stands; only the first move away from
/// `QUEUED` wins, so a notification is either committed or withdrawn.
const QUEUED: u8 = 0;
const TAKEN: u8 = 1;
const WITHDRAWN: u8 = 2;

/// The queue of webhooks waiting for a commit, and its committing thread,
/// which ends once the queue is dropped.
#[derive(Debug)]
pub struct WebhookQueue {
    sender: mpsc::Sender<Queued>,
    wait_limit: Duration,
}

/// One notification waiting for its commit.
struct Queued {
    notification: Notification,
    received_at: DateTime<Utc>,
    state: Arc<AtomicU8>,
    reply: oneshot::Sender<StoreResult<Update>>,
}

impl WebhookQueue {
    /// Starts the thread that commits into `store`. A notification waits at
    /// most `wait_limit` for a commit to take it (the store's pool timeout,
    /// like any other wait for the database).
    pub fn start(store: Arc<dyn Store>, wait_limit: Duration) -> Arc<WebhookQueue> {
        let (sender, queue) = mpsc::channel();
        let spawned =
            std::thread::Builder::new().name("webhook-writer".into()).spawn(move || commit_queued(&*store, &queue));
        if let Err(err) = spawned {
            // The queue's receiver is gone with the closure: every webhook is answered 500 and says why in the log.
            log::error!("cannot start the thread that stores webhooks: {err}");
        }
        Arc::new(WebhookQueue { sender, wait_limit })
    }

    /// Stores `notification`, received at `received_at`, in the next commit,
    /// and returns its update once that commit is done.
    pub async fn record(&self, notification: Notification, received_at: DateTime<Utc>) -> Result<Update, ApiError> {
        let state = Arc::new(AtomicU8::new(QUEUED));
        let (reply, mut answer) = oneshot::channel();
        let queued = Queued { notification, received_at, state: Arc::clone(&state), reply };
        if self.sender.send(queued).is_err() {
            log::error!("a webhook came, and the thread that stores webhooks is not running");
            return Err(ApiError::Internal);
        }
        let answer = match timeout(self.wait_limit, &mut answer).await {
            Ok(answer) => answer,
            Err(_) if withdraw(&state) => {
                return Err(ApiError::Unavailable(format!(
                    "no commit took the notification within {:?}",
                    self.wait_limit
                )))
            }
            // Taken into a batch being committed: its result is coming.
            Err(_) => answer.await,
        };
        // A dropped reply means the commit panicked; the store rolled back what it had begun.
        answer.map_err(|_| ApiError::Internal)?.map_err(ApiError::from)
    }
}

/// Marks a queued notification withdrawn; false when a commit took it first.
fn withdraw(state: &AtomicU8) -> bool {
    state.compare_exchange(QUEUED, WITHDRAWN, Ordering::AcqRel, Ordering::Acquire).is_ok()
}

/// The committing thread: takes what is queued, up to [`MAX_BATCH`], commits
/// it, answers each webhook, and starts again, until the queue is dropped.
fn commit_queued(store: &dyn Store, queue: &mpsc::Receiver<Queued>) {
    while let Ok(first) = queue.recv() {
        let batch: Vec<Queued> = std::iter::once(first)
            .chain(std::iter::from_fn(|| queue.try_recv().ok()))
            .take(MAX_BATCH)
            // Those withdrawn meanwhile are left out, so they are never written.
            .filter(|queued| queued.state.compare_exchange(QUEUED, TAKEN, Ordering::AcqRel, Ordering::Acquire).is_ok())
            .collect();
        if batch.is_empty() {
            continue;
        }
        let (items, replies): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|queued| ((queued.notification, queued.received_at), queued.reply)).unzip();
        let started = Instant::now();
        let results = catch_unwind(AssertUnwindSafe(|| store.record_each(items)));
        record_store_duration("record_notification", started);
        match results {
            Ok(results) if results.len() == replies.len() => {
                for (reply, result) in replies.into_iter().zip(results) {
                    // Its webhook may have gone (the client hung up): nothing to tell.
                    let _ = reply.send(result);
                }
            }
            // Dropping the replies answers their webhooks 500.
            Ok(results) => {
                log::error!("the store returned {} results for {} notifications", results.len(), replies.len())
            }
            Err(_) => log::error!("the store panicked while recording {} notifications", replies.len()),
        }
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use std::time::Duration;

    use actix_web::rt::time::sleep;
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};
    use diun_core::{page, StoreOptions, UpdateFilter};
    use diun_store_sqlite::SqliteStore;

    use super::*;

    fn notification(image: &str) -> Notification {
        Notification::builder(image).hostname("nas").digest("sha256:1").build().unwrap()
    }

    fn images(store: &dyn Store) -> Vec<String> {
        let mut images: Vec<_> =
            page::all_updates(store, &UpdateFilter::default()).unwrap().into_iter().map(|u| u.image).collect();
        images.sort();
        images
    }

    #[actix_rt::test]
    async fn webhooks_arriving_together_are_each_stored_and_answered_with_their_own_update() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(dir.path().join("q.db").to_str().unwrap(), &StoreOptions::default()).unwrap());
        let queue = WebhookQueue::start(Arc::clone(&store), Duration::from_secs(5));
        let sent: Vec<_> = (0..100).map(|i| queue.record(notification(&format!("app-{i:03}")), Utc::now())).collect();
        let answers = futures_util::future::join_all(sent).await;
        let answered: Vec<String> = answers.into_iter().map(|answer| answer.unwrap().image).collect();
        assert_eq!(answered, images(store.as_ref()), "each answer names its own image, in order");
        assert_eq!(answered.len(), 100);
    }

    /// The database is locked by another process's transaction: the first
    /// webhook is taken into a commit, which waits for the lock; the second
    /// stays queued past its wait limit and is withdrawn. Once the lock is
    /// gone, the first is stored (its sender waited longer than the limit,
    /// since its commit had begun) and the second never is.
    #[actix_rt::test]
    async fn a_webhook_still_queued_at_its_limit_is_withdrawn_and_never_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let options = StoreOptions { connection_timeout: Duration::from_secs(10), ..StoreOptions::default() };
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path.to_str().unwrap(), &options).unwrap());
        let queue = WebhookQueue::start(Arc::clone(&store), Duration::from_millis(400));
        let mut other = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        other.batch_execute("BEGIN IMMEDIATE").unwrap();

        let first = actix_rt::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.record(notification("first"), Utc::now()).await }
        });
        // Long enough for the committing thread to take the first and block on the lock.
        sleep(Duration::from_millis(300)).await;
        let second = queue.record(notification("second"), Utc::now()).await;
        assert!(matches!(&second, Err(ApiError::Unavailable(why)) if why.contains("no commit took")), "{second:?}");
        assert!(!first.is_finished(), "the first waits for its commit, beyond the limit");

        other.batch_execute("COMMIT").unwrap();
        assert_eq!(first.await.unwrap().unwrap().image, "first");
        // The queue is free again: a third goes through, and the second was never written.
        assert_eq!(queue.record(notification("third"), Utc::now()).await.unwrap().image, "third");
        assert_eq!(images(store.as_ref()), ["first", "third"]);
    }
}
