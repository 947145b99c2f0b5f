//! `GET /api/events`: every change of the store, live, as Server-Sent Events.
//!
//! One [`EventHub`] per server holds the store's change feed
//! ([`Store::subscribe`]) and fans it out to every connected client. With
//! PostgreSQL the feed carries the changes of every replica, so a dashboard
//! connected to any replica sees them all.
//!
//! What a client reads:
//!
//! ```text
//! retry: 3000
//! : connected
//!
//! id: 1
//! event: update.created
//! data: {"type":"update.created","id":7}
//!
//! : heartbeat
//!
//! event: resync
//! data: {"type":"resync"}
//! ```
//!
//! `resync` means the client may have missed changes (it fell behind, or the
//! server's feed was interrupted) and should refetch everything it shows.
//!
//! Ids grow by one per event from a start taken from the clock when the
//! server starts, so that ids of another run or another replica do not match.
//! A client reconnecting with `Last-Event-ID` (browsers send it by themselves)
//! gets `resync` first unless that id is the last event sent: the server
//! keeps no backlog to replay, so a client that missed anything refetches.
//!
//! At most [`EventHub::DEFAULT_MAX_STREAMS`] streams are open at once (a
//! setting, `DIUN_DASHBOARD_SSE_MAX_STREAMS`); beyond that the answer is 503
//! `busy` with `Retry-After`.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use actix_web::http::header;
use actix_web::rt::time::{interval_at, Instant, Interval};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use diun_core::{Change, ChangeSubscription, Store, StoreError};
use futures_util::future::{select, Either};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::error::ApiError;
use crate::state::AppState;

/// What a client gets first: how long to wait before reconnecting, and a
/// comment that tells it the stream is open (and flushes the headers).
const OPENING: &[u8] = b"retry: 3000\n: connected\n\n";

/// A comment that keeps idle connections (and proxies) from timing out.
const HEARTBEAT: &[u8] = b": heartbeat\n\n";

/// What a client that fell behind gets instead of the changes it missed.
const RESYNC: &[u8] = b"event: resync\ndata: {\"type\":\"resync\"}\n\n";

/// How many frames a client may fall behind before it is told to resync.
const CAPACITY: usize = 512;

/// How long starting the hub waits for the store's change feed to connect.
const FIRST_CONNECTION_WAIT: Duration = Duration::from_secs(5);

/// One message to every client.
#[derive(Clone)]
enum Frame {
    /// A rendered event.
    Event(Bytes),
    /// The server is stopping: end the stream.
    Close,
}

