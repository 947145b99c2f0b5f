//! The change feed across processes: `NOTIFY` in each writing transaction,
//! one `LISTEN`ing connection per [`PgStore`](crate::PgStore).
//!
//! A writer sends its changes with `pg_notify` inside its own transaction, so
//! PostgreSQL delivers them only if it commits, and to every listening
//! session, this process's included: local subscribers hear local changes
//! through `LISTEN` too, exactly once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Array, Text};
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
///
/// One statement for them all, whatever their number: a batch of webhooks
/// committed together makes one change each, and a statement each would
/// cost as many round trips. `unnest` yields the payloads in array order,
/// and PostgreSQL delivers a transaction's notifications in the order sent.
pub(crate) fn notify(conn: &mut PgConnection, changes: Vec<Change>) -> StoreResult<()> {
    let payloads: Vec<String> = changes
        .into_iter()
        .flat_map(|change| change.into_chunks(MAX_IDS_PER_NOTIFICATION))
        .map(|change| change.to_json())
        .collect();
    if payloads.is_empty() {
        return Ok(());
    }
    NotifyStatement { payloads }.execute(conn).map_err(from_diesel)?;
    Ok(())
}

/// `pg_notify` of each payload on [`CHANNEL`]: a query type of its own, so
/// that diesel prepares it once per connection and it costs one round trip
/// (a `sql_query` is prepared on every run: two).
struct NotifyStatement {
    payloads: Vec<String>,
}

impl QueryId for NotifyStatement {
    type QueryId = NotifyStatement;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl RunQueryDsl<PgConnection> for NotifyStatement {}

impl QueryFragment<Pg> for NotifyStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT pg_notify(");
        out.push_bind_param::<Text, str>(CHANNEL)?;
        out.push_sql(", payload) FROM unnest(");
        out.push_bind_param::<Array<Text>, _>(&self.payloads)?;
        out.push_sql("::text[]) AS payload");
        Ok(())
    }
}

/// One store's side of the feed: the listener thread, started on the first
/// subscription and stopped when the last clone of the store is dropped.
///
/// Subscribing never waits for the listener: the broadcaster is marked
/// disconnected until `LISTEN` is in force (and again while the connection is
/// broken), so a subscription made meanwhile receives `Resync` once it is.
pub(crate) struct PgFeed {
    url: String,
    started: AtomicBool,
    shared: Arc<Shared>,
}

/// What the listener thread and the feed share.
struct Shared {
    broadcaster: ChangeBroadcaster,
    stop: AtomicBool,
}

impl PgFeed {
    pub(crate) fn new(url: String) -> Self {
        let broadcaster = ChangeBroadcaster::new();
        broadcaster.set_disconnected("the change feed has not connected to the database yet");
        let shared = Shared { broadcaster, stop: AtomicBool::new(false) };
        PgFeed { url, started: AtomicBool::new(false), shared: Arc::new(shared) }
    }

    /// A subscription to every change committed once the listener is
    /// connected; starts the listener on first use, and never waits for it.
    pub(crate) fn subscribe(&self) -> StoreResult<ChangeSubscription> {
        // Subscribed before the thread starts, so that its first `Resync` finds us.
        let subscription = self.shared.broadcaster.subscribe();
        if !self.started.swap(true, Ordering::SeqCst) {
            let (url, shared) = (self.url.clone(), Arc::clone(&self.shared));
            let spawned =
                std::thread::Builder::new().name("diun-pg-listener".into()).spawn(move || listen(&url, &shared));
            if let Err(err) = spawned {
                self.started.store(false, Ordering::SeqCst);
                return Err(StoreError::Backend(format!("cannot start the listener thread: {err}").into()));
            }
        }
        Ok(subscription)
    }
}

impl Drop for PgFeed {
    fn drop(&mut self) {
        // The thread notices within one poll interval and closes its connection.
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
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
    let mut outage_logged = false;
    let mut was_listening = false;
    while !shared.stopped() {
        let connected = establish(url).and_then(|mut conn| {
            conn.batch_execute(&format!("LISTEN {CHANNEL}")).map_err(from_diesel)?;
            Ok(conn)
        });
        match connected {
            Ok(mut conn) => {
                if was_listening {
                    log::info!("listening for changes again after the database came back");
                }
                // Every subscription made or kept while nobody listened gets `Resync`.
                shared.broadcaster.set_connected();
                (was_listening, outage_logged, backoff) = (true, false, Duration::from_millis(100));
                let err = forward(&mut conn, shared);
                shared.broadcaster.set_disconnected("the change feed lost its database connection");
                if let Err(err) = err {
                    log::warn!("the change feed lost its database connection: {err}; reconnecting");
                }
            }
            Err(err) => {
                if !outage_logged {
                    log::warn!("the change feed cannot connect to the database: {err}; retrying");
                    outage_logged = true;
                }
                shared.broadcaster.set_disconnected(err.to_string());
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
