//! The change feed: how a store's [`Change`]s reach the programs that follow them.
//!
//! [`Store::subscribe`](crate::Store::subscribe) hands out a
//! [`ChangeSubscription`]; a store fans its changes out with a
//! [`ChangeBroadcaster`]. Three promises make a subscription safe to embed:
//!
//! - **Bounded.** Each subscription holds at most
//!   [`capacity`](ChangeSubscription::capacity) changes. A reader that falls
//!   that far behind loses them and gets one [`Change::Resync`] instead
//!   ("refetch everything you show"), so a program that stops reading never
//!   grows memory without limit.
//! - **Never blocks to subscribe.** A feed that needs a connection (the
//!   PostgreSQL store's `LISTEN`) makes it in the background; a subscription
//!   made before it is up gets a [`Change::Resync`] once it is.
//!   [`ChangeSubscription::wait_connected`] waits for it when a program must
//!   not miss a change.
//! - **Blocking or async.** [`ChangeSubscription::recv`] and its iterator
//!   block a thread; with the `stream` feature,
//!   [`ChangeSubscription::into_stream`] gives a [`futures_core::Stream`]
//!   that any async runtime can poll.
//!
//! ```
//! use diun_core::{Change, ChangeBroadcaster};
//!
//! let broadcaster = ChangeBroadcaster::with_capacity(2);
//! let subscription = broadcaster.subscribe();
//! for id in 1..=1000 {
//!     broadcaster.send(&Change::UpdateCreated { id });
//! }
//! // A thousand changes, and the subscription never held more than two:
//! // what it holds now is one `Resync`.
//! assert!(subscription.len() <= 2);
//! assert_eq!(subscription.try_recv(), Ok(Change::Resync));
//! ```

use std::collections::VecDeque;
use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::{Change, StoreError, StoreResult};

/// Hands each change to every live [`ChangeSubscription`] made from it.
///
/// Sending never blocks and never grows a subscription past the
/// broadcaster's capacity; subscriptions whose receiving end was dropped are
/// forgotten at the next send. Dropping the broadcaster ends every
/// subscription (after it has read what it holds).
///
/// A broadcaster is connected when made. A store whose feed depends on a
/// connection marks it [`disconnected`](Self::set_disconnected) while it has
/// none and [`connected`](Self::set_connected) when it has one again; every
/// subscription then gets a [`Change::Resync`].
#[derive(Debug)]
pub struct ChangeBroadcaster {
    capacity: usize,
    hub: Mutex<Hub>,
}

#[derive(Debug)]
struct Hub {
    slots: Vec<Arc<Slot>>,
    /// `Err(reason)` while the feed cannot promise every change.
    connection: Result<(), String>,
}

/// One subscription's queue, shared by the broadcaster and the subscription.
#[derive(Debug)]
struct Slot {
    queue: Mutex<Queue>,
    ready: Condvar,
}

#[derive(Debug)]
struct Queue {
    changes: VecDeque<Change>,
    capacity: usize,
    /// A `Resync` waits at the end of `changes`: it covers whatever comes
    /// before the reader takes it (the reader refetches after taking it).
    resync_queued: bool,
    connection: Result<(), String>,
    /// The reader has taken at least one change.
    delivered: bool,
    /// The broadcaster is gone: nothing more will come.
    closed: bool,
    /// The task of an async reader waiting for a change.
    waker: Option<Waker>,
}

impl Queue {
    fn push(&mut self, change: &Change) {
        if self.resync_queued {
            return;
        }
        if *change == Change::Resync || self.changes.len() >= self.capacity {
            // A resync supersedes everything queued before it.
            self.changes.clear();
            self.changes.push_back(Change::Resync);
            self.resync_queued = true;
        } else {
            self.changes.push_back(change.clone());
        }
    }

    fn pop(&mut self) -> Option<Change> {
        let change = self.changes.pop_front()?;
        if change == Change::Resync {
            self.resync_queued = false;
        }
        self.delivered = true;
        Some(change)
    }
}

