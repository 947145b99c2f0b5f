//! What a reminder says: the updates still pending for longer than N days.

use std::fmt::Write;

use chrono::{DateTime, Duration, Utc};
use diun_core::{Store, StoreResult, Update, UpdateFilter, UpdateStatus};
use serde::Serialize;

use crate::links::DashboardLinks;

/// The most updates a digest lists one by one; the rest are counted. A chat
/// message or a push notification with hundreds of lines helps nobody, and
/// ntfy and Gotify cut long messages anyway.
pub const MAX_LISTED: usize = 50;

/// A reminder, ready to be rendered for any target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// The setting: updates pending for longer than this many days.
    pub after_days: u32,
    /// How many updates qualify; `updates` lists the first [`MAX_LISTED`].
    pub total: usize,
    /// The qualifying updates, pending longest first.
    pub updates: Vec<DigestItem>,
    /// How many qualify beyond those listed.
    pub more: usize,
    /// The dashboard's list of pending updates, when its public URL is known.
    pub dashboard_url: Option<String>,
}

/// One pending update in a [`Digest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestItem {
    /// The update's id in the dashboard.
    pub id: i64,
    /// The Diun host.
    pub hostname: String,
    /// The image reference.
    pub image: String,
    /// `new` or `update`.
    pub status: UpdateStatus,
    /// When it became pending.
    pub pending_since: DateTime<Utc>,
    /// Whole days it has been pending, as of the digest.
    pub pending_days: i64,
    /// The update in the dashboard, when its public URL is known.
    pub url: Option<String>,
}

impl Digest {
    /// The digest as of `now`, or `None` when no update has been pending
    /// for longer than `after_days` days (then nothing is sent).
    pub fn build(
        store: &dyn Store,
        after_days: u32,
        now: DateTime<Utc>,
        links: &DashboardLinks,
    ) -> StoreResult<Option<Digest>> {
        let cutoff = now - Duration::days(i64::from(after_days));
        // Pending (not acknowledged, muted or snoozed) since before the cutoff:
        // the store filters; a few hundred rows at most are read.
        let filter = UpdateFilter { pending_before: Some(cutoff), ..UpdateFilter::pending() };
        let mut due: Vec<Update> = diun_core::page::all_updates(store, &filter)?;
        if due.is_empty() {
            return Ok(None);
        }
        due.sort_by(|a, b| a.pending_since.cmp(&b.pending_since).then(a.id.cmp(&b.id)));
        let total = due.len();
        let updates = due
            .into_iter()
            .take(MAX_LISTED)
            .map(|update| DigestItem {
                pending_days: (now - update.pending_since).num_days(),
                pending_since: update.pending_since,
                url: links.update(update.id),
                id: update.id,
                hostname: update.hostname,
                image: update.image,
                status: update.status,
            })
            .collect::<Vec<_>>();
        Ok(Some(Digest {
            generated_at: now,
            after_days,
            total,
            more: total - updates.len(),
            updates,
            dashboard_url: links.pending(),
        }))
    }

    /// A one-line title: a notification's title, an e-mail's subject.
    pub fn title(&self) -> String {
        let updates = if self.total == 1 { "update" } else { "updates" };
        let days = if self.after_days == 1 { "day" } else { "days" };
        format!("Diun Dashboard: {} {updates} pending for more than {} {days}", self.total, self.after_days)
    }

