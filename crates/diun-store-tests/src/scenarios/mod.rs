//! The scenarios: each one states a rule of the domain and checks it.
//!
//! Every scenario takes a factory of fresh stores, so that it can ask for the
//! options it needs (a small history limit) and run several stores if needed.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use diun_core::{
    AckSelector, Change, ChangeSubscription, Notification, Store, StoreError, StoreOptions, TagFilter, TagName, Update,
    UpdateFilter, UpdateStatus,
};

use crate::Harness;

mod export;
mod paging;
mod reminders;
mod triage;
pub use export::*;
pub use paging::*;
pub use reminders::*;
pub use triage::*;

/// Makes a fresh store with the given options.
pub type Make<'a> = &'a dyn Fn(StoreOptions) -> Box<dyn Harness>;

pub(crate) fn fresh(make: Make<'_>) -> Box<dyn Harness> {
    make(StoreOptions::default())
}

/// A fixed instant plus `minutes`, so that orderings are deterministic.
pub(crate) fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap() + Duration::minutes(minutes)
}

pub(crate) fn notification(host: &str, image: &str, digest: &str) -> Notification {
    let body = format!(
        r#"{{"diun_version":"4.33.0","hostname":"{host}","status":"update","provider":"docker",
            "image":"{image}","hub_link":"https://hub.example/{image}","mime_type":"application/vnd.oci.image.index.v1+json",
            "digest":"{digest}","created":"2026-11-20T08:15:00Z","platform":"linux/amd64",
            "metadata":{{"ctn_names":"web","env":"prod"}}}}"#
    );
    Notification::from_json(body.as_bytes()).expect("the test body is valid")
}

pub(crate) fn record(store: &dyn Store, host: &str, image: &str, digest: &str, minute: i64) -> Update {
    store.record_notification(&notification(host, image, digest), at(minute)).expect("record")
}

fn ids(updates: &[Update]) -> Vec<i64> {
    updates.iter().map(|u| u.id).collect()
}

pub(crate) fn list(store: &dyn Store, filter: UpdateFilter) -> Vec<i64> {
    ids(&diun_core::page::all_updates(store, &filter).expect("list"))
}

pub(crate) fn tag(store: &dyn Store, name: &str) -> i64 {
    store.create_tag(&TagName::parse(name).unwrap(), at(0)).expect("create tag").id
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(matches!(result, Err(StoreError::NotFound(_))), "expected NotFound, got {result:?}");
}

/// An unknown (hostname, image) becomes a new pending update with every field.
pub fn new_pair_becomes_pending_update(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let n = notification("nas", "docker.io/library/nginx:1.27", "sha256:a1");
    let update = store.record_notification(&n, at(1)).unwrap();
    assert!(update.id > 0);
    assert_eq!(update.hostname, "nas");
    assert_eq!(update.image, "docker.io/library/nginx:1.27");
    assert_eq!(update.status, UpdateStatus::Update);
    assert_eq!(update.provider, "docker");
    assert_eq!(update.hub_link, "https://hub.example/docker.io/library/nginx:1.27");
    assert_eq!(update.mime_type, "application/vnd.oci.image.index.v1+json");
    assert_eq!(update.digest, "sha256:a1");
    assert_eq!(update.created, Some(Utc.with_ymd_and_hms(2026, 11, 20, 8, 15, 0).unwrap()));
    assert_eq!(update.platform, "linux/amd64");
    assert_eq!(update.diun_version, "4.33.0");
    assert_eq!(update.metadata.get("ctn_names").map(String::as_str), Some("web"));
    assert_eq!((update.first_seen_at, update.last_seen_at), (at(1), at(1)));
    assert_eq!(update.acknowledged_at, None);
    assert_eq!(update.event_count, 1);
    assert_eq!(update.tag, None);
    assert_eq!(store.get_update(update.id).unwrap(), update);
}

/// A re-sent notification (same digest) refreshes the counters and keeps the acknowledgment.
pub fn same_digest_keeps_acknowledgment(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let first = record(store, "nas", "nginx:1.27", "sha256:a1", 1);
    store.set_acknowledged(first.id, true, at(2)).unwrap();
    let again = record(store, "nas", "nginx:1.27", "sha256:a1", 3);
    assert_eq!(again.id, first.id);
    assert_eq!(again.acknowledged_at, Some(at(2)));
    assert_eq!(again.event_count, 2);
    assert_eq!((again.first_seen_at, again.last_seen_at), (at(1), at(3)));
    assert_eq!(diun_core::page::all_updates(store, &UpdateFilter::default()).unwrap().len(), 1);
}

