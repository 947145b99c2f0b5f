//! The change feed across processes: `NOTIFY` in each writing transaction,
//! one `LISTEN`ing connection per [`PgStore`](crate::PgStore).
//!
//! A writer sends its changes with `pg_notify` inside its own transaction, so
//! PostgreSQL delivers them only if it commits, and to every listening
//! session, this process's included: local subscribers hear local changes
//! through `LISTEN` too, exactly once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diun_core::{Change, ChangeBroadcaster, ChangeSubscription, StoreError, StoreResult};

use crate::connection::establish;
use crate::errors::from_diesel;

/// The channel every store of every process on the database talks on.
pub(crate) const CHANNEL: &str = "diun_dashboard_changes";

/// The most ids in one notification: 300 ids of up to 20 digits stay far
/// below PostgreSQL's limit of 8000 bytes per payload.
const MAX_IDS_PER_NOTIFICATION: usize = 300;

/// How often the listener looks for notifications that arrived.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// How often the listener sends a query, so that a dead connection is noticed.
const PING_INTERVAL: Duration = Duration::from_secs(1);

/// The longest wait between two attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Sends `changes` on [`CHANNEL`] within the current transaction.
pub(crate) fn notify(conn: &mut PgConnection, changes: Vec<Change>) -> StoreResult<()> {
    for change in changes.into_iter().flat_map(|change| change.into_chunks(MAX_IDS_PER_NOTIFICATION)) {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(CHANNEL)
            .bind::<Text, _>(change.to_json())
            .execute(conn)
            .map_err(from_diesel)?;
    }
    Ok(())
}

/// One store's side of the feed: the listener thread, started on the first
/// subscription and stopped when the last clone of the store is dropped.
pub(crate) struct PgFeed {
    url: String,
    /// How long a subscription waits for the listener to be connected.
    connect_timeout: Duration,
    shared: Arc<Shared>,
}

/// What the listener thread and the feed share.
struct Shared {
    broadcaster: ChangeBroadcaster,
    state: Mutex<ListenerState>,
    changed: Condvar,
    stop: AtomicBool,
}

#[derive(Default)]
struct ListenerState {
    started: bool,
    /// `LISTEN` is in force: every change committed from now on will arrive.
    listening: bool,
    /// The last reason the listener could not connect, for the error of a subscription.
    last_error: Option<String>,
}

impl PgFeed {
    pub(crate) fn new(url: String, connect_timeout: Duration) -> Self {
        let shared = Shared {
            broadcaster: ChangeBroadcaster::new(),
            state: Mutex::default(),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
        };
        PgFeed { url, connect_timeout, shared: Arc::new(shared) }
    }

    /// A subscription that hears every change committed once it is returned;
    /// waits for the listener to be connected, at most the connection timeout.
    pub(crate) fn subscribe(&self) -> StoreResult<ChangeSubscription> {
        let mut state = self.shared.lock();
        if !state.started {
            state.started = true;
            let (url, shared) = (self.url.clone(), Arc::clone(&self.shared));
            std::thread::Builder::new()
                .name("diun-pg-listener".into())
                .spawn(move || listen(&url, &shared))
                .map_err(|err| StoreError::Backend(format!("cannot start the listener thread: {err}").into()))?;
        }
        // Subscribed before waiting, so that nothing committed after `LISTEN` is missed.
        let subscription = self.shared.broadcaster.subscribe();
        let (state, _) = self
            .shared
            .changed
            .wait_timeout_while(state, self.connect_timeout, |state| !state.listening)
            .unwrap_or_else(PoisonError::into_inner);
        if state.listening {
            Ok(subscription)
        } else {
            let reason = state.last_error.clone().unwrap_or_else(|| "it did not connect in time".into());
            Err(StoreError::Unavailable(format!("cannot listen for changes: {reason}")))
        }
    }
}

impl Drop for PgFeed {
    fn drop(&mut self) {
        // The thread notices within one poll interval and closes its connection.
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, ListenerState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn set_listening(&self, listening: bool, error: Option<String>) {
        let mut state = self.lock();
        state.listening = listening;
        if error.is_some() || listening {
            state.last_error = error;
        }
        self.changed.notify_all();
    }

    /// Sleeps `duration`, waking early when the feed stops.
    fn sleep(&self, duration: Duration) {
        let until = Instant::now() + duration;
        while !self.stopped() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(POLL_INTERVAL));
        }
    }
}

/// The listener thread: connects, `LISTEN`s and forwards notifications until
/// the feed stops; reconnects with a growing pause when the connection breaks.
fn listen(url: &str, shared: &Shared) {
    let mut backoff = Duration::from_millis(100);
    let mut was_listening = false;
    let mut outage_logged = false;
    while !shared.stopped() {
        let connected = establish(url).and_then(|mut conn| {
            conn.batch_execute(&format!("LISTEN {CHANNEL}")).map_err(from_diesel)?;
            Ok(conn)
        });
        match connected {
            Ok(mut conn) => {
                shared.set_listening(true, None);
                if was_listening {
                    log::info!("listening for changes again after the database came back");
                    // Changes committed while nobody listened are lost: say so.
                    shared.broadcaster.send(&Change::Resync);
                }
                (was_listening, outage_logged, backoff) = (true, false, Duration::from_millis(100));
                let err = forward(&mut conn, shared);
                shared.set_listening(false, None);
                if let Err(err) = err {
                    log::warn!("the change feed lost its database connection: {err}; reconnecting");
                }
            }
            Err(err) => {
                if !outage_logged {
                    log::warn!("the change feed cannot connect to the database: {err}; retrying");
                    outage_logged = true;
                }
                shared.set_listening(false, Some(err.to_string()));
                shared.sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Forwards notifications as they arrive; returns when the feed stops (`Ok`)
/// or the connection fails.
fn forward(conn: &mut PgConnection, shared: &Shared) -> StoreResult<()> {
    let mut last_ping = Instant::now();
    while !shared.stopped() {
        // Reads what the server sent without waiting; a closed connection is an error.
        for notification in conn.notifications_iter() {
            let notification = notification.map_err(|err| StoreError::Unavailable(err.to_string()))?;
            match serde_json::from_str::<Change>(&notification.payload) {
                Ok(change) => shared.broadcaster.send(&change),
                Err(err) => log::warn!("ignored a change notification that cannot be read ({err})"),
            }
        }
        if last_ping.elapsed() >= PING_INTERVAL {
            conn.batch_execute("SELECT 1").map_err(from_diesel)?;
            last_ping = Instant::now();
        } else {
            std::thread::sleep(POLL_INTERVAL);
        }
    }
    Ok(())
}
