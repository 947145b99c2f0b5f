//! Reminders: a periodic digest of the updates still pending after N days,
//! sent to webhooks, ntfy, Gotify, Slack-style hooks and e-mail.
//!
//! [`schedule`] says when, [`digest`] what, [`targets`] and [`smtp`] where
//! to, and [`run`] does it: on schedule, with retries, counted in the metrics.

pub mod digest;
pub mod run;
pub mod schedule;
pub mod smtp;
pub mod targets;

pub use digest::Digest;
pub use run::{Reminders, RetryPolicy, SlotOutcome};
pub use schedule::Schedule;
pub use targets::Target;
