//! The one-writer-at-a-time lock of a SQLite file, with a bounded wait.
//!
//! SQLite lets one writer in at a time. Writers of this process queue here
//! rather than sleeping and retrying on SQLite's busy lock, which under load
//! put tens of milliseconds on the slowest writes; and they queue for a
//! bounded time, so that a write that cannot start in time fails as
//! unavailable instead of answering late.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use diun_core::StoreError;

/// A lock whose waiters give up after a limit.
#[derive(Debug, Default)]
pub(crate) struct WriterLock {
    held: Mutex<bool>,
    released: Condvar,
}

/// Holds the [`WriterLock`] until dropped.
pub(crate) struct WriterGuard<'a>(&'a WriterLock);

impl WriterLock {
    /// Takes the lock, waiting at most `limit`.
    pub fn acquire(&self, limit: Duration) -> Result<WriterGuard<'_>, StoreError> {
        let deadline = Instant::now() + limit;
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        while *held {
            let now = Instant::now();
            if now >= deadline {
                return Err(StoreError::Unavailable(format!(
                    "another write held the database for more than {limit:?}"
                )));
            }
            held = self.released.wait_timeout(held, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
        *held = true;
        Ok(WriterGuard(self))
    }
}

impl Drop for WriterGuard<'_> {
    fn drop(&mut self) {
        *self.0.held.lock().unwrap_or_else(PoisonError::into_inner) = false;
        self.0.released.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiter_gives_up_after_its_limit_and_gets_in_once_released() {
        let lock = WriterLock::default();
        let held = lock.acquire(Duration::from_secs(1)).unwrap();
        let started = Instant::now();
        assert!(matches!(lock.acquire(Duration::from_millis(50)), Err(StoreError::Unavailable(_))));
        assert!(started.elapsed() >= Duration::from_millis(50));
        drop(held);
        assert!(lock.acquire(Duration::from_millis(50)).is_ok());
    }
}