/// A new digest takes the new fields and makes the update pending again.
pub fn new_digest_clears_acknowledgment_and_takes_new_fields(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let first = record(store, "nas", "nginx:1.27", "sha256:a1", 1);
    store.set_acknowledged(first.id, true, at(2)).unwrap();
    let body = br#"{"hostname":"nas","image":"nginx:1.27","status":"new","digest":"sha256:b2",
        "provider":"swarm","platform":"linux/arm64","diun_version":"4.34.0","created":null,"metadata":{"k":"v"}}"#;
    let changed = store.record_notification(&Notification::from_json(body).unwrap(), at(5)).unwrap();
    assert_eq!(changed.id, first.id);
    assert_eq!(changed.acknowledged_at, None);
    assert_eq!(changed.digest, "sha256:b2");
    assert_eq!(changed.status, UpdateStatus::New);
    assert_eq!(changed.provider, "swarm");
    assert_eq!(changed.platform, "linux/arm64");
    assert_eq!(changed.diun_version, "4.34.0");
    assert_eq!(changed.created, None);
    assert_eq!(changed.metadata.into_iter().collect::<Vec<_>>(), vec![("k".to_owned(), "v".to_owned())]);
    assert_eq!((changed.first_seen_at, changed.last_seen_at, changed.event_count), (at(1), at(5), 2));
}

/// `created: null` and `metadata: null` are stored as none and `{}`.
pub fn null_created_and_empty_metadata_round_trip(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let n = Notification::from_json(br#"{"hostname":"vm","image":"a:1","created":null,"metadata":null}"#).unwrap();
    let update = store.record_notification(&n, at(0)).unwrap();
    let loaded = store.get_update(update.id).unwrap();
    assert_eq!(loaded.created, None);
    assert!(loaded.metadata.is_empty());
    let events = store.list_events(update.id).unwrap();
    assert_eq!((events[0].created, events[0].metadata.len()), (None, 0));
}

/// The identity is (hostname, image): the same image on two hosts is two updates.
pub fn same_image_on_two_hosts_are_two_updates(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "nginx:1.27", "sha256:a1", 1);
    let b = record(store, "pi", "nginx:1.27", "sha256:a1", 2);
    let c = record(store, "nas", "nginx:1.28", "sha256:a1", 3);
    assert_eq!(BTreeSet::from([a.id, b.id, c.id]).len(), 3);
}

/// Every notification is kept in history, newest first, up to the history limit.
pub fn history_is_newest_first_and_capped(make: Make<'_>) {
    let h = make(StoreOptions { history_limit: 3, ..StoreOptions::default() });
    let store = h.store();
    let mut last = None;
    for minute in 0..5 {
        last = Some(record(store, "nas", "nginx", &format!("sha256:{minute}"), minute));
    }
    let update = last.unwrap();
    assert_eq!(update.event_count, 5);
    let events = store.list_events(update.id).unwrap();
    let digests: Vec<&str> = events.iter().map(|e| e.digest.as_str()).collect();
    assert_eq!(digests, ["sha256:4", "sha256:3", "sha256:2"]);
    assert_eq!(events[0].received_at, at(4));
    assert!(events.iter().all(|e| e.update_id == update.id));
    // Another update's history has its own cap.
    let other = record(store, "nas", "redis", "sha256:r", 9);
    assert_eq!(store.list_events(other.id).unwrap().len(), 1);
    assert_eq!(store.list_events(update.id).unwrap().len(), 3);
}

/// Listings are ordered by last_seen_at, newest first.
pub fn list_orders_by_last_seen(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "a", "sha256:1", 1);
    let b = record(store, "nas", "b", "sha256:1", 2);
    let c = record(store, "nas", "c", "sha256:1", 3);
    assert_eq!(list(store, UpdateFilter::default()), [c.id, b.id, a.id]);
    record(store, "nas", "a", "sha256:1", 4);
    assert_eq!(list(store, UpdateFilter::default()), [a.id, c.id, b.id]);
}

/// `acknowledged` filters pending from acknowledged.
pub fn filter_by_acknowledged(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "a", "sha256:1", 1);
    let b = record(store, "nas", "b", "sha256:1", 2);
    store.set_acknowledged(a.id, true, at(3)).unwrap();
    assert_eq!(
        list(store, UpdateFilter { state: Some(diun_core::UpdateState::Acknowledged), ..Default::default() }),
        [a.id]
    );
    assert_eq!(
        list(store, UpdateFilter { state: Some(diun_core::UpdateState::Pending), ..Default::default() }),
        [b.id]
    );
}