/// Fans the store's change feed out to every `GET /api/events` client.
pub struct EventHub {
    sender: broadcast::Sender<Frame>,
    heartbeat: Duration,
    closed: AtomicBool,
    /// The id of the last event sent; the first id less one before any.
    last_id: AtomicU64,
    /// Streams open now, and the most allowed.
    streams: AtomicUsize,
    max_streams: AtomicUsize,
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHub")
            .field("heartbeat", &self.heartbeat)
            .field("clients", &self.sender.receiver_count())
            .field("max_streams", &self.max_streams.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl EventHub {
    /// The interval of heartbeat comments unless told otherwise.
    pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

    /// The most streams open at once unless told otherwise.
    pub const DEFAULT_MAX_STREAMS: usize = 1000;

    /// Subscribes to `store`'s change feed and forwards it from a background
    /// thread, sending a heartbeat to each client every `heartbeat`.
    ///
    /// Never fails: when the store cannot subscribe now (its database is
    /// down), the thread keeps trying, and clients get `resync` once it can.
    /// The thread ends when the store or the hub is dropped.
    pub fn start(store: &Arc<dyn Store>, heartbeat: Duration) -> Arc<EventHub> {
        let (sender, _) = broadcast::channel(CAPACITY);
        let hub = Arc::new(EventHub {
            sender,
            heartbeat: heartbeat.max(Duration::from_millis(10)),
            closed: false.into(),
            last_id: first_event_id().saturating_sub(1).into(),
            streams: 0.into(),
            max_streams: Self::DEFAULT_MAX_STREAMS.into(),
        });
        // The first subscription here, connected (or given up on) before the
        // server serves, so that the changes made once it is up reach its
        // clients; then the thread takes over. A feed that connects later
        // sends `resync` when it does.
        let first = store.subscribe().inspect(|subscription| {
            if let Err(err) = subscription.wait_connected(FIRST_CONNECTION_WAIT) {
                log::warn!("live events may miss changes until the change feed connects: {err}");
            }
        });
        let (store, weak_hub) = (Arc::downgrade(store), Arc::downgrade(&hub));
        let spawned = std::thread::Builder::new()
            .name("diun-event-hub".into())
            .spawn(move || forward(&store, &weak_hub, first, first_event_id()));
        if let Err(err) = spawned {
            log::error!("cannot start the thread of live events; /api/events will stay quiet: {err}");
        }
        hub
    }

    /// The interval of heartbeat comments.
    pub fn heartbeat(&self) -> Duration {
        self.heartbeat
    }

    /// How many clients are connected.
    pub fn client_count(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Sets the most streams open at once (at least 1); beyond it, `GET /api/events` answers 503.
    pub fn set_max_streams(&self, max: usize) {
        self.max_streams.store(max.max(1), Ordering::SeqCst);
    }

    /// Takes one of the stream slots, or `None` when all are taken.
    fn take_slot(self: &Arc<Self>) -> Option<StreamSlot> {
        let max = self.max_streams.load(Ordering::SeqCst);
        let taken =
            self.streams.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |open| (open < max).then_some(open + 1));
        taken.ok().map(|_| StreamSlot(Arc::clone(self)))
    }

    /// Ends every stream, for a prompt shutdown: open streams would otherwise
    /// hold the server until its shutdown timeout.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.sender.send(Frame::Close);
    }

    fn publish(&self, id: u64, change: &Change) {
        let frame = format!("id: {id}\nevent: {}\ndata: {}\n\n", change.kind(), change.to_json());
        self.last_id.store(id, Ordering::SeqCst);
        // An error only means that no client is connected.
        let _ = self.sender.send(Frame::Event(Bytes::from(frame)));
    }
}

/// The hub's thread: forwards each change, subscribing again (with a growing
/// pause) whenever the store's feed cannot be had or ends.
/// One open stream's slot; freed when the stream ends.
struct StreamSlot(Arc<EventHub>);

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.streams.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The first event id of this run: milliseconds since 1970 times 1000, so
/// that ids of another run or replica practically never coincide with ours.
fn first_event_id() -> u64 {
    static FIRST: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *FIRST.get_or_init(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        u64::try_from(now.as_millis()).unwrap_or(1).saturating_mul(1000).max(1)
    })
}

