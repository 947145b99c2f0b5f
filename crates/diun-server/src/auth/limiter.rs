//! Failed logins, counted per client address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Refuses an address once it failed `limit` times within `window`, until
/// the window that began with its first failure has passed.
#[derive(Debug)]
pub struct FailureLimiter {
    limit: u32,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl FailureLimiter {
    /// A limiter allowing `limit` failures per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        FailureLimiter { limit: limit.max(1), window, failures: Mutex::new(HashMap::new()) }
    }

    /// `Some(wait)` when the address must wait before trying again.
    pub fn blocked(&self, client: IpAddr) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (count, since) = failures.get(&client)?;
        let left = self.window.checked_sub(since.elapsed())?;
        (*count >= self.limit).then_some(left)
    }

    /// Counts one failure.
    pub fn fail(&self, client: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Forget windows that are over, so the map cannot grow without bound.
        failures.retain(|_, (_, since)| since.elapsed() < self.window);
        let entry = failures.entry(client).or_insert((0, Instant::now()));
        entry.0 += 1;
    }

    /// A successful login clears the address's failures.
    pub fn succeed(&self, client: IpAddr) {
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_ends() {
        let limiter = FailureLimiter::new(3, Duration::from_millis(200));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..2 {
            limiter.fail(a);
        }
        assert_eq!(limiter.blocked(a), None);
        limiter.fail(a);
        assert!(limiter.blocked(a).is_some());
        assert_eq!(limiter.blocked(b), None, "other addresses are not affected");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(limiter.blocked(a), None);
    }

    #[test]
    fn success_clears_failures() {
        let limiter = FailureLimiter::new(2, Duration::from_secs(60));
        let a: IpAddr = "::1".parse().unwrap();
        limiter.fail(a);
        limiter.succeed(a);
        limiter.fail(a);
        assert_eq!(limiter.blocked(a), None);
    }
}
