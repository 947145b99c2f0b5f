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
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
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

#[cfg(all(test, target_os = "linux", feature = "sqlite"))]
mod tests {
    use diun_core::StoreOptions;
    use diun_store_sqlite::SqliteStore;

    use super::*;

    /// The nice value of a thread or process, from its `stat` file in /proc.
    fn nice(stat_path: &std::path::Path) -> i32 {
        let stat = std::fs::read_to_string(stat_path).unwrap();
        // Fields after the command's closing parenthesis, from the state (field 3) on; nice is field 19.
        let after_name = &stat[stat.rfind(')').unwrap() + 2..];
        after_name.split_whitespace().nth(16).unwrap().parse().unwrap()
    }

    #[actix_rt::test]
    async fn reads_run_on_threads_ten_nice_levels_below_the_process_and_writes_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open(dir.path().join("n.db").to_str().unwrap(), &StoreOptions::default()).unwrap());
        let current_nice = || nice(std::path::Path::new("/proc/thread-self/stat"));
        let read_on = call_store(&store, "test", move |_| Ok(current_nice())).await.unwrap();
        let written_on = call_store_now(&store, "test", move |_| Ok(current_nice())).await.unwrap();

        let process = nice(std::path::Path::new("/proc/self/stat"));
        assert_eq!(read_on, (process + READER_NICENESS).min(19));
        assert_eq!(written_on, process);
        let readers = || -> Vec<i32> {
            std::fs::read_dir("/proc/self/task")
                .unwrap()
                .map(|task| task.unwrap().path())
                .filter(|task| std::fs::read_to_string(task.join("comm")).unwrap().starts_with("store-reader-"))
                .map(|task| nice(&task.join("stat")))
                .collect()
        };
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let expected = vec![(process + READER_NICENESS).min(19); cores];
        // The threads start together; the others may still be starting.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while readers() != expected && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(readers(), expected, "one reader thread per core, each lowered");
    }
}