fn forward(
    store: &Weak<dyn Store>,
    hub: &Weak<EventHub>,
    first: Result<ChangeSubscription, StoreError>,
    first_id: u64,
) {
    let mut next_id = first_id;
    let mut attempt = Some(first);
    let mut backoff = Duration::from_millis(500);
    let mut subscribed_before = false;
    let mut failure_logged = false;
    loop {
        let subscription = match attempt.take() {
            Some(first) => first,
            None => match store.upgrade() {
                // The strong reference ends with this statement: the hub never keeps the store alive.
                Some(store) => store.subscribe(),
                None => return,
            },
        };
        match subscription {
            Ok(subscription) => {
                if subscribed_before {
                    // Whatever changed between two subscriptions went unannounced.
                    let Some(hub) = hub.upgrade() else { return };
                    hub.publish(next_id, &Change::Resync);
                    next_id += 1;
                    log::info!("live events are flowing again");
                }
                (subscribed_before, failure_logged, backoff) = (true, false, Duration::from_millis(500));
                loop {
                    match subscription.recv_timeout(Duration::from_secs(1)) {
                        Ok(change) => {
                            let Some(hub) = hub.upgrade() else { return };
                            hub.publish(next_id, &change);
                            next_id += 1;
                        }
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) if hub.strong_count() > 0 => {}
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return,
                        // The feed ended: its store is gone, or it gave up; subscribe again.
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                }
            }
            Err(err) => {
                if !failure_logged {
                    log::warn!("live events are paused, the change feed is unavailable: {err}; retrying");
                    failure_logged = true;
                }
                let until = std::time::Instant::now() + backoff;
                while std::time::Instant::now() < until {
                    if hub.strong_count() == 0 || store.strong_count() == 0 {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// `GET /api/events`: a `text/event-stream` of every change, with a
/// heartbeat comment every few seconds; see the [module docs](self).
#[utoipa::path(
    get,
    path = "/api/events",
    operation_id = "stream_changes",
    summary = "Every change, as Server-Sent Events",
    tag = "updates",
    params(("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received; \
             unless it is the last event sent, the stream starts with `resync`")),
    responses((
        status = 200,
        description = "Server-Sent Events, one per change: `event:` is the change's `type` (`update.created`, \
                       `update.changed`, `update.acknowledged`, `update.unacknowledged`, `update.deleted`, \
                       `tag.created`, `tag.renamed`, `tag.deleted`, `assignment.changed`, `snoozed`, `unsnoozed`, \
                       `muted`, `unmuted`, `mute_rules`, `resync`) and `data:` \
                       its JSON. `resync` asks the client to refetch everything. A `: heartbeat` comment comes \
                       every 15 seconds.",
        content_type = "text/event-stream",
        body = String
    ),
    (status = 503, response = crate::openapi::Unavailable))
)]
pub async fn stream(state: web::Data<AppState>, request: HttpRequest) -> HttpResponse {
    let hub = Arc::clone(&state.events);
    let Some(slot) = hub.take_slot() else {
        log::warn!("refused a live events stream: {} are open already", hub.max_streams.load(Ordering::SeqCst));
        let message = "too many live event streams are open; try again shortly".to_owned();
        return ApiError::Overloaded { message, retry_after: 5 }.error_response();
    };
    // Subscribe before reading the last id: whatever comes after it then reaches this receiver.
    let receiver = hub.sender.subscribe();
    let last_sent = hub.last_id.load(Ordering::SeqCst);
    let missed = request
        .headers()
        .get("last-event-id")
        .map(|value| value.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()) != Some(last_sent));
    let heartbeat = hub.heartbeat;
    let client = Client {
        opened: false,
        resync: missed.unwrap_or(false),
        closed: hub.closed.load(Ordering::SeqCst),
        receiver,
        ticker: interval_at(Instant::now() + heartbeat, heartbeat),
        _slot: slot,
    };
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx buffers responses unless told not to; events must go out at once.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::stream::unfold(client, Client::next_chunk))
}

/// One connected client's side of the stream.
struct Client {
    opened: bool,
    /// Whether to send `resync` right after the opening: the client missed events.
    resync: bool,
    closed: bool,
    receiver: broadcast::Receiver<Frame>,
    ticker: Interval,
    _slot: StreamSlot,
}

impl Client {
    /// The next chunk of the body, or `None` to end it.
    async fn next_chunk(mut self) -> Option<(Result<Bytes, Infallible>, Client)> {
        if !self.opened {
            self.opened = true;
            return Some((Ok(Bytes::from_static(OPENING)), self));
        }
        if std::mem::take(&mut self.resync) {
            return Some((Ok(Bytes::from_static(RESYNC)), self));
        }
        if self.closed {
            return None;
        }
        let received = {
            let frame = std::pin::pin!(self.receiver.recv());
            let tick = std::pin::pin!(self.ticker.tick());
            match select(frame, tick).await {
                Either::Left((frame, _)) => Some(frame),
                Either::Right(_) => None,
            }
        };
        let chunk = match received {
            None => Bytes::from_static(HEARTBEAT),
            Some(Ok(Frame::Event(bytes))) => bytes,
            Some(Ok(Frame::Close) | Err(RecvError::Closed)) => return None,
            Some(Err(RecvError::Lagged(missed))) => {
                log::debug!("a live events client fell {missed} events behind; told it to resync");
                Bytes::from_static(RESYNC)
            }
        };
        Some((Ok(chunk), self))
    }
}

/// Ends every live events stream when SIGTERM or SIGINT arrives, so that the
/// server's graceful stop (which waits for open responses) is not held up by
/// them; the server handles the signal itself too. Run it on the server's runtime.
pub async fn close_on_stop_signal(hub: Arc<EventHub>) {
    let interrupt = std::pin::pin!(actix_web::rt::signal::ctrl_c());
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                let terminate = std::pin::pin!(terminate.recv());
                let _ = select(interrupt, terminate).await;
            }
            Err(err) => {
                log::warn!("cannot watch for SIGTERM: {err}");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    hub.close();
}
