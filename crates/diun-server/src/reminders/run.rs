//! Sending reminders: on schedule from a thread of their own, or at once from
//! `diun-dashboard remind --now`.
//!
//! The reminder thread never runs on an actix worker: a slow target, a retry
//! waiting out its backoff or a slow query delays the next reminder, never a
//! webhook or an API call. Each target gets its own thread for its attempts,
//! so a target that is down does not hold up the others.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diun_core::{Store, StoreResult};

use super::digest::Digest;
use super::schedule::{Schedule, SlotClock};
use super::targets::{DeliveryError, Target};
use crate::links::DashboardLinks;
use crate::telemetry;

/// How often the reminder thread looks at the clock at most: a clock set
/// forward (or a machine waking up) is noticed within this time.
const CLOCK_CHECK: Duration = Duration::from_secs(30);

/// The reminder settings, read and checked (see [`crate::settings::Settings::reminders`]).
#[derive(Debug, Clone)]
pub struct Reminders {
    /// When digests go out on their own; `None`: only `remind --now`.
    pub schedule: Option<Schedule>,
    /// Updates pending for longer than this many days are reminded of.
    pub after_days: u32,
    /// Where digests go.
    pub targets: Vec<Target>,
    /// Links into the dashboard, when its public address is set.
    pub links: DashboardLinks,
    /// How failed deliveries are tried again.
    pub retry: RetryPolicy,
}

/// Bounded retries with exponential backoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (at least 1).
    pub attempts: u32,
    /// The wait before the second try; each later wait doubles, up to [`RetryPolicy::MAX_BACKOFF`].
    pub first_backoff: Duration,
}

impl RetryPolicy {
    /// The longest wait between two tries.
    pub const MAX_BACKOFF: Duration = Duration::from_secs(600);

    /// The wait after failed try number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doubled = self.first_backoff.saturating_mul(1 << attempt.saturating_sub(1).min(16));
        doubled.min(Self::MAX_BACKOFF)
    }
}

impl Default for RetryPolicy {
    /// Four tries over about three and a half minutes: 30 s, 1 min, 2 min
    /// apart, long enough for a restarting ntfy or mail server.
    fn default() -> Self {
        RetryPolicy { attempts: 4, first_backoff: Duration::from_secs(30) }
    }
}

/// What became of one target's delivery.
#[derive(Debug)]
pub struct Delivery {
    /// The target, as the log names it.
    pub target: String,
    /// Tries made.
    pub attempts: u32,
    /// The last try's outcome.
    pub result: Result<(), DeliveryError>,
}

/// What a scheduled slot did.
#[derive(Debug)]
pub enum SlotOutcome {
    /// This process sent the digest; one entry per target.
    Sent(Vec<Delivery>),
    /// Nothing has been pending long enough: nothing was sent.
    NothingDue,
    /// Another replica claimed the slot first and sends it.
    ClaimedElsewhere,
}

/// Sends `digest` to every target, each with its retries, all at once; logs
/// and counts every delivery.
pub fn deliver(digest: &Digest, targets: &[Target], retry: RetryPolicy) -> Vec<Delivery> {
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            targets.iter().map(|target| scope.spawn(move || deliver_to(digest, target, retry))).collect();
        handles.into_iter().map(|handle| handle.join().expect("a delivery thread does not panic")).collect()
    })
}

fn deliver_to(digest: &Digest, target: &Target, retry: RetryPolicy) -> Delivery {
    let attempts = retry.attempts.max(1);
    let mut attempt = 1;
    loop {
        let result = target.deliver(digest);
        match &result {
            Ok(()) => {
                log::info!("reminders: sent {} pending update(s) to {target} (try {attempt})", digest.total);
                telemetry::count_reminder_delivery(target.kind(), true);
            }
            Err(err) if err.retryable && attempt < attempts => {
                let wait = retry.backoff(attempt);
                log::warn!("reminders: try {attempt} of {attempts} failed: {err}; trying again in {wait:?}");
                telemetry::count_reminder_retry(target.kind());
                std::thread::sleep(wait);
                attempt += 1;
                continue;
            }
            Err(err) => {
                log::error!("reminders: gave up after {attempt} tr{}: {err}", if attempt == 1 { "y" } else { "ies" });
                telemetry::count_reminder_delivery(target.kind(), false);
            }
        }
        return Delivery { target: target.to_string(), attempts: attempt, result };
    }
}

/// Runs the slot due at `slot`: claims it, so that of several replicas
/// sharing the database only one sends it, then builds the digest as of
/// `now` and, when anything qualifies, sends it.
///
/// The claim comes first and stays even when the sending fails: a replica
/// that dies mid-way costs one reminder, never a duplicate.
pub fn run_slot(
    store: &dyn Store,
    reminders: &Reminders,
    slot: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<SlotOutcome> {
    let key = reminders.schedule.as_ref().map_or_else(|| "unscheduled".to_owned(), |schedule| schedule.key());
    if !store.claim_reminder_slot(&key, slot, now)? {
        log::info!("reminders: the slot of {} was sent by another replica", slot.to_rfc3339());
        telemetry::count_reminder_run("other_replica");
        return Ok(SlotOutcome::ClaimedElsewhere);
    }
    let Some(digest) = Digest::build(store, reminders.after_days, now, &reminders.links)? else {
        log::info!("reminders: no update pending for more than {} day(s); nothing sent", reminders.after_days);
        telemetry::count_reminder_run("nothing_due");
        return Ok(SlotOutcome::NothingDue);
    };
    telemetry::count_reminder_run("sent");
    Ok(SlotOutcome::Sent(deliver(&digest, &reminders.targets, reminders.retry)))
}

/// Follows the schedule on a thread of its own for as long as the process
/// lives. Does nothing without a schedule or without targets.
pub fn spawn(store: Arc<dyn Store>, reminders: Reminders) {
    let Some(schedule) = reminders.schedule.clone() else { return };
    if reminders.targets.is_empty() {
        log::warn!("reminders: a schedule is set but no target (DIUN_DASHBOARD_REMINDER_TARGETS): none will be sent");
        return;
    }
    // Counters recorded before the recorder exists would be lost.
    telemetry::install_recorder();
    std::thread::Builder::new()
        .name("reminders".into())
        .spawn(move || {
            let mut clock = SlotClock::start(schedule.clone(), Utc::now());
            log::info!(
                "reminders: {schedule}, to {} target(s); the next at {}",
                reminders.targets.len(),
                clock.next().to_rfc3339()
            );
            loop {
                let now = Utc::now();
                if let Some(slot) = clock.poll(now) {
                    if let Err(err) = run_slot(store.as_ref(), &reminders, slot, now) {
                        log::error!("reminders: the slot of {} failed: {err}", slot.to_rfc3339());
                        telemetry::count_reminder_run("failed");
                    }
                    log::info!("reminders: the next at {}", clock.next().to_rfc3339());
                }
                let until_next = (clock.next() - Utc::now()).to_std().unwrap_or_default();
                std::thread::sleep(until_next.clamp(Duration::from_millis(100), CLOCK_CHECK));
            }
        })
        .expect("the reminder thread starts");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let policy = RetryPolicy { attempts: 10, first_backoff: Duration::from_secs(30) };
        let waits: Vec<u64> = (1..=7).map(|n| policy.backoff(n).as_secs()).collect();
        assert_eq!(waits, vec![30, 60, 120, 240, 480, 600, 600]);
    }
}