/// `host` matches the hostname exactly.
pub fn filter_by_host(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "a", "sha256:1", 1);
    record(store, "nas-2", "a", "sha256:1", 2);
    assert_eq!(list(store, UpdateFilter { host: Some("nas".into()), ..Default::default() }), [a.id]);
    assert!(list(store, UpdateFilter { host: Some("na".into()), ..Default::default() }).is_empty());
}

/// `query` is a substring of the image, ignoring case; `%` and `_` are literal.
pub fn filter_by_query_ignores_case_and_wildcards(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let nginx = record(store, "nas", "docker.io/library/nginx:1.27", "sha256:1", 1);
    let under = record(store, "nas", "ghcr.io/a/my_app:1", "sha256:1", 2);
    record(store, "nas", "ghcr.io/a/myxapp:1", "sha256:1", 3);
    let query = |q: &str| list(store, UpdateFilter { query: Some(q.into()), ..Default::default() });
    assert_eq!(query("NGINX"), [nginx.id]);
    assert_eq!(query("library/ngi"), [nginx.id]);
    assert_eq!(query("my_app"), [under.id]);
    assert!(query("%").is_empty());
    assert!(query("nothing-like-it").is_empty());
}

/// `tag` selects images carrying a tag, or images without one.
pub fn filter_by_tag_and_untagged(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let media = tag(store, "media");
    let infra = tag(store, "infra");
    let a = record(store, "nas", "jellyfin", "sha256:1", 1);
    let b = record(store, "nas", "traefik", "sha256:1", 2);
    let c = record(store, "nas", "other", "sha256:1", 3);
    store.assign_tag("jellyfin", media).unwrap();
    store.assign_tag("traefik", infra).unwrap();
    assert_eq!(list(store, UpdateFilter { tag: Some(TagFilter::Id(media)), ..Default::default() }), [a.id]);
    assert_eq!(list(store, UpdateFilter { tag: Some(TagFilter::Id(infra)), ..Default::default() }), [b.id]);
    assert_eq!(list(store, UpdateFilter { tag: Some(TagFilter::Untagged), ..Default::default() }), [c.id]);
    let tagged = store.get_update(a.id).unwrap().tag.unwrap();
    assert_eq!((tagged.id, tagged.name.as_str()), (media, "media"));
}

/// Filters combine with AND.
pub fn filters_combine(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let media = tag(store, "media");
    let want = record(store, "nas", "jellyfin:10", "sha256:1", 1);
    let acked = record(store, "pi", "jellyfin:10", "sha256:1", 2);
    record(store, "nas", "plex:1", "sha256:1", 3);
    store.assign_tag("jellyfin:10", media).unwrap();
    store.set_acknowledged(acked.id, true, at(4)).unwrap();
    let filter = UpdateFilter {
        state: Some(diun_core::UpdateState::Pending),
        tag: Some(TagFilter::Id(media)),
        host: Some("nas".into()),
        query: Some("JELLY".into()),
        ..UpdateFilter::default()
    };
    assert_eq!(list(store, filter), [want.id]);
}

/// Acknowledging one update, and the undo.
pub fn acknowledge_one_and_undo(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "a", "sha256:1", 1);
    let acked = store.set_acknowledged(a.id, true, at(2)).unwrap();
    assert_eq!(acked.acknowledged_at, Some(at(2)));
    assert!(!acked.is_pending());
    let undone = store.set_acknowledged(a.id, false, at(3)).unwrap();
    assert_eq!(undone.acknowledged_at, None);
    assert_eq!(store.get_update(a.id).unwrap().acknowledged_at, None);
}

/// Acknowledging twice keeps the first time.
pub fn acknowledge_keeps_first_time(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "a", "sha256:1", 1);
    store.set_acknowledged(a.id, true, at(2)).unwrap();
    assert_eq!(store.set_acknowledged(a.id, true, at(9)).unwrap().acknowledged_at, Some(at(2)));
    assert_eq!(store.acknowledge(&AckSelector::Ids(vec![a.id]), at(10)).unwrap(), 0);
    assert_eq!(store.get_update(a.id).unwrap().acknowledged_at, Some(at(2)));
}

