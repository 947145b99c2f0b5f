//! The one bridge from async handlers to the blocking [`Store`].
//!
//! Reads that list, search or count are CPU work, for this process and for
//! the database alike. Were they all let in at once, sixteen dashboards
//! paging would share the cores with a webhook, and the webhook would wait
//! its turn behind them. So [`call_store`] runs them on threads of their
//! own, as many as there are cores, at a lower scheduling priority (Linux:
//! 10 nice levels below the process): the other reads wait, asynchronously
//! and holding no thread, for a free one, and when webhooks and reads want
//! the cores at the same moment, the webhooks get them.
//!
//! [`call_store_now`] runs a call on actix-web's blocking pool at the
//! process's own priority, without waiting for a reader's thread: for the
//! dashboard's writes, which hold the database's write lock (run at a low
//! priority, they could keep a webhook waiting for that lock), and for
//! calls that read one row. Webhooks have a queue of their own (see
//! [`crate::webhook_queue`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use actix_web::web;
use diun_core::{Store, StoreResult};
use tokio::sync::oneshot;

use crate::error::ApiError;
use crate::telemetry::record_store_duration;

/// How much less CPU time a read gets than a webhook when both want it
/// (nice 10 weighs about a tenth of nice 0 in Linux's scheduler).
const READER_NICENESS: i32 = 10;

/// Runs the read `work` on one of the [`readers`] threads once one is free,
/// so that a slow query never stalls the event loop. `operation` names it in
/// the metrics.
pub async fn call_store<T, F>(store: &Arc<dyn Store>, operation: &'static str, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
{
    let store = Arc::clone(store);
    let (reply, answer) = oneshot::channel();
    readers().run(Box::new(move || {
        // Its request may have ended while it waited (a deadline, a client gone): nothing to do.
        if !reply.is_closed() {
            let _ = reply.send(timed(operation, || work(store.as_ref())));
        }
    }));
    answer
        .await
        .map_err(|_| {
            log::error!("a store read ended without an answer (it panicked)");
            ApiError::Internal
        })?
        .map_err(ApiError::from)
}

/// Runs `work` on actix-web's blocking pool at once: for writes and calls
/// that read one row (see the [module documentation](self)).
pub async fn call_store_now<T, F>(store: &Arc<dyn Store>, operation: &'static str, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
{
    let store = Arc::clone(store);
    web::block(move || timed(operation, || work(store.as_ref())))
        .await
        .map_err(|err| {
            log::error!("a blocking store call failed to run: {err}");
            ApiError::Internal
        })?
        .map_err(ApiError::from)
}

/// Runs `work`, and records how long it took as `operation` in the metrics.
fn timed<T>(operation: &'static str, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = work();
    record_store_duration(operation, started);
    result
}

/// A read waiting for a thread.
type Job = Box<dyn FnOnce() + Send>;

/// The threads of [`call_store`], for the whole process (the cores are
/// shared by every app it serves): one per core.
struct Readers {
    jobs: mpsc::Sender<Job>,
}

impl Readers {
    fn run(&self, job: Job) {
        // The threads never end, so the queue is never closed.
        let _ = self.jobs.send(job);
    }
}

fn readers() -> &'static Readers {
    static READERS: OnceLock<Readers> = OnceLock::new();
    READERS.get_or_init(|| {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        for n in 0..threads {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new().name(format!("store-reader-{n}")).spawn(move || {
                lower_priority();
                loop {
                    let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(job) = next else { return };
                    // A panicking read answers 500 (its reply is dropped); the thread goes on.
                    let _ = catch_unwind(AssertUnwindSafe(job));
                }
            });
            if let Err(err) = spawned {
                log::error!("cannot start a thread for store reads: {err}");
            }
        }
        Readers { jobs }
    })
}

/// Lowers the calling thread's scheduling priority by [`READER_NICENESS`]
/// below the process's. Linux keeps a nice value per thread; elsewhere it
/// would apply to the whole process, so nothing changes there.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let lowered = getpriority_process(None)
            .and_then(|nice| setpriority_process(Some(rustix::thread::gettid()), (nice + READER_NICENESS).min(19)));
        if let Err(err) = lowered {
            log::warn!("store reads run at the same priority as webhooks: {err}");
        }
    }
}
