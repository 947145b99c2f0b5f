//! Group commit: writes that arrive together are committed together.
//!
//! A commit costs a disk sync (SQLite) or a round trip and a WAL flush
//! (PostgreSQL) whatever it holds, so under load one transaction for every
//! waiting notification beats one each. [`GroupCommit`] needs no thread of its
//! own: the first caller to find no commit under way becomes the leader and
//! commits what is queued, batch after batch, until its own item is done;
//! the others wait for their results. Alone, a caller commits at once.
//!
//! Waiting is bounded: an item still queued when its caller's wait limit runs
//! out is withdrawn, never written, and the caller hears so. An item already
//! in a batch being committed is waited for (the commit's own time is bounded
//! by the store's timeouts), so a caller never hears "not stored" of an item
//! that was stored.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Commits items in batches; see the [module documentation](self).
#[derive(Debug)]
pub struct GroupCommit<T, R> {
    state: Mutex<State<T, R>>,
    changed: Condvar,
    max_batch: usize,
}

#[derive(Debug)]
struct State<T, R> {
    queue: VecDeque<(u64, T)>,
    results: HashMap<u64, R>,
    next_ticket: u64,
    leading: bool,
}

/// The item waited longer than its limit before a commit took it; it was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no commit took the write within {0:?}")]
pub struct WaitedTooLong(pub Duration);

impl<T, R> GroupCommit<T, R> {
    /// A group commit of at most `max_batch` items per batch.
    pub fn new(max_batch: usize) -> Self {
        GroupCommit {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                results: HashMap::new(),
                next_ticket: 0,
                leading: false,
            }),
            changed: Condvar::new(),
            max_batch: max_batch.max(1),
        }
    }

    /// Queues `item` and returns its result once a batch holding it is
    /// committed by `commit`, which gets a batch and returns one result per
    /// item, in order.
    ///
    /// `commit` runs on this thread when this caller leads, and may run
    /// several times (one batch each); every caller of one `GroupCommit` must
    /// pass a `commit` that does the same thing.
    pub fn submit(&self, item: T, wait_limit: Duration, commit: impl Fn(Vec<T>) -> Vec<R>) -> Result<R, WaitedTooLong> {
        let deadline = Instant::now() + wait_limit;
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push_back((ticket, item));
        loop {
            if let Some(result) = state.results.remove(&ticket) {
                return Ok(result);
            }
            if !state.leading {
                state.leading = true;
                state = self.lead(state, ticket, &commit);
                continue;
            }
            let now = Instant::now();
            if now < deadline {
                state = self.changed.wait_timeout(state, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
            } else if let Some(at) = state.queue.iter().position(|(t, _)| *t == ticket) {
                // Still queued: withdraw it, so that it is never written.
                state.queue.remove(at);
                return Err(WaitedTooLong(wait_limit));
            } else {
                // In a batch being committed: its result is coming.
                state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
        }
    }

    /// Commits queued batches until `ticket` has its result, then lets
    /// another waiter lead.
    fn lead<'a>(
        &'a self,
        mut state: MutexGuard<'a, State<T, R>>,
        ticket: u64,
        commit: &impl Fn(Vec<T>) -> Vec<R>,
    ) -> MutexGuard<'a, State<T, R>> {
        // Steps down even if `commit` panics, so the waiters are not stuck behind a dead leader.
        struct StepDown<'g, T, R>(&'g GroupCommit<T, R>);
        impl<T, R> Drop for StepDown<'_, T, R> {
            fn drop(&mut self) {
                self.0.lock().leading = false;
                self.0.changed.notify_all();
            }
        }
        let step_down = StepDown(self);
        while !state.results.contains_key(&ticket) && !state.queue.is_empty() {
            let take = state.queue.len().min(self.max_batch);
            let (tickets, items): (Vec<u64>, Vec<T>) = state.queue.drain(..take).unzip();
            drop(state);
            let results = commit(items);
            assert_eq!(results.len(), tickets.len(), "a group commit returns one result per item");
            state = self.lock();
            state.results.extend(tickets.into_iter().zip(results));
            self.changed.notify_all();
        }
        drop(state);
        drop(step_down);
        self.lock()
    }

    fn lock(&self) -> MutexGuard<'_, State<T, R>> {
        // The state is consistent between statements; a panic elsewhere cannot tear it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[test]
    fn alone_a_caller_commits_at_once() {
        let group = GroupCommit::new(8);
        let batches = AtomicUsize::new(0);
        let commit = |items: Vec<i32>| {
            batches.fetch_add(1, Ordering::Relaxed);
            items.into_iter().map(|i| i * 10).collect()
        };
        assert_eq!(group.submit(1, Duration::from_secs(1), commit), Ok(10));
        assert_eq!(group.submit(2, Duration::from_secs(1), commit), Ok(20));
        assert_eq!(batches.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn callers_arriving_during_a_commit_share_the_next_one_and_each_gets_its_own_result() {
        let group = Arc::new(GroupCommit::new(64));
        let batches = Arc::new(Mutex::new(Vec::new()));
        let commit = {
            let batches = Arc::clone(&batches);
            move |items: Vec<usize>| {
                batches.lock().unwrap().push(items.len());
                // A slow commit, like a disk sync: the others queue meanwhile.
                std::thread::sleep(Duration::from_millis(30));
                items.into_iter().map(|i| i + 1000).collect::<Vec<_>>()
            }
        };
        let results: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..32)
                .map(|i| {
                    let (group, commit) = (Arc::clone(&group), commit.clone());
                    scope.spawn(move || group.submit(i, Duration::from_secs(10), commit))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results, (0..32).map(|i| Ok(i + 1000)).collect::<Vec<_>>());
        let batches = batches.lock().unwrap();
        assert_eq!(batches.iter().sum::<usize>(), 32);
        assert!(batches.len() < 32, "some items shared a commit: {batches:?}");
    }

    #[test]
    fn an_item_still_queued_at_its_limit_is_withdrawn_and_never_committed() {
        let group = Arc::new(GroupCommit::new(1));
        let committed = Arc::new(Mutex::new(Vec::new()));
        let commit = {
            let committed = Arc::clone(&committed);
            move |items: Vec<&'static str>| {
                committed.lock().unwrap().extend(items.iter().copied());
                std::thread::sleep(Duration::from_millis(300));
                items.into_iter().map(|_| ()).collect::<Vec<_>>()
            }
        };
        std::thread::scope(|scope| {
            let slow = {
                let (group, commit) = (Arc::clone(&group), commit.clone());
                scope.spawn(move || group.submit("first", Duration::from_secs(5), commit))
            };
            std::thread::sleep(Duration::from_millis(50));
            let late = group.submit("late", Duration::from_millis(50), commit.clone());
            assert_eq!(late, Err(WaitedTooLong(Duration::from_millis(50))));
            assert_eq!(slow.join().unwrap(), Ok(()));
        });
        assert_eq!(*committed.lock().unwrap(), ["first"]);
    }

    #[test]
    fn a_panicking_commit_does_not_stall_the_next_callers() {
        let group = GroupCommit::new(4);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            group.submit(1, Duration::from_secs(1), |_: Vec<i32>| -> Vec<i32> { panic!("the database vanished") })
        }));
        assert!(outcome.is_err());
        assert_eq!(group.submit(2, Duration::from_secs(1), |items: Vec<i32>| items), Ok(2));
    }
}