/// Bulk acknowledgment by ids, by tag and of all returns how many changed.
pub fn bulk_acknowledge_counts_changes(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let media = tag(store, "media");
    let a = record(store, "nas", "a", "sha256:1", 1);
    let b = record(store, "nas", "b", "sha256:1", 2);
    record(store, "nas", "c", "sha256:1", 3);
    record(store, "pi", "c", "sha256:1", 4);
    record(store, "nas", "d", "sha256:1", 5);
    store.assign_tag("c", media).unwrap();
    assert_eq!(store.acknowledge(&AckSelector::Ids(vec![a.id, b.id, 999_999]), at(6)).unwrap(), 2);
    assert_eq!(store.acknowledge(&AckSelector::Ids(vec![a.id]), at(6)).unwrap(), 0);
    assert_eq!(store.acknowledge(&AckSelector::Ids(vec![]), at(6)).unwrap(), 0);
    assert_eq!(store.acknowledge(&AckSelector::Tag(media), at(7)).unwrap(), 2);
    assert_eq!(store.acknowledge(&AckSelector::All, at(8)).unwrap(), 1);
    assert_eq!(store.acknowledge(&AckSelector::All, at(9)).unwrap(), 0);
    assert_eq!(store.get_update(a.id).unwrap().acknowledged_at, Some(at(6)));
    assert!(list(store, UpdateFilter { state: Some(diun_core::UpdateState::Pending), ..Default::default() }).is_empty());
}

/// Acknowledging by a tag that does not exist is an error, not a silent zero.
pub fn bulk_acknowledge_by_unknown_tag_is_not_found(make: Make<'_>) {
    let h = fresh(make);
    assert_not_found(h.store().acknowledge(&AckSelector::Tag(424_242), at(0)));
}

/// Deleting an update removes its history; a later notification starts afresh.
pub fn delete_update_removes_history(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "a", "sha256:1", 1);
    record(store, "nas", "a", "sha256:2", 2);
    store.delete_update(a.id).unwrap();
    assert_not_found(store.get_update(a.id));
    assert_not_found(store.list_events(a.id));
    assert_not_found(store.delete_update(a.id));
    let again = record(store, "nas", "a", "sha256:2", 3);
    assert_eq!((again.event_count, store.list_events(again.id).unwrap().len()), (1, 1));
}

/// Every operation on a missing id says NotFound.
pub fn unknown_ids_are_not_found(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    assert_not_found(store.get_update(77));
    assert_not_found(store.list_events(77));
    assert_not_found(store.set_acknowledged(77, true, at(0)));
    assert_not_found(store.delete_update(77));
    assert_not_found(store.rename_tag(77, &TagName::parse("x").unwrap()));
    assert_not_found(store.delete_tag(77));
    assert_not_found(store.assign_tag("nginx", 77));
}

/// Tag names are unique ignoring case, beyond ASCII too.
pub fn tag_names_unique_ignoring_case(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let created = store.create_tag(&TagName::parse("  Média ").unwrap(), at(1)).unwrap();
    assert_eq!((created.name.as_str(), created.created_at, created.image_count), ("Média", at(1), 0));
    for clash in ["média", "MÉDIA", "Média"] {
        let result = store.create_tag(&TagName::parse(clash).unwrap(), at(2));
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{clash}: {result:?}");
    }
    assert_eq!(store.list_tags().unwrap().len(), 1);
}

/// Renaming keeps the id; renaming onto another tag's name is a conflict; a case change is fine.
pub fn rename_tag(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let media = tag(store, "media");
    tag(store, "infra");
    let renamed = store.rename_tag(media, &TagName::parse("Media").unwrap()).unwrap();
    assert_eq!((renamed.id, renamed.name.as_str()), (media, "Media"));
    let clash = store.rename_tag(media, &TagName::parse("INFRA").unwrap());
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    let names: Vec<String> = store.list_tags().unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["infra", "Media"]);
}

/// Deleting a tag removes its assignments, not the updates.
pub fn delete_tag_removes_assignments(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let media = tag(store, "media");
    let a = record(store, "nas", "jellyfin", "sha256:1", 1);
    store.assign_tag("jellyfin", media).unwrap();
    store.delete_tag(media).unwrap();
    assert_eq!(store.get_update(a.id).unwrap().tag, None);
    assert_eq!(list(store, UpdateFilter { tag: Some(TagFilter::Untagged), ..Default::default() }), [a.id]);
    // The name is free again.
    let again = tag(store, "media");
    assert_eq!(store.list_tags().unwrap()[0].image_count, 0);
    assert_ne!(again, media);
}

/// A tag belongs to the image string on every host; reassigning replaces it; unassigning removes it.
pub fn assignment_follows_image_across_hosts(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let media = tag(store, "media");
    let infra = tag(store, "infra");
    let a = record(store, "nas", "jellyfin", "sha256:1", 1);
    // Assigned before the second host reports it: it still applies.
    let assigned = store.assign_tag("jellyfin", media).unwrap();
    assert_eq!((assigned.id, assigned.name.as_str()), (media, "media"));
    let b = record(store, "pi", "jellyfin", "sha256:1", 2);
    assert_eq!(b.tag.as_ref().map(|t| t.id), Some(media));
    store.assign_tag("jellyfin", infra).unwrap();
    assert_eq!(store.get_update(a.id).unwrap().tag.map(|t| t.id), Some(infra));
    assert_eq!(store.get_update(b.id).unwrap().tag.map(|t| t.id), Some(infra));
    assert!(store.unassign_tag("jellyfin").unwrap());
    assert!(!store.unassign_tag("jellyfin").unwrap());
    assert_eq!(store.get_update(a.id).unwrap().tag, None);
}

