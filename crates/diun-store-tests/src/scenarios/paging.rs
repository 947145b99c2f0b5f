//! Pages, summaries, search, revisions and bulk changes: what a dashboard
//! over a large fleet relies on.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use diun_core::{
    page, AckSelector, Notification, PageRequest, StateCounts, Store, TagFilter, UnackSelector, UpdateFilter,
    UpdatePage,
};

use super::{at, fresh, list, notification, record, tag, Make};

fn page_of(store: &dyn Store, filter: &UpdateFilter, request: &PageRequest) -> UpdatePage {
    store.list_updates(filter, request).expect("list a page")
}

/// Pages hold at most `limit` updates in order; the last page says so.
pub fn pages_are_bounded_and_ordered(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    // Equal last_seen_at for some: ties go by id, descending.
    let ids: Vec<i64> = (0..10).map(|i| record(store, "nas", &format!("img-{i}"), "sha256:1", i / 2).id).collect();
    let mut expected = ids.clone();
    expected.sort_by_key(|id| {
        let i = ids.iter().position(|x| x == id).unwrap() as i64;
        (std::cmp::Reverse(i / 2), std::cmp::Reverse(*id))
    });
    let filter = UpdateFilter::default();
    let mut request = PageRequest::first(4).unwrap();
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let page = page_of(store, &filter, &request);
        sizes.push(page.updates.len());
        seen.extend(page.updates.iter().map(|u| u.id));
        match page.next {
            Some(next) => request = PageRequest::after(4, next).unwrap(),
            None => break,
        }
    }
    assert_eq!(sizes, [4, 4, 2]);
    assert_eq!(seen, expected);
    // Exactly a page's worth: no empty page after it.
    let all = page_of(store, &filter, &PageRequest::first(10).unwrap());
    assert_eq!((all.updates.len(), all.next), (10, None));
    assert_eq!(
        page_of(store, &UpdateFilter { host: Some("none".into()), ..filter }, &PageRequest::default()).updates.len(),
        0
    );
}

/// A small deterministic random source, so that a failure replays.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Paging through the table while another thread records new images and
/// re-notifies known ones (same and new digests) sees every update that
/// existed at the first page exactly once, in the order of that moment.
pub fn paging_sees_each_update_once_while_webhooks_arrive(make: Make<'_>) {
    const EXISTING: i64 = 120;
    for seed in [1_u64, 7, 42] {
        let h = fresh(make);
        let store = h.store();
        let before: Vec<i64> = (0..EXISTING)
            .map(|i| record(store, &format!("host-{}", i % 3), &format!("img-{i}"), "sha256:0", i).id)
            .collect();
        let (started, done) = (AtomicBool::new(false), AtomicBool::new(false));
        let walked = std::thread::scope(|scope| {
            scope.spawn(|| {
                // From the first page on, so that the walk's order is the order of creation.
                while !started.load(Ordering::Relaxed) {
                    std::thread::yield_now();
                }
                let mut random = Lcg(seed);
                let mut minute = EXISTING;
                while !done.load(Ordering::Relaxed) {
                    minute += 1;
                    let i = random.below(EXISTING as u64 + 40);
                    let digest = if random.below(2) == 0 { "sha256:0".to_owned() } else { format!("sha256:{minute}") };
                    let n = notification(&format!("host-{}", i % 3), &format!("img-{i}"), &digest);
                    store.record_notification(&n, at(minute)).expect("record while paging");
                }
            });
            let filter = UpdateFilter::default();
            let mut request = PageRequest::first(1 + (seed % 9) as u32).unwrap();
            let mut walked = Vec::new();
            loop {
                let page = page_of(store, &filter, &request);
                walked.extend(page.updates.iter().map(|u| u.id));
                started.store(true, Ordering::Relaxed);
                std::thread::yield_now();
                match page.next {
                    Some(next) => request = PageRequest::after(request.limit(), next).unwrap(),
                    None => break,
                }
            }
            done.store(true, Ordering::Relaxed);
            walked
        });
        // Every update that existed throughout, once, newest first as of the start.
        let mut expected = before.clone();
        expected.reverse();
        let existing: Vec<i64> = walked.iter().copied().filter(|id| before.contains(id)).collect();
        assert_eq!(existing, expected, "seed {seed}");
        let mut unique = walked.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), walked.len(), "seed {seed}: an update came twice");
    }
}

