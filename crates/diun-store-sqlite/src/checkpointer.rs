//! WAL checkpoints on a thread of their own, off the write path.
//!
//! By default SQLite checkpoints inside the commit that takes the WAL past
//! 1,000 pages: that commit copies the pages back into the database file
//! (and syncs it) before it returns, so one webhook in a few hundred waits
//! for it, longer while readers keep the CPU busy. Here the connections that
//! write turn that off (`wal_autocheckpoint = 0`), and a thread per file
//! runs the same passive checkpoint shortly after commits: it waits for no
//! reader and no writer, and writers never wait for it. The WAL stays as
//! bounded as before: a checkpoint follows every burst of commits within
//! [`PAUSE`].

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};

/// The longest a committed page waits in the WAL for its checkpoint, and the
/// shortest time between two checkpoints.
pub(crate) const PAUSE: Duration = Duration::from_millis(100);

/// The thread checkpointing one file; stops when dropped.
pub(crate) struct Checkpointer {
    state: Arc<(Mutex<State>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct State {
    /// Commits since the last checkpoint.
    pending: bool,
    stopping: bool,
}

impl Checkpointer {
    /// Starts checkpointing the database file at `path`.
    pub(crate) fn start(path: &str) -> std::io::Result<Checkpointer> {
        let state = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let thread = std::thread::Builder::new().name("sqlite-checkpoint".into()).spawn({
            let (state, path) = (Arc::clone(&state), path.to_owned());
            move || run(&state, &path)
        })?;
        Ok(Checkpointer { state, thread: Some(thread) })
    }

    /// Says that a transaction committed: a checkpoint follows soon.
    pub(crate) fn committed(&self) {
        let (state, wake) = &*self.state;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.pending {
            state.pending = true;
            wake.notify_one();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (state, wake) = &*self.state;
        state.lock().unwrap_or_else(PoisonError::into_inner).stopping = true;
        wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(state: &(Mutex<State>, Condvar), path: &str) {
    let (lock, wake) = state;
    let mut conn: Option<SqliteConnection> = None;
    loop {
        {
            let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
            while !state.pending && !state.stopping {
                state = wake.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
            if state.stopping {
                // The last connection to close checkpoints what is left.
                return;
            }
            state.pending = false;
        }
        if let Err(err) = checkpoint(&mut conn, path) {
            // Nothing is lost: the pages stay in the WAL, which readers read,
            // and the next checkpoint tries again.
            log::warn!("SQLite checkpoint of {path} failed: {err}");
            conn = None;
        }
        // Commits arriving meanwhile wait for the next round, so a busy writer
        // gets one checkpoint per pause, not one per commit.
        let state = lock.lock().unwrap_or_else(PoisonError::into_inner);
        if !state.stopping {
            let (state, _) =
                wake.wait_timeout_while(state, PAUSE, |state| !state.stopping).unwrap_or_else(PoisonError::into_inner);
            // No commit during the pause: the burst is over. The connection
            // (about 240 KiB) is opened again, in a millisecond, by the next.
            if !state.pending {
                conn = None;
            }
        }
    }
}

fn checkpoint(conn: &mut Option<SqliteConnection>, path: &str) -> Result<(), String> {
    if conn.is_none() {
        let mut opened = SqliteConnection::establish(path).map_err(|err| err.to_string())?;
        // A checkpoint waits for nothing, but opening may meet a migration's lock.
        opened.batch_execute("PRAGMA busy_timeout = 1000;").map_err(|err| err.to_string())?;
        *conn = Some(opened);
    }
    let conn = conn.as_mut().expect("opened above");
    conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);").map_err(|err| err.to_string())
}