/// Assigning to a tag that does not exist fails and writes nothing.
pub fn assignment_to_unknown_tag_is_not_found(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "jellyfin", "sha256:1", 1);
    assert_not_found(store.assign_tag("jellyfin", 31_337));
    assert_eq!(store.get_update(a.id).unwrap().tag, None);
}

/// A tag counts the image strings that carry it.
pub fn tag_counts_images(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let media = tag(store, "media");
    tag(store, "empty");
    for image in ["jellyfin", "sonarr", "radarr"] {
        store.assign_tag(image, media).unwrap();
    }
    let counts: Vec<(String, i64)> = store.list_tags().unwrap().into_iter().map(|t| (t.name, t.image_count)).collect();
    assert_eq!(counts, [("empty".to_owned(), 0), ("media".to_owned(), 3)]);
}

/// Stats count pending updates per host, acknowledged updates and tags.
pub fn stats_count_pending_per_host(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    record(store, "nas", "a", "sha256:1", 1);
    record(store, "nas", "b", "sha256:1", 2);
    let c = record(store, "pi", "a", "sha256:1", 3);
    store.set_acknowledged(c.id, true, at(4)).unwrap();
    tag(store, "media");
    let stats = store.stats().unwrap();
    assert_eq!(stats.pending_by_host.into_iter().collect::<Vec<_>>(), [("nas".to_owned(), 2)]);
    assert_eq!((stats.acknowledged, stats.tags), (1, 1));
}

/// Retention removes only updates acknowledged before the cutoff.
pub fn retention_deletes_old_acknowledged(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let old = record(store, "nas", "old", "sha256:1", 1);
    let recent = record(store, "nas", "recent", "sha256:1", 2);
    let pending = record(store, "nas", "pending", "sha256:1", 3);
    store.set_acknowledged(old.id, true, at(10)).unwrap();
    store.set_acknowledged(recent.id, true, at(30)).unwrap();
    assert_eq!(store.delete_acknowledged_before(at(20)).unwrap(), 1);
    assert_not_found(store.get_update(old.id));
    assert_eq!(list(store, UpdateFilter::default()), [pending.id, recent.id]);
}

const THREADS: usize = 50;

/// 50 threads recording the same image end with one update counting 50 events.
pub fn concurrent_upserts_of_one_image(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    std::thread::scope(|scope| {
        for i in 0..THREADS {
            scope.spawn(move || record(store, "nas", "nginx:1.27", "sha256:same", i as i64));
        }
    });
    let all = diun_core::page::all_updates(store, &UpdateFilter::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].event_count, THREADS as i64);
    assert_eq!(store.list_events(all[0].id).unwrap().len(), THREADS);
}

/// 50 threads recording distinct images end with 50 updates.
pub fn concurrent_upserts_of_distinct_images(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    std::thread::scope(|scope| {
        for i in 0..THREADS {
            scope.spawn(move || record(store, "nas", &format!("image-{i}"), "sha256:1", i as i64));
        }
    });
    let all = diun_core::page::all_updates(store, &UpdateFilter::default()).unwrap();
    assert_eq!(all.len(), THREADS);
    assert!(all.iter().all(|u| u.event_count == 1));
}

/// A healthy store answers a ping.
pub fn ping_answers(make: Make<'_>) {
    fresh(make).store().ping().unwrap();
}

/// How long a scenario waits for a change that must come: generous, since a
/// shared database delivers through the network.
const DELIVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// A subscription that hears every change from now on: a feed that connects
/// in the background (PostgreSQL) is waited for.
pub(crate) fn subscribe(store: &dyn Store) -> ChangeSubscription {
    let feed = store.subscribe().expect("subscribe to the change feed");
    feed.wait_connected(DELIVERY).expect("the change feed connects");
    feed
}

pub(crate) fn next_change(feed: &ChangeSubscription) -> Change {
    feed.recv_timeout(DELIVERY).unwrap_or_else(|err| panic!("no change arrived within {DELIVERY:?}: {err}"))
}

pub(crate) fn expect_change(feed: &ChangeSubscription, expected: Change) {
    assert_eq!(next_change(feed), expected);
}