/// A walk started before a re-notification keeps the update where it stood,
/// with its current fields.
pub fn a_walk_keeps_its_order_and_shows_current_fields(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let old = record(store, "nas", "old", "sha256:1", 1);
    let newer = record(store, "nas", "newer", "sha256:1", 2);
    let filter = UpdateFilter::default();
    let first = page_of(store, &filter, &PageRequest::first(1).unwrap());
    assert_eq!(first.updates[0].id, newer.id);
    let made_later = record(store, "nas", "later", "sha256:1", 3);
    record(store, "nas", "old", "sha256:2", 4);
    let second = page_of(store, &filter, &PageRequest::after(5, first.next.unwrap()).unwrap());
    assert_eq!(second.updates.iter().map(|u| u.id).collect::<Vec<_>>(), [old.id]);
    assert_eq!(second.updates[0].digest, "sha256:2");
    assert_eq!(second.next, None);
    // A new walk sees the present order.
    assert_eq!(list(store, filter), [old.id, made_later.id, newer.id]);
}

/// Search looks into the image, the host and the workload names, ignoring
/// case alike on every backend, every word having to match.
pub fn search_covers_host_and_workload_names(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let body = |host: &str, image: &str, metadata: &str| {
        Notification::from_json(
            format!(r#"{{"hostname":"{host}","image":"{image}","digest":"sha256:1","metadata":{metadata}}}"#)
                .as_bytes(),
        )
        .unwrap()
    };
    let docker = store.record_notification(&body("NAS", "nginx:1.27", r#"{"ctn_names":"/Proxy,web"}"#), at(1)).unwrap();
    let pod = store
        .record_notification(&body("k8s", "jellyfin:10", r#"{"pod_namespace":"Media","pod_name":"jf-0"}"#), at(2))
        .unwrap();
    let accented = store.record_notification(&body("Café", "redis:7", r#"{"ctn_name":"ÉTÉ"}"#), at(3)).unwrap();
    let query = |q: &str| list(store, UpdateFilter { query: Some(q.into()), ..Default::default() });
    assert_eq!(query("proxy"), [docker.id]);
    assert_eq!(query("nas nginx"), [docker.id]);
    assert_eq!(query("nas jellyfin"), Vec::<i64>::new());
    assert_eq!(query("media/JF"), [pod.id]);
    assert_eq!(query("CAFÉ"), [accented.id]);
    assert_eq!(query("été"), [accented.id]);
    assert_eq!(query("_"), Vec::<i64>::new());
}

/// The summary counts pending and acknowledged updates per tag and host,
/// and names the oldest pending one, under the same filters as the list.
pub fn summary_counts_by_tag_and_host(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let empty = store.summary(&UpdateFilter::default()).unwrap();
    assert_eq!((empty.total, empty.oldest_pending, empty.tags.len()), (0, None, 0));
    let media = tag(store, "Media");
    let infra = tag(store, "apps");
    let a = record(store, "nas", "jellyfin", "sha256:1", 5);
    let b = record(store, "pi", "jellyfin", "sha256:1", 3);
    let c = record(store, "nas", "traefik", "sha256:1", 1);
    record(store, "pi", "other", "sha256:1", 4);
    store.assign_tag("jellyfin", media).unwrap();
    store.assign_tag("traefik", infra).unwrap();
    store.set_acknowledged(c.id, true, at(6)).unwrap();
    let summary = store.summary(&UpdateFilter::default()).unwrap();
    assert_eq!((summary.pending, summary.acknowledged, summary.total), (3, 1, 4));
    assert_eq!(summary.oldest_pending.as_ref().map(|u| u.id), Some(b.id));
    let tags: Vec<(Option<&str>, i64, i64)> =
        summary.tags.iter().map(|t| (t.tag.as_ref().map(|t| t.name.as_str()), t.pending, t.acknowledged)).collect();
    assert_eq!(tags, [(Some("apps"), 0, 1), (Some("Media"), 2, 0), (None, 1, 0)]);
    let hosts: Vec<(&str, i64, i64)> =
        summary.hosts.iter().map(|h| (h.hostname.as_str(), h.pending, h.acknowledged)).collect();
    assert_eq!(hosts, [("nas", 1, 1), ("pi", 2, 0)]);
    // Filters narrow every count; the state is ignored.
    let nas = store
        .summary(&UpdateFilter {
            host: Some("nas".into()),
            state: Some(diun_core::UpdateState::Acknowledged),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((nas.pending, nas.acknowledged, nas.oldest_pending.map(|u| u.id)), (1, 1, Some(a.id)));
    let untagged = store.summary(&UpdateFilter { tag: Some(TagFilter::Untagged), ..Default::default() }).unwrap();
    assert_eq!((untagged.total, untagged.tags.len()), (1, 1));
    // Under a tag filter, only that tag's group holds matching updates.
    let of_media = store.summary(&UpdateFilter { tag: Some(TagFilter::Id(media)), ..Default::default() }).unwrap();
    let groups: Vec<_> = of_media.tags.iter().map(|t| (t.tag.as_ref().map(|t| t.id), t.pending)).collect();
    assert_eq!((of_media.total, groups), (2, vec![(Some(media), 2)]));
    let searched = store.summary(&UpdateFilter { query: Some("JELLY".into()), ..Default::default() }).unwrap();
    assert_eq!((searched.total, searched.hosts.len()), (2, 2));
}

/// Every kind of write advances the revision; reads and no-ops do not.
pub fn every_write_advances_the_revision(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let mut last = store.revision().unwrap();
    let mut advanced = |what: &str, store: &dyn Store| {
        let now = store.revision().unwrap();
        assert!(now > last, "{what} did not advance the revision ({last} → {now})");
        last = now;
    };
    let a = record(store, "nas", "a", "sha256:1", 1);
    advanced("a new update", store);
    record(store, "nas", "a", "sha256:1", 2);
    advanced("a re-sent notification", store);
    store.set_acknowledged(a.id, true, at(3)).unwrap();
    advanced("an acknowledgment", store);
    store.unacknowledge(&UnackSelector::Ids(vec![a.id])).unwrap();
    advanced("an undo", store);
    store.acknowledge(&AckSelector::All, at(4)).unwrap();
    advanced("a bulk acknowledgment", store);
    let media = tag(store, "media");
    advanced("a new tag", store);
    store.rename_tag(media, &diun_core::TagName::parse("films").unwrap()).unwrap();
    advanced("a rename", store);
    store.assign_tag("a", media).unwrap();
    advanced("an assignment", store);
    store.set_image_tags(&["a".to_owned()], None).unwrap();
    advanced("a bulk unassignment", store);
    store.delete_tag(media).unwrap();
    advanced("a deleted tag", store);
    assert_eq!(store.delete_acknowledged_before(at(10)).unwrap(), 1);
    advanced("retention", store);
    let b = record(store, "nas", "b", "sha256:1", 5);
    store.delete_update(b.id).unwrap();
    advanced("a deletion", store);
    // Nothing to change: the revision stays, so clients keep their copies.
    store.acknowledge(&AckSelector::All, at(6)).unwrap();
    store.summary(&UpdateFilter::default()).unwrap();
    assert_eq!(store.revision().unwrap(), last);
}

/// A bulk acknowledgment by filter changes only what matches, and its
/// instant undoes it; ids undo too.
pub fn acknowledge_by_filter_and_undo_by_instant(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "nginx", "sha256:1", 1);
    let b = record(store, "pi", "nginx", "sha256:1", 2);
    let c = record(store, "nas", "redis", "sha256:1", 3);
    let earlier = store.acknowledge(&AckSelector::Ids(vec![c.id]), at(4)).unwrap();
    assert_eq!(earlier, 1);
    let selector = AckSelector::Filter(UpdateFilter { query: Some("nginx".into()), ..Default::default() });
    assert_eq!(store.acknowledge(&selector, at(5)).unwrap(), 2);
    let pending = UpdateFilter::pending();
    assert!(list(store, pending.clone()).is_empty());
    assert_eq!(store.unacknowledge(&UnackSelector::AcknowledgedAt(at(5))).unwrap(), 2);
    assert_eq!(list(store, pending.clone()), [b.id, a.id]);
    assert!(store.get_update(c.id).unwrap().acknowledged_at.is_some(), "another acknowledgment stays");
    assert_eq!(store.unacknowledge(&UnackSelector::Ids(vec![c.id, a.id, 999])).unwrap(), 1);
    assert_eq!(list(store, pending), [c.id, b.id, a.id]);
}

/// Acknowledging 40,000 pending updates at once works, by ids and by filter.
pub fn bulk_acknowledge_of_forty_thousand(make: Make<'_>) {
    const COUNT: i64 = 40_000;
    let h = fresh(make);
    let store = h.store();
    let mut ids = Vec::new();
    for chunk in (0..COUNT).collect::<Vec<_>>().chunks(2_000) {
        let batch: Vec<_> =
            chunk.iter().map(|i| (notification("nas", &format!("img-{i}"), "sha256:1"), at(*i))).collect();
        ids.extend(store.record_notifications(&batch).expect("record a batch").into_iter().map(|u| u.id));
    }
    assert_eq!(store.acknowledge(&AckSelector::Ids(ids), at(COUNT + 1)).unwrap(), COUNT as u64);
    assert_eq!(store.unacknowledge(&UnackSelector::AcknowledgedAt(at(COUNT + 1))).unwrap(), COUNT as u64);
    let all = AckSelector::Filter(UpdateFilter { host: Some("nas".into()), ..Default::default() });
    assert_eq!(store.acknowledge(&all, at(COUNT + 2)).unwrap(), COUNT as u64);
    assert_eq!(store.summary(&UpdateFilter::default()).unwrap().acknowledged, COUNT);
}

/// Several images move to a tag, or out of it, in one call.
pub fn images_move_between_tags_in_bulk(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let media = tag(store, "media");
    for (i, image) in ["a", "b", "c"].iter().enumerate() {
        record(store, "nas", image, "sha256:1", i as i64);
    }
    store.assign_tag("a", media).unwrap();
    let images = ["a", "b", "c"].map(String::from);
    assert_eq!(store.set_image_tags(&images, Some(media)).unwrap(), 2);
    let by_tag: BTreeMap<String, Option<i64>> = page::all_updates(store, &UpdateFilter::default())
        .unwrap()
        .into_iter()
        .map(|u| (u.image, u.tag.map(|t| t.id)))
        .collect();
    assert!(by_tag.values().all(|t| *t == Some(media)), "{by_tag:?}");
    assert_eq!(store.set_image_tags(&images[..2], None).unwrap(), 2);
    assert_eq!(list(store, UpdateFilter { tag: Some(TagFilter::Id(media)), ..Default::default() }).len(), 1);
    assert!(matches!(store.set_image_tags(&images, Some(424_242)), Err(diun_core::StoreError::NotFound(_))));
}

/// Four notifications: two new updates, then the first seen again and with a new digest.
fn batch_of_four() -> Vec<(Notification, chrono::DateTime<chrono::Utc>)> {
    vec![
        (notification("nas", "nginx", "sha256:1"), at(1)),
        (notification("pi", "nginx", "sha256:1"), at(2)),
        (notification("nas", "nginx", "sha256:1"), at(3)),
        (notification("nas", "nginx", "sha256:2"), at(4)),
    ]
}

/// What recording [`batch_of_four`] must leave, given the updates it
/// returned: the first update seen three times, history and feed to match.
fn assert_batch_of_four_recorded(
    store: &dyn Store,
    feed: &diun_core::ChangeSubscription,
    updates: &[diun_core::Update],
) {
    assert_eq!(updates.len(), 4);
    let nas = store.get_update(updates[0].id).unwrap();
    assert_eq!([updates[2].id, updates[3].id], [nas.id, nas.id]);
    assert_eq!((nas.event_count, nas.digest.as_str(), nas.last_seen_at), (3, "sha256:2", at(4)));
    assert_eq!(store.list_events(nas.id).unwrap().len(), 3);
    assert_eq!((updates[1].hostname.as_str(), updates[1].event_count), ("pi", 1));
    // PostgreSQL delivers one of identical notifications sent in one transaction.
    let mut announced: Vec<_> =
        std::iter::from_fn(|| feed.recv_timeout(std::time::Duration::from_secs(2)).ok()).take(4).collect();
    announced.dedup();
    assert_eq!(
        announced,
        [
            diun_core::Change::UpdateCreated { id: nas.id },
            diun_core::Change::UpdateCreated { id: updates[1].id },
            diun_core::Change::UpdateChanged { id: nas.id },
        ]
    );
}

/// A batch records each notification as one call would, in order, in one transaction.
pub fn a_batch_records_like_single_calls(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let feed = super::subscribe(store);
    let updates = store.record_notifications(&batch_of_four()).unwrap();
    assert_batch_of_four_recorded(store, &feed, &updates);
    assert!(store.record_notifications(&[]).unwrap().is_empty());
}

/// `record_each` stores a batch as `record_notifications` does, and answers
/// each notification with its update (as it or a later notification of the
/// batch left it: the stores load the updates once the batch is recorded).
pub fn each_of_a_batch_records_like_single_calls(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let feed = super::subscribe(store);
    let updates: Vec<_> = store.record_each(batch_of_four()).into_iter().map(Result::unwrap).collect();
    assert_batch_of_four_recorded(store, &feed, &updates);
    assert_eq!(updates[3], store.get_update(updates[3].id).unwrap());
    assert_eq!(updates[1], store.get_update(updates[1].id).unwrap());
    assert!(store.record_each(Vec::new()).is_empty());
}

/// The summary's counts follow every kind of write: each is checked against
/// the counts of the listed updates, unfiltered and per host and tag.
pub fn summary_follows_every_kind_of_write(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let check = |step: &str| assert_summary_counts(store, step);
    let a = record(store, "nas", "jellyfin", "sha256:1", 1);
    record(store, "pi", "jellyfin", "sha256:1", 2);
    let c = record(store, "nas", "traefik", "sha256:1", 3);
    record(store, "pi", "redis", "sha256:1", 4);
    let batch: Vec<_> =
        ["nas", "pi", "vps"].iter().map(|host| (notification(host, "postgres", "sha256:1"), at(5))).collect();
    store.record_notifications(&batch).unwrap();
    check("notifications");
    let media = tag(store, "media");
    let infra = tag(store, "infra");
    store.assign_tag("jellyfin", media).unwrap();
    check("an assignment");
    store.assign_tag("jellyfin", infra).unwrap();
    check("a move to another tag");
    store.set_image_tags(&["postgres".to_owned(), "traefik".to_owned(), "jellyfin".to_owned()], Some(media)).unwrap();
    check("a bulk move");
    store.unassign_tag("traefik").unwrap();
    check("an unassignment");
    store.set_acknowledged(a.id, true, at(6)).unwrap();
    store.acknowledge(&AckSelector::Tag(media), at(7)).unwrap();
    check("acknowledgments");
    store.unacknowledge(&UnackSelector::AcknowledgedAt(at(7))).unwrap();
    check("an undo");
    store.snooze(&AckSelector::Ids(vec![c.id]), at(60)).unwrap();
    check("a snooze");
    let rule =
        store.create_mute_rule(&diun_core::NewMuteRule::new("post*", Some("pi"), None, "").unwrap(), at(8)).unwrap();
    check("a mute rule");
    record(store, "pi", "postgres", "sha256:2", 9);
    record(store, "nas", "traefik", "sha256:2", 9);
    check("new digests of a muted and a snoozed update");
    store.snooze(&AckSelector::All, at(60)).unwrap();
    store.wake_snoozed(at(61)).unwrap();
    check("snoozes woken");
    store.delete_mute_rule(rule.id).unwrap();
    check("a deleted rule");
    store.delete_tag(media).unwrap();
    check("a deleted tag");
    store.acknowledge(&AckSelector::All, at(10)).unwrap();
    store.delete_acknowledged_before(at(11)).unwrap();
    check("retention");
    let d = record(store, "nas", "redis", "sha256:1", 12);
    record(store, "vps", "redis", "sha256:1", 12);
    store.assign_tag("redis", infra).unwrap();
    store.delete_update(d.id).unwrap();
    check("a deletion");
    let mut records = Vec::new();
    store
        .export(&mut |record| {
            records.push(record);
            Ok(())
        })
        .unwrap();
    let other = fresh(make);
    other.store().import(&mut records.into_iter().map(Ok), false).unwrap();
    assert_summary_counts(other.store(), "an import");
}

/// Asserts that the summaries of `store` (unfiltered, by host `nas`,
/// untagged and by each tag) count what its listed updates hold; `step`
/// names what came before, for the failure message.
pub fn assert_summary_counts(store: &dyn Store, step: &str) {
    let updates = diun_core::page::all_updates(store, &UpdateFilter::default()).unwrap();
    let mut filters = vec![
        UpdateFilter::default(),
        UpdateFilter { host: Some("nas".into()), ..Default::default() },
        UpdateFilter { tag: Some(TagFilter::Untagged), ..Default::default() },
    ];
    for tag in store.list_tags().unwrap() {
        filters.push(UpdateFilter { tag: Some(TagFilter::Id(tag.id)), ..Default::default() });
    }
    for filter in filters {
        let matching = updates.iter().filter(|u| {
            filter.host.as_ref().is_none_or(|host| &u.hostname == host)
                && match filter.tag {
                    Some(TagFilter::Id(id)) => u.tag.as_ref().is_some_and(|tag| tag.id == id),
                    Some(TagFilter::Untagged) => u.tag.is_none(),
                    None => true,
                }
        });
        let mut by_tag: BTreeMap<Option<i64>, StateCounts> = BTreeMap::new();
        let mut by_host: BTreeMap<String, StateCounts> = BTreeMap::new();
        for update in matching {
            by_tag.entry(update.tag.as_ref().map(|tag| tag.id)).or_default().add(update.state());
            by_host.entry(update.hostname.clone()).or_default().add(update.state());
        }
        let summary = store.summary(&filter).unwrap();
        let counts = |pending, snoozed, muted, acknowledged| StateCounts { pending, snoozed, muted, acknowledged };
        let mut tags: Vec<_> = summary
            .tags
            .iter()
            .map(|t| (t.tag.as_ref().map(|tag| tag.id), counts(t.pending, t.snoozed, t.muted, t.acknowledged)))
            .collect();
        tags.sort_by_key(|(id, _)| id.map_or(i64::MAX, |id| id));
        let mut expected: Vec<_> = by_tag.into_iter().collect();
        expected.sort_by_key(|(id, _)| id.map_or(i64::MAX, |id| id));
        assert_eq!(tags, expected, "after {step}: the counts per tag, {filter:?}");
        let hosts: Vec<_> = summary
            .hosts
            .iter()
            .map(|h| (h.hostname.clone(), counts(h.pending, h.snoozed, h.muted, h.acknowledged)))
            .collect();
        assert_eq!(hosts, by_host.into_iter().collect::<Vec<_>>(), "after {step}: the counts per host, {filter:?}");
        let total = StateCounts {
            pending: summary.pending,
            snoozed: summary.snoozed,
            muted: summary.muted,
            acknowledged: summary.acknowledged,
        };
        assert_eq!(total.total(), summary.total, "after {step}: the total, {filter:?}");
    }
}