    /// The plain-text body: one line per update, pending longest first, then
    /// the count of the rest and the dashboard's address.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for item in &self.updates {
            let days = if item.pending_days == 1 { "day" } else { "days" };
            let _ = write!(
                text,
                "- {} on {} ({}, pending {} {days}, since {})",
                item.image,
                item.hostname,
                item.status,
                item.pending_days,
                item.pending_since.format("%Y-%m-%d")
            );
            if let Some(url) = &item.url {
                let _ = write!(text, " {url}");
            }
            text.push('\n');
        }
        if self.more > 0 {
            let _ = writeln!(text, "… and {} more.", self.more);
        }
        if let Some(url) = &self.dashboard_url {
            let _ = writeln!(text, "\nTriage them at {url}");
        }
        text
    }

    /// The JSON document a generic webhook receives (see the README).
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "event": "reminder",
            "title": self.title(),
            "generated_at": self.generated_at,
            "after_days": self.after_days,
            "total": self.total,
            "more": self.more,
            "dashboard_url": self.dashboard_url,
            "updates": self.updates,
        })
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use diun_core::{AckSelector, NewMuteRule, Notification, StoreOptions};
    use diun_store_sqlite::SqliteStore;

    use super::*;

    fn notify(store: &dyn Store, host: &str, image: &str, at: DateTime<Utc>) -> Update {
        notify_digest(store, host, image, "sha256:1", at)
    }

    fn notify_digest(store: &dyn Store, host: &str, image: &str, digest: &str, at: DateTime<Utc>) -> Update {
        let body = format!(r#"{{"hostname":"{host}","image":"{image}","digest":"{digest}","status":"update"}}"#);
        store.record_notification(&Notification::from_json(body.as_bytes()).unwrap(), at).unwrap()
    }

    #[test]
    fn lists_updates_pending_longer_than_the_setting_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("d.db").to_str().unwrap(), &StoreOptions::default()).unwrap();
        let now = DateTime::parse_from_rfc3339("2026-12-02T09:00:00Z").unwrap().with_timezone(&Utc);
        let links = DashboardLinks::new(Some("https://diun.example/dash".into()));
        assert_eq!(Digest::build(&store, 3, now, &links).unwrap(), None, "nothing at all: no digest");
        // Re-pending: acknowledged, then a new digest 5 days ago, first seen 40 days ago.
        let repending = notify_digest(&store, "nas", "caddy:2", "sha256:a", now - Duration::days(40));
        store.set_acknowledged(repending.id, true, now - Duration::days(39)).unwrap();
        notify_digest(&store, "nas", "caddy:2", "sha256:b", now - Duration::days(5));
        let digest = Digest::build(&store, 3, now, &links).unwrap().expect("caddy is pending for 5 days");
        assert_eq!((digest.total, digest.updates[0].pending_days), (1, 5));
        store.set_acknowledged(repending.id, true, now).unwrap();
        assert_eq!(Digest::build(&store, 3, now, &links).unwrap(), None);
        notify(&store, "nas", "redis:7", now - Duration::days(2));
        assert_eq!(Digest::build(&store, 3, now, &links).unwrap(), None, "nothing old enough: no digest");
        let old = notify(&store, "nas", "nginx:1.27", now - Duration::days(4));
        let older = notify(&store, "pi", "grafana:11", now - Duration::days(10));
        let acknowledged = notify(&store, "pi", "postgres:17", now - Duration::days(20));
        store.set_acknowledged(acknowledged.id, true, now).unwrap();
        // Snoozed and muted updates are not pending: no reminder of them.
        let snoozed = notify(&store, "pi", "snoozed/app:1", now - Duration::days(20));
        store.snooze(&AckSelector::Ids(vec![snoozed.id]), now + Duration::days(1)).unwrap();
        store.create_mute_rule(&NewMuteRule::new("muted/*", None, None, "").unwrap(), now).unwrap();
        notify(&store, "pi", "muted/app:1", now - Duration::days(20));
        // Acknowledged long ago, then a new digest: pending since that digest, not since its first sighting.
        let again = notify_digest(&store, "nas", "traefik:3", "sha256:a", now - Duration::days(30));
        store.set_acknowledged(again.id, true, now - Duration::days(29)).unwrap();
        notify_digest(&store, "nas", "traefik:3", "sha256:b", now - Duration::days(1));

        let digest = Digest::build(&store, 3, now, &links).unwrap().expect("two qualify");
        assert_eq!(digest.total, 2);
        assert_eq!(digest.more, 0);
        let ids: Vec<i64> = digest.updates.iter().map(|item| item.id).collect();
        assert_eq!(ids, vec![older.id, old.id]);
        assert_eq!(digest.updates[0].pending_days, 10);
        assert_eq!(
            digest.updates[0].url.as_deref(),
            Some(&*format!("https://diun.example/dash/?history={}", older.id))
        );
        assert_eq!(digest.title(), "Diun Dashboard: 2 updates pending for more than 3 days");
        let text = digest.text();
        assert!(text.starts_with("- grafana:11 on pi (update, pending 10 days, since 2026-11-22)"), "{text}");
        assert!(text.contains("Triage them at https://diun.example/dash/"), "{text}");
        for absent in ["postgres", "snoozed", "muted", "traefik"] {
            assert!(!text.contains(absent), "{absent}: {text}");
        }
        let json = digest.json();
        assert_eq!(json["total"], 2);
        assert_eq!(json["updates"][1]["image"], "nginx:1.27");
    }

    #[test]
    fn lists_at_most_fifty_and_counts_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("d.db").to_str().unwrap(), &StoreOptions::default()).unwrap();
        let now = Utc::now();
        for n in 0..(MAX_LISTED + 7) {
            notify(&store, "nas", &format!("app{n}:1"), now - Duration::days(5));
        }
        let digest = Digest::build(&store, 1, now, &DashboardLinks::new(None)).unwrap().unwrap();
        assert_eq!((digest.total, digest.updates.len(), digest.more), (MAX_LISTED + 7, MAX_LISTED, 7));
        assert!(digest.text().contains("… and 7 more."));
        assert!(digest.updates.iter().all(|item| item.url.is_none()));
    }
}