/// Asserts that nothing arrived since the last change: makes a marker change
/// and expects it to be the next one, so that no-ops need no long sleep.
pub(crate) fn expect_quiet(store: &dyn Store, feed: &ChangeSubscription, what: &str) {
    expect_all_quiet(store, &[feed], what);
}

/// [`expect_quiet`] for several subscriptions of one database.
fn expect_all_quiet(store: &dyn Store, feeds: &[&ChangeSubscription], what: &str) {
    static MARKERS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = MARKERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let marker = store.create_tag(&TagName::parse(&format!("marker {n}")).unwrap(), at(0)).expect("marker").id;
    for feed in feeds {
        assert_eq!(next_change(feed), Change::TagCreated { id: marker }, "{what} must announce nothing");
    }
}

/// Collects the ids of consecutive changes of one kind until they add up to `count`.
fn collect_ids(feed: &ChangeSubscription, count: usize, pick: fn(Change) -> Option<Vec<i64>>) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    let mut announced = 0;
    while announced < count {
        let change = next_change(feed);
        let chunk = pick(change.clone()).unwrap_or_else(|| panic!("unexpected {change:?}"));
        assert!(!chunk.is_empty(), "an empty list in {change:?}");
        announced += chunk.len();
        ids.extend(chunk);
    }
    assert_eq!(ids.len(), announced, "an id announced twice");
    ids
}

fn acknowledged_ids(change: Change) -> Option<Vec<i64>> {
    match change {
        Change::UpdatesAcknowledged { ids } => Some(ids),
        _ => None,
    }
}

fn deleted_ids(change: Change) -> Option<Vec<i64>> {
    match change {
        Change::UpdatesDeleted { ids } => Some(ids),
        _ => None,
    }
}

/// Each change to one update is announced once; what changes nothing, or fails, announces nothing.
pub fn feed_announces_update_changes(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let feed = subscribe(store);
    let id = record(store, "nas", "nginx:1.27", "sha256:a1", 1).id;
    expect_change(&feed, Change::UpdateCreated { id });
    record(store, "nas", "nginx:1.27", "sha256:a1", 2);
    expect_change(&feed, Change::UpdateChanged { id });
    record(store, "nas", "nginx:1.27", "sha256:b2", 3);
    expect_change(&feed, Change::UpdateChanged { id });

    store.set_acknowledged(id, true, at(4)).unwrap();
    expect_change(&feed, Change::UpdatesAcknowledged { ids: vec![id] });
    store.set_acknowledged(id, true, at(5)).unwrap();
    expect_quiet(store, &feed, "acknowledging an acknowledged update");
    store.set_acknowledged(id, false, at(6)).unwrap();
    expect_change(&feed, Change::UpdatesUnacknowledged { ids: vec![id] });
    store.set_acknowledged(id, false, at(7)).unwrap();
    expect_quiet(store, &feed, "making a pending update pending");

    assert_not_found(store.set_acknowledged(id + 100, true, at(8)));
    assert_not_found(store.delete_update(id + 100));
    expect_quiet(store, &feed, "a change to an unknown update");
    store.delete_update(id).unwrap();
    expect_change(&feed, Change::UpdatesDeleted { ids: vec![id] });
}

/// Bulk acknowledgment and retention announce exactly the updates they changed.
pub fn feed_announces_bulk_changes(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let done = record(store, "nas", "a", "sha256:1", 1).id;
    let (b, c) = (record(store, "nas", "b", "sha256:1", 2).id, record(store, "pi", "c", "sha256:1", 3).id);
    store.set_acknowledged(done, true, at(4)).unwrap();
    let feed = subscribe(store);

    assert_eq!(store.acknowledge(&AckSelector::All, at(10)).unwrap(), 2);
    assert_eq!(collect_ids(&feed, 2, acknowledged_ids), BTreeSet::from([b, c]));
    assert_eq!(store.acknowledge(&AckSelector::Ids(vec![b, c, done]), at(11)).unwrap(), 0);
    assert_eq!(store.acknowledge(&AckSelector::All, at(11)).unwrap(), 0);
    expect_quiet(store, &feed, "acknowledging acknowledged updates");

    assert_eq!(store.delete_acknowledged_before(at(10)).unwrap(), 1);
    expect_change(&feed, Change::UpdatesDeleted { ids: vec![done] });
    assert_eq!(store.delete_acknowledged_before(at(10)).unwrap(), 0);
    expect_quiet(store, &feed, "retention that deletes nothing");
    assert_eq!(store.delete_acknowledged_before(at(60)).unwrap(), 2);
    assert_eq!(collect_ids(&feed, 2, deleted_ids), BTreeSet::from([b, c]));
}

