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

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use actix_web::http::header;
use actix_web::rt::time::{interval_at, Instant, Interval};
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use diun_core::{Change, ChangeSubscription, Store, StoreError};
use futures_util::future::{select, Either};
use tokio::sync::broadcast::{self, error::RecvError};

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
}

impl std::fmt::Debug for EventHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHub")
            .field("heartbeat", &self.heartbeat)
            .field("clients", &self.sender.receiver_count())
            .finish_non_exhaustive()
    }
}

impl EventHub {
    /// The interval of heartbeat comments unless told otherwise.
    pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(15);

    /// Subscribes to `store`'s change feed and forwards it from a background
    /// thread, sending a heartbeat to each client every `heartbeat`.
    ///
    /// Never fails: when the store cannot subscribe now (its database is
    /// down), the thread keeps trying, and clients get `resync` once it can.
    /// The thread ends when the store or the hub is dropped.
    pub fn start(store: &Arc<dyn Store>, heartbeat: Duration) -> Arc<EventHub> {
        let (sender, _) = broadcast::channel(CAPACITY);
        let hub =
            Arc::new(EventHub { sender, heartbeat: heartbeat.max(Duration::from_millis(10)), closed: false.into() });
        // The first attempt here, so that the changes made once the server is
        // up reach its clients; then the thread takes over.
        let first = store.subscribe();
        let (store, weak_hub) = (Arc::downgrade(store), Arc::downgrade(&hub));
        let spawned =
            std::thread::Builder::new().name("diun-event-hub".into()).spawn(move || forward(&store, &weak_hub, first));
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

    /// Ends every stream, for a prompt shutdown: open streams would otherwise
    /// hold the server until its shutdown timeout.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.sender.send(Frame::Close);
    }

    fn publish(&self, id: u64, change: &Change) {
        let frame = format!("id: {id}\nevent: {}\ndata: {}\n\n", change.kind(), change.to_json());
        // An error only means that no client is connected.
        let _ = self.sender.send(Frame::Event(Bytes::from(frame)));
    }
}

/// The hub's thread: forwards each change, subscribing again (with a growing
/// pause) whenever the store's feed cannot be had or ends.
fn forward(store: &Weak<dyn Store>, hub: &Weak<EventHub>, first: Result<ChangeSubscription, StoreError>) {
    let mut next_id: u64 = 1;
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
    responses((
        status = 200,
        description = "Server-Sent Events, one per change: `event:` is the change's `type` (`update.created`, \
                       `update.changed`, `update.acknowledged`, `update.unacknowledged`, `update.deleted`, \
                       `tag.created`, `tag.renamed`, `tag.deleted`, `assignment.changed`, `resync`) and `data:` \
                       its JSON. `resync` asks the client to refetch everything. A `: heartbeat` comment comes \
                       every 15 seconds.",
        content_type = "text/event-stream",
        body = String
    ))
)]
pub async fn stream(state: web::Data<AppState>) -> HttpResponse {
    let hub = Arc::clone(&state.events);
    let receiver = hub.sender.subscribe();
    let heartbeat = hub.heartbeat;
    let client = Client {
        opened: false,
        closed: hub.closed.load(Ordering::SeqCst),
        receiver,
        ticker: interval_at(Instant::now() + heartbeat, heartbeat),
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
    closed: bool,
    receiver: broadcast::Receiver<Frame>,
    ticker: Interval,
}

impl Client {
    /// The next chunk of the body, or `None` to end it.
    async fn next_chunk(mut self) -> Option<(Result<Bytes, Infallible>, Client)> {
        if !self.opened {
            self.opened = true;
            return Some((Ok(Bytes::from_static(OPENING)), self));
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
