//! Sign-in attempts, counted per client address.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many addresses the limiter remembers at most. Beyond it the oldest
/// window is forgotten, so a flood from many addresses cannot exhaust memory.
pub const DEFAULT_MAX_CLIENTS: usize = 10_000;

/// Refuses an address once it made `limit` unsuccessful attempts within
/// `window`, until the window that began with its first attempt has passed.
///
/// An attempt is counted *before* the password is checked and forgiven only
/// when it succeeds: checking first and counting after let 40 simultaneous
/// guesses through a limit of 5.
#[derive(Debug)]
pub struct FailureLimiter {
    limit: u32,
    window: Duration,
    max_clients: usize,
    attempts: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl FailureLimiter {
    /// A limiter allowing `limit` failures per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self::with_max_clients(limit, window, DEFAULT_MAX_CLIENTS)
    }

    /// Like [`FailureLimiter::new`], remembering at most `max_clients` addresses.
    pub fn with_max_clients(limit: u32, window: Duration, max_clients: usize) -> Self {
        FailureLimiter { limit: limit.max(1), window, max_clients: max_clients.max(1), attempts: Mutex::default() }
    }

    /// Counts one attempt, or says how long the address must wait.
    pub fn attempt(&self, client: IpAddr) -> Result<(), Duration> {
        let key = key(client);
        let mut attempts = self.attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((count, since)) = attempts.get_mut(&key) {
            match self.window.checked_sub(since.elapsed()) {
                Some(left) if *count >= self.limit => return Err(left),
                Some(_) => {
                    *count += 1;
                    return Ok(());
                }
                // The window is over: start a new one below.
                None => {}
            }
        } else if attempts.len() >= self.max_clients {
            attempts.retain(|_, (_, since)| since.elapsed() < self.window);
            if attempts.len() >= self.max_clients {
                let oldest = attempts.iter().min_by_key(|(_, (_, since))| *since).map(|(address, _)| *address);
                attempts.remove(&oldest.expect("the map is full, so not empty"));
            }
        }
        attempts.insert(key, (1, Instant::now()));
        Ok(())
    }

    /// Takes back an attempt that checked no password (the server was too busy).
    pub fn forgive(&self, client: IpAddr) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((count, _)) = attempts.get_mut(&key(client)) {
            *count = count.saturating_sub(1);
        }
    }

    /// A successful sign-in clears the address's attempts.
    pub fn succeed(&self, client: IpAddr) {
        self.attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&key(client));
    }

    /// How many addresses are remembered now.
    pub fn len(&self) -> usize {
        self.attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    /// Whether no address is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The unit that is limited: an IPv4 address, or an IPv6 /64, since one
/// IPv6 client usually holds a whole /64 and could otherwise change address
/// at every attempt.
fn key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn blocks_after_the_limit_until_the_window_ends() {
        let limiter = FailureLimiter::new(3, Duration::from_millis(200));
        let (a, b) = (ip("10.0.0.1"), ip("10.0.0.2"));
        for _ in 0..3 {
            assert_eq!(limiter.attempt(a), Ok(()));
        }
        assert!(limiter.attempt(a).is_err());
        assert_eq!(limiter.attempt(b), Ok(()), "other addresses are not affected");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(limiter.attempt(a), Ok(()));
    }

    #[test]
    fn success_clears_attempts_and_forgiving_takes_one_back() {
        let limiter = FailureLimiter::new(2, Duration::from_secs(60));
        let a = ip("::1");
        limiter.attempt(a).unwrap();
        limiter.succeed(a);
        limiter.attempt(a).unwrap();
        limiter.attempt(a).unwrap();
        limiter.forgive(a);
        assert_eq!(limiter.attempt(a), Ok(()));
        assert!(limiter.attempt(a).is_err());
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let limiter = FailureLimiter::new(2, Duration::from_secs(60));
        limiter.attempt(ip("2001:db8:1:2::1")).unwrap();
        limiter.attempt(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")).unwrap();
        assert!(limiter.attempt(ip("2001:db8:1:2::99")).is_err());
        assert_eq!(limiter.attempt(ip("2001:db8:1:3::1")), Ok(()), "the next /64 is someone else");
        limiter.attempt(ip("::ffff:10.0.0.9")).unwrap();
        limiter.attempt(ip("10.0.0.9")).unwrap();
        assert!(limiter.attempt(ip("10.0.0.9")).is_err(), "an IPv4-mapped address is the IPv4 address");
    }

    #[test]
    fn the_map_stays_bounded_and_forgets_the_oldest() {
        let limiter = FailureLimiter::with_max_clients(1, Duration::from_secs(60), 100);
        for n in 0..1000u32 {
            limiter.attempt(IpAddr::from(n.to_be_bytes())).unwrap();
        }
        assert_eq!(limiter.len(), 100);
        assert!(limiter.attempt(IpAddr::from(999u32.to_be_bytes())).is_err(), "the newest are remembered");
        assert_eq!(limiter.attempt(IpAddr::from(0u32.to_be_bytes())), Ok(()), "the oldest were forgotten");
    }
}