/// Hundreds of ids reach a subscriber completely, whatever size limit the
/// backend's transport has (PostgreSQL's payloads hold 8000 bytes).
pub fn feed_carries_long_id_lists(make: Make<'_>) {
    const COUNT: usize = 700;
    let h = fresh(make);
    let store = h.store();
    let all: BTreeSet<i64> =
        (0..COUNT).map(|i| record(store, "nas", &format!("image-{i}"), "sha256:1", 1).id).collect();
    let feed = subscribe(store);
    assert_eq!(store.acknowledge(&AckSelector::All, at(2)).unwrap(), COUNT as u64);
    assert_eq!(collect_ids(&feed, COUNT, acknowledged_ids), all);
    assert_eq!(store.delete_acknowledged_before(at(3)).unwrap(), COUNT as u64);
    assert_eq!(collect_ids(&feed, COUNT, deleted_ids), all);
    expect_quiet(store, &feed, "a finished bulk change");
}

/// Tags and assignments announce their changes; repeating one announces nothing.
pub fn feed_announces_tag_changes(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let feed = subscribe(store);
    let media = tag(store, "media");
    expect_change(&feed, Change::TagCreated { id: media });
    let backup = tag(store, "backup");
    expect_change(&feed, Change::TagCreated { id: backup });
    assert!(matches!(store.create_tag(&TagName::parse("MEDIA").unwrap(), at(1)), Err(StoreError::Conflict(_))));
    expect_quiet(store, &feed, "a refused tag");

    store.rename_tag(media, &TagName::parse("films").unwrap()).unwrap();
    expect_change(&feed, Change::TagRenamed { id: media });
    store.rename_tag(media, &TagName::parse("films").unwrap()).unwrap();
    expect_quiet(store, &feed, "renaming a tag to its own name");

    let image = "docker.io/library/nginx:1.27".to_owned();
    store.assign_tag(&image, media).unwrap();
    expect_change(&feed, Change::AssignmentChanged { image: image.clone(), tag_id: Some(media) });
    store.assign_tag(&image, media).unwrap();
    assert_not_found(store.assign_tag(&image, backup + 100));
    expect_quiet(store, &feed, "assigning an image to its own tag, or to an unknown one");
    store.assign_tag(&image, backup).unwrap();
    expect_change(&feed, Change::AssignmentChanged { image: image.clone(), tag_id: Some(backup) });
    assert!(store.unassign_tag(&image).unwrap());
    expect_change(&feed, Change::AssignmentChanged { image: image.clone(), tag_id: None });
    assert!(!store.unassign_tag(&image).unwrap());
    expect_quiet(store, &feed, "unassigning an image without a tag");

    store.delete_tag(media).unwrap();
    expect_change(&feed, Change::TagDeleted { id: media });
    assert_not_found(store.delete_tag(media));
    expect_quiet(store, &feed, "deleting an unknown tag");
}

/// Every subscription gets each change once; one dropped does not disturb the others.
pub fn feed_reaches_every_subscription_once(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let (first, second, dropped) = (subscribe(store), subscribe(store), subscribe(store));
    drop(dropped);
    let id = record(store, "nas", "a", "sha256:1", 1).id;
    for feed in [&first, &second] {
        expect_change(feed, Change::UpdateCreated { id });
    }
    expect_all_quiet(store, &[&first, &second], "a change already delivered");
}

/// Of 50 concurrent notifications for one new image, exactly one announces a creation.
pub fn feed_announces_one_creation_under_concurrency(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let feed = subscribe(store);
    std::thread::scope(|scope| {
        for i in 0..THREADS {
            scope.spawn(move || record(store, "nas", "nginx:1.27", "sha256:same", i as i64));
        }
    });
    // Everything up to a marker change made afterwards.
    let marker = tag(store, "marker");
    let changes: Vec<Change> = std::iter::from_fn(|| Some(next_change(&feed)))
        .take_while(|c| *c != Change::TagCreated { id: marker })
        .collect();
    let created = changes.iter().filter(|c| matches!(c, Change::UpdateCreated { .. })).count();
    let changed = changes.iter().filter(|c| matches!(c, Change::UpdateChanged { .. })).count();
    // Notifications committed together may be announced once (PostgreSQL
    // delivers one of identical notifications sent in one transaction).
    assert_eq!(created, 1, "{changes:?}");
    assert!((1..THREADS).contains(&changed), "{changes:?}");
    assert_eq!(created + changed, changes.len(), "{changes:?}");
}