impl Slot {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // Every update of a queue is complete before anything can panic.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `change` to the queue and wakes whoever waits on it.
    fn update(&self, change: impl FnOnce(&mut Queue)) {
        let waker = {
            let mut queue = self.lock();
            change(&mut queue);
            queue.waker.take()
        };
        self.ready.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Default for ChangeBroadcaster {
    fn default() -> Self {
        ChangeBroadcaster::with_capacity(Self::DEFAULT_CAPACITY)
    }
}

impl ChangeBroadcaster {
    /// How many changes a subscription holds unless told otherwise.
    pub const DEFAULT_CAPACITY: usize = 1024;

    /// A connected broadcaster without subscriptions, each of which will hold
    /// at most [`Self::DEFAULT_CAPACITY`] changes.
    pub fn new() -> Self {
        ChangeBroadcaster::default()
    }

    /// A connected broadcaster whose subscriptions hold at most `capacity`
    /// changes each (at least 1).
    pub fn with_capacity(capacity: usize) -> Self {
        let hub = Hub { slots: Vec::new(), connection: Ok(()) };
        ChangeBroadcaster { capacity: capacity.max(1), hub: Mutex::new(hub) }
    }

    /// A new subscription that receives every change sent from now on.
    /// Made while the broadcaster is disconnected, it receives
    /// [`Change::Resync`] once it is connected.
    pub fn subscribe(&self) -> ChangeSubscription {
        let mut hub = self.lock();
        let queue = Queue {
            changes: VecDeque::new(),
            capacity: self.capacity,
            resync_queued: false,
            connection: hub.connection.clone(),
            delivered: false,
            closed: false,
            waker: None,
        };
        let slot = Arc::new(Slot { queue: Mutex::new(queue), ready: Condvar::new() });
        hub.slots.push(Arc::clone(&slot));
        ChangeSubscription { slot }
    }

    /// Sends `change` to every live subscription.
    pub fn send(&self, change: &Change) {
        self.send_all(std::slice::from_ref(change));
    }

    /// Sends each of `changes`, in order.
    pub fn send_all(&self, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        let mut hub = self.lock();
        // A subscription holds the only other reference to its slot.
        hub.slots.retain(|slot| Arc::strong_count(slot) > 1);
        for slot in &hub.slots {
            slot.update(|queue| changes.iter().for_each(|change| queue.push(change)));
        }
    }

    /// Marks the feed as missing changes from now on (its connection broke),
    /// for the reason given; [`ChangeSubscription::wait_connected`] reports it.
    pub fn set_disconnected(&self, reason: impl Into<String>) {
        let reason = reason.into();
        let mut hub = self.lock();
        hub.connection = Err(reason.clone());
        for slot in &hub.slots {
            slot.update(|queue| queue.connection = Err(reason.clone()));
        }
    }

    /// Marks the feed as delivering every change from now on. When it was
    /// disconnected, every subscription gets [`Change::Resync`]: it may have
    /// missed changes.
    pub fn set_connected(&self) {
        let mut hub = self.lock();
        if hub.connection.is_ok() {
            return;
        }
        hub.connection = Ok(());
        hub.slots.retain(|slot| Arc::strong_count(slot) > 1);
        for slot in &hub.slots {
            slot.update(|queue| {
                queue.connection = Ok(());
                queue.push(&Change::Resync);
            });
        }
    }

    /// Whether the feed delivers every change now.
    pub fn is_connected(&self) -> bool {
        self.lock().connection.is_ok()
    }

    /// How many subscriptions are live (as of the last send).
    pub fn subscriber_count(&self) -> usize {
        self.lock().slots.len()
    }

    fn lock(&self) -> MutexGuard<'_, Hub> {
        // A panic while holding the lock cannot leave the list inconsistent.
        self.hub.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for ChangeBroadcaster {
    fn drop(&mut self) {
        for slot in &self.lock().slots {
            slot.update(|queue| queue.closed = true);
        }
    }
}

/// The receiving end of a store's change feed; also an iterator that
/// blocks for each change and ends when the feed closes (its store is gone).
///
/// It holds at most [`capacity`](Self::capacity) changes: see the
/// [module docs](self).
#[derive(Debug)]
pub struct ChangeSubscription {
    slot: Arc<Slot>,
}

impl ChangeSubscription {
    /// Waits for the next change; `None` once the feed has closed and every
    /// change it held was read.
    pub fn recv(&self) -> Option<Change> {
        let mut queue = self.slot.lock();
        loop {
            if let Some(change) = queue.pop() {
                return Some(change);
            }
            if queue.closed {
                return None;
            }
            queue = self.slot.ready.wait(queue).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Waits at most `timeout` for the next change.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Change, RecvTimeoutError> {
        let deadline = Instant::now() + timeout;
        let mut queue = self.slot.lock();
        loop {
            if let Some(change) = queue.pop() {
                return Ok(change);
            }
            if queue.closed {
                return Err(RecvTimeoutError::Disconnected);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(RecvTimeoutError::Timeout);
            }
            queue = self.slot.ready.wait_timeout(queue, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// The next change if one is waiting.
    pub fn try_recv(&self) -> Result<Change, TryRecvError> {
        let mut queue = self.slot.lock();
        match queue.pop() {
            Some(change) => Ok(change),
            None if queue.closed => Err(TryRecvError::Disconnected),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Waits at most `timeout` for the feed to deliver every change committed
    /// from now on; fails with [`StoreError::Unavailable`], naming why, when it
    /// still cannot (its database is unreachable) or the feed has closed.
    ///
    /// Call it right after subscribing and before reading the state the feed
    /// keeps up to date: the [`Change::Resync`] a feed sends when it connects
    /// is then redundant, and is dropped if it is all this subscription holds
    /// and it has delivered nothing yet. In-process feeds are always
    /// connected: it returns at once.
    pub fn wait_connected(&self, timeout: Duration) -> StoreResult<()> {
        let queue = self.slot.lock();
        let (mut queue, _) = self
            .slot
            .ready
            .wait_timeout_while(queue, timeout, |queue| queue.connection.is_err() && !queue.closed)
            .unwrap_or_else(PoisonError::into_inner);
        if let Err(reason) = &queue.connection {
            return Err(StoreError::Unavailable(format!("cannot listen for changes: {reason}")));
        }
        if queue.closed {
            return Err(StoreError::Unavailable("the change feed has closed".into()));
        }
        if !queue.delivered && queue.changes == [Change::Resync] {
            queue.changes.clear();
            queue.resync_queued = false;
        }
        Ok(())
    }

    /// Whether the feed delivers every change now (see
    /// [`ChangeBroadcaster::set_disconnected`]).
    pub fn is_connected(&self) -> bool {
        self.slot.lock().connection.is_ok()
    }

    /// How many changes wait to be read; never more than [`Self::capacity`].
    pub fn len(&self) -> usize {
        self.slot.lock().changes.len()
    }

    /// Whether no change waits to be read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most changes this subscription holds; one more turns them all into
    /// a single [`Change::Resync`].
    pub fn capacity(&self) -> usize {
        self.slot.lock().capacity
    }

    /// This subscription as an async [`Stream`](futures_core::Stream) of
    /// changes, for any runtime: no thread waits for it.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use diun_core::{Change, ChangeBroadcaster};
    /// use futures_util::StreamExt;
    ///
    /// let broadcaster = ChangeBroadcaster::new();
    /// let mut changes = broadcaster.subscribe().into_stream();
    /// broadcaster.send(&Change::TagCreated { id: 1 });
    /// assert_eq!(changes.next().await, Some(Change::TagCreated { id: 1 }));
    /// drop(broadcaster);
    /// assert_eq!(changes.next().await, None);
    /// # });
    /// ```
    #[cfg(feature = "stream")]
    pub fn into_stream(self) -> ChangeStream {
        ChangeStream { slot: self.slot }
    }
}

impl Iterator for ChangeSubscription {
    type Item = Change;

    fn next(&mut self) -> Option<Change> {
        self.recv()
    }
}

/// A [`ChangeSubscription`] as a [`Stream`](futures_core::Stream): made by
/// [`ChangeSubscription::into_stream`]; ends when the feed closes.
#[cfg(feature = "stream")]
#[derive(Debug)]
pub struct ChangeStream {
    slot: Arc<Slot>,
}

#[cfg(feature = "stream")]
impl futures_core::Stream for ChangeStream {
    type Item = Change;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Change>> {
        use std::task::Poll;
        let mut queue = self.slot.lock();
        if let Some(change) = queue.pop() {
            return Poll::Ready(Some(change));
        }
        if queue.closed {
            return Poll::Ready(None);
        }
        // Registered under the lock: a change sent after this finds the waker.
        match &mut queue.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            waker => *waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(subscription: &ChangeSubscription) -> Vec<Change> {
        std::iter::from_fn(|| subscription.try_recv().ok()).collect()
    }

    #[test]
    fn every_live_subscription_gets_each_change_and_dropped_ones_are_forgotten() {
        let broadcaster = ChangeBroadcaster::new();
        let (first, second) = (broadcaster.subscribe(), broadcaster.subscribe());
        broadcaster.send(&Change::TagCreated { id: 1 });
        drop(second);
        broadcaster.send_all(&[Change::TagRenamed { id: 1 }, Change::TagDeleted { id: 1 }]);
        assert_eq!(broadcaster.subscriber_count(), 1);
        assert_eq!(
            drain(&first),
            [Change::TagCreated { id: 1 }, Change::TagRenamed { id: 1 }, Change::TagDeleted { id: 1 }]
        );
        drop(broadcaster);
        assert_eq!(first.recv(), None);
        assert_eq!(first.try_recv(), Err(TryRecvError::Disconnected));
    }

    #[test]
    fn a_subscriber_that_never_reads_stays_within_its_bound_and_gets_a_resync() {
        let broadcaster = ChangeBroadcaster::with_capacity(16);
        let (idle, reader) = (broadcaster.subscribe(), broadcaster.subscribe());
        let mut most_held = 0;
        for id in 0..100_000 {
            broadcaster.send(&Change::UpdateCreated { id });
            most_held = most_held.max(idle.len());
            // The other subscriber reads as it goes and misses nothing.
            assert_eq!(reader.try_recv(), Ok(Change::UpdateCreated { id }));
        }
        assert_eq!(most_held, 16);
        assert_eq!(idle.capacity(), 16);
        // Everything it missed is one resync; what comes after it arrives.
        assert_eq!(drain(&idle), [Change::Resync]);
        broadcaster.send(&Change::TagCreated { id: 1 });
        assert_eq!(drain(&idle), [Change::TagCreated { id: 1 }]);
    }

    #[test]
    fn a_change_right_at_the_bound_is_kept() {
        let broadcaster = ChangeBroadcaster::with_capacity(3);
        let subscription = broadcaster.subscribe();
        broadcaster.send_all(&[1, 2, 3].map(|id| Change::TagCreated { id }));
        assert_eq!(drain(&subscription), [1, 2, 3].map(|id| Change::TagCreated { id }));
    }

    #[test]
    fn a_blocked_reader_on_another_thread_wakes_for_each_change_and_at_the_end() {
        let broadcaster = ChangeBroadcaster::new();
        let subscription = broadcaster.subscribe();
        let reader = std::thread::spawn(move || subscription.collect::<Vec<_>>());
        std::thread::sleep(Duration::from_millis(50));
        for id in 0..3 {
            broadcaster.send(&Change::UpdateChanged { id });
        }
        drop(broadcaster);
        assert_eq!(reader.join().unwrap(), (0..3).map(|id| Change::UpdateChanged { id }).collect::<Vec<_>>());
    }

    #[test]
    fn a_feed_that_connects_late_says_resync_to_its_earlier_subscribers() {
        let broadcaster = ChangeBroadcaster::new();
        broadcaster.set_disconnected("no connection yet");
        let early = broadcaster.subscribe();
        let waited = broadcaster.subscribe();
        assert!(!early.is_connected());
        let err = early.wait_connected(Duration::from_millis(20)).unwrap_err();
        assert!(err.to_string().contains("no connection yet"), "{err}");

        let connecting = std::thread::scope(|scope| {
            let waiter = scope.spawn(|| waited.wait_connected(Duration::from_secs(5)));
            std::thread::sleep(Duration::from_millis(50));
            broadcaster.set_connected();
            waiter.join().unwrap()
        });
        assert!(connecting.is_ok());
        // A subscriber that waited before reading anything needs no resync.
        assert_eq!(drain(&waited), []);
        assert_eq!(drain(&early), [Change::Resync]);
        broadcaster.set_connected();
        assert_eq!(drain(&early), [], "connected twice is one resync");
        broadcaster.send(&Change::TagCreated { id: 9 });
        assert_eq!(drain(&early), [Change::TagCreated { id: 9 }]);
    }

    #[test]
    fn a_closed_feed_is_not_waited_for() {
        let broadcaster = ChangeBroadcaster::new();
        broadcaster.set_disconnected("down");
        let subscription = broadcaster.subscribe();
        drop(broadcaster);
        let started = Instant::now();
        assert!(subscription.wait_connected(Duration::from_secs(5)).is_err());
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