/// A subscriber that stops reading holds at most its capacity: the changes
/// it missed become one `Resync`, and what comes after it arrives as usual.
pub fn feed_bounds_a_subscriber_that_does_not_read(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let (idle, watcher) = (subscribe(store), subscribe(store));
    let count = idle.capacity() * 2 + 1;
    let batch: Vec<_> = (0..count).map(|i| (notification("nas", &format!("image-{i}"), "sha256:1"), at(1))).collect();
    assert_eq!(store.record_notifications(&batch).unwrap().len(), count);
    // Once the watcher hears a marker made afterwards, the idle subscriber was
    // sent everything before it too. The watcher reads, but may have
    // overflowed as well when the changes came all at once: its resync covers
    // the marker, so it asks for another after it.
    'watch: for round in 0.. {
        let marker = tag(store, &format!("marker {round}"));
        loop {
            match next_change(&watcher) {
                Change::TagCreated { id } if id == marker => break 'watch,
                Change::Resync => continue 'watch,
                _ => {}
            }
        }
    }
    assert!(idle.len() <= idle.capacity(), "{} changes held, capacity {}", idle.len(), idle.capacity());
    assert_eq!(idle.try_recv(), Ok(Change::Resync));
    assert_eq!(idle.try_recv(), Err(std::sync::mpsc::TryRecvError::Empty), "the resync covers the marker");
    let after = tag(store, "after");
    expect_change(&idle, Change::TagCreated { id: after });
}

/// A second store opened on the same database hears the first one's changes, and the other way round.
pub fn feed_crosses_store_instances(make: Make<'_>) {
    let h = fresh(make);
    let Some(other) = h.reopen() else { return };
    let (store, other) = (h.store(), other.as_ref());
    let (mine, theirs) = (subscribe(store), subscribe(other));
    let id = record(store, "nas", "a", "sha256:1", 1).id;
    expect_change(&theirs, Change::UpdateCreated { id });
    expect_change(&mine, Change::UpdateCreated { id });
    other.set_acknowledged(id, true, at(2)).unwrap();
    expect_change(&mine, Change::UpdatesAcknowledged { ids: vec![id] });
    expect_change(&theirs, Change::UpdatesAcknowledged { ids: vec![id] });
    expect_all_quiet(store, &[&mine, &theirs], "a change already delivered");
    expect_all_quiet(other, &[&mine, &theirs], "a change already delivered");
}

/// Whatever precision the caller's times have (`Utc::now()` carries
/// nanoseconds), every store keeps and gives back the same instant: cut to
/// whole microseconds, as PostgreSQL keeps them. Comparisons use that instant.
pub fn times_come_back_cut_to_microseconds(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let fine = Utc.timestamp_opt(1_795_000_000, 123_456_789).unwrap();
    let cut = Utc.timestamp_opt(1_795_000_000, 123_456_000).unwrap();
    let body = r#"{"hostname": "nas", "image": "nginx:1.27", "digest": "sha256:1",
                   "created": "2026-11-20T08:15:00.987654321Z"}"#;
    let created = Utc.with_ymd_and_hms(2026, 11, 20, 8, 15, 0).unwrap() + Duration::microseconds(987_654);
    let recorded = store.record_notification(&Notification::from_json(body.as_bytes()).unwrap(), fine).unwrap();
    let stored = store.get_update(recorded.id).unwrap();
    for update in [&recorded, &stored] {
        assert_eq!((update.first_seen_at, update.last_seen_at, update.created), (cut, cut, Some(created)));
    }
    let events = store.list_events(recorded.id).unwrap();
    assert_eq!((events[0].received_at, events[0].created), (cut, Some(created)));

    let acknowledged = store.set_acknowledged(recorded.id, true, fine).unwrap();
    assert_eq!(acknowledged.acknowledged_at, Some(cut));
    assert_eq!(store.get_update(recorded.id).unwrap().acknowledged_at, Some(cut));
    let tag = store.create_tag(&TagName::parse("precise").unwrap(), fine).unwrap();
    assert_eq!(tag.created_at, cut);
    assert_eq!(store.list_tags().unwrap()[0].created_at, cut);

    // The clock's own time, as a program passes it.
    let now = Utc::now();
    let again = store.record_notification(&notification("pi", "redis", "sha256:2"), now).unwrap();
    let micros = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap();
    assert_eq!(again.last_seen_at, micros);
    assert_eq!(store.get_update(again.id).unwrap().last_seen_at, micros);

    // A cutoff is cut too: 500 ns after the acknowledgment is the same microsecond.
    assert_eq!(store.delete_acknowledged_before(cut + Duration::nanoseconds(500)).unwrap(), 0);
    assert_eq!(store.delete_acknowledged_before(cut + Duration::microseconds(1)).unwrap(), 1);
}
