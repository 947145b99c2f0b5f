//! Triage for fleets: snoozes, mute rules, acknowledging an image on every
//! host, the grouping by image, and `pending_since`.

use diun_core::{
    AckSelector, Change, ImagePageRequest, NewMuteRule, Notification, Store, UnackSelector, Update, UpdateFilter,
    UpdateState, UpdateStatus,
};

use super::{at, expect_change, expect_quiet, fresh, list, next_change, record, subscribe, Make};

fn state(store: &dyn Store, id: i64) -> UpdateState {
    store.get_update(id).expect("get update").state()
}

fn in_state(state: UpdateState) -> UpdateFilter {
    UpdateFilter { state: Some(state), ..UpdateFilter::default() }
}

/// Records a notification of `status` (the helper `record` sends `update`).
fn record_status(
    store: &dyn Store,
    host: &str,
    image: &str,
    digest: &str,
    status: UpdateStatus,
    minute: i64,
) -> Update {
    let body =
        format!(r#"{{"hostname":"{host}","image":"{image}","digest":"{digest}","status":"{}"}}"#, status.as_str());
    store.record_notification(&Notification::from_json(body.as_bytes()).unwrap(), at(minute)).expect("record")
}

fn rule(pattern: &str, host: Option<&str>, status: Option<UpdateStatus>) -> NewMuteRule {
    NewMuteRule::new(pattern, host, status, "").expect("a valid rule")
}

/// A snoozed update leaves the pending list, the counts know it, and it comes
/// back by itself when its time has come; every step advances the revision
/// and is announced.
pub fn snooze_hides_until_woken(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "nginx:1.27", "sha256:a1", 1);
    let b = record(store, "nas", "redis:7", "sha256:b1", 2);
    let feed = subscribe(store);
    let before = store.revision().unwrap();
    assert_eq!(store.snooze(&AckSelector::Ids(vec![a.id]), at(60)).unwrap(), 1);
    expect_change(&feed, Change::Snoozed { ids: vec![a.id], until: at(60) });
    assert!(store.revision().unwrap() > before);
    let snoozed = store.get_update(a.id).unwrap();
    assert_eq!((snoozed.snoozed_until, snoozed.state()), (Some(at(60)), UpdateState::Snoozed));
    assert!(!snoozed.is_pending());
    assert_eq!(list(store, UpdateFilter::pending()), [b.id]);
    assert_eq!(list(store, in_state(UpdateState::Snoozed)), [a.id]);
    assert_eq!(list(store, UpdateFilter::default()), [b.id, a.id]);
    let summary = store.summary(&UpdateFilter::default()).unwrap();
    assert_eq!((summary.pending, summary.snoozed, summary.muted, summary.total), (1, 1, 0, 2));
    assert_eq!((summary.hosts[0].pending, summary.hosts[0].snoozed), (1, 1));
    assert_eq!(summary.oldest_pending.map(|u| u.id), Some(b.id));
    assert_eq!(store.stats().unwrap().pending_by_host.get("nas"), Some(&1));

    // Snoozing again until the same time changes nothing and announces nothing.
    assert_eq!(store.snooze(&AckSelector::Ids(vec![a.id]), at(60)).unwrap(), 0);
    expect_quiet(store, &feed, "a snooze to the same time");
    // Not yet due.
    assert_eq!(store.wake_snoozed(at(59)).unwrap(), 0);
    expect_quiet(store, &feed, "waking nothing");
    assert_eq!(state(store, a.id), UpdateState::Snoozed);
    let before = store.revision().unwrap();
    assert_eq!(store.wake_snoozed(at(60)).unwrap(), 1);
    expect_change(&feed, Change::Unsnoozed { ids: vec![a.id] });
    assert!(store.revision().unwrap() > before);
    assert_eq!(store.get_update(a.id).unwrap().snoozed_until, None);
    assert_eq!(list(store, UpdateFilter::pending()), [b.id, a.id]);
}

/// A new digest ends a snooze at once; the same digest re-sent does not.
pub fn a_new_digest_ends_a_snooze(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "nginx:1.27", "sha256:a1", 1);
    store.snooze(&AckSelector::Image("nginx:1.27".into()), at(600)).unwrap();
    let again = record(store, "nas", "nginx:1.27", "sha256:a1", 2);
    assert_eq!((again.snoozed_until, again.state()), (Some(at(600)), UpdateState::Snoozed));
    let feed = subscribe(store);
    let changed = record(store, "nas", "nginx:1.27", "sha256:a2", 3);
    expect_change(&feed, Change::UpdateChanged { id: a.id });
    expect_change(&feed, Change::Unsnoozed { ids: vec![a.id] });
    assert_eq!((changed.snoozed_until, changed.state()), (None, UpdateState::Pending));
    assert_eq!(list(store, UpdateFilter::pending()), [a.id]);
}

/// Snoozes skip acknowledged updates; unsnooze ends a snooze early and counts
/// only updates that were snoozed.
pub fn snooze_skips_acknowledged_and_unsnooze_ends_it(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "nginx:1.27", "sha256:a1", 1);
    let b = record(store, "pi", "nginx:1.27", "sha256:a1", 2);
    store.set_acknowledged(a.id, true, at(3)).unwrap();
    assert_eq!(store.snooze(&AckSelector::All, at(60)).unwrap(), 1);
    assert_eq!(store.get_update(a.id).unwrap().snoozed_until, None);
    assert_eq!(state(store, b.id), UpdateState::Snoozed);
    let feed = subscribe(store);
    assert_eq!(store.unsnooze(&[a.id, b.id, 999_999]).unwrap(), 1);
    expect_change(&feed, Change::Unsnoozed { ids: vec![b.id] });
    assert_eq!(store.unsnooze(&[b.id]).unwrap(), 0);
    expect_quiet(store, &feed, "an unsnooze of nothing snoozed");
    assert_eq!(state(store, b.id), UpdateState::Pending);
    // A snooze by filter narrows to the filter's state.
    store
        .snooze(&AckSelector::Filter(UpdateFilter { host: Some("pi".into()), ..UpdateFilter::pending() }), at(9))
        .unwrap();
    assert_eq!(list(store, in_state(UpdateState::Snoozed)), [b.id]);
}

/// A rule mutes matching notifications as they arrive: `*` stays within a
/// path segment; muted updates are stored with their history, shown by their
/// filter, counted, and held by their rule.
pub fn mute_rules_mute_matching_notifications(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let feed = subscribe(store);
    let nightly = store.create_mute_rule(&rule("ghcr.io/acme/*:nightly", None, None), at(0)).unwrap();
    expect_change(&feed, Change::MuteRulesChanged);
    assert_eq!((nightly.pattern.as_str(), nightly.held), ("ghcr.io/acme/*:nightly", 0));
    let muted = record(store, "nas", "ghcr.io/acme/api:nightly", "sha256:1", 1);
    expect_change(&feed, Change::UpdateCreated { id: muted.id });
    expect_change(&feed, Change::Muted { ids: vec![muted.id], rule: nightly.id });
    let deeper = record(store, "nas", "ghcr.io/acme/team/api:nightly", "sha256:2", 2);
    let stable = record(store, "nas", "ghcr.io/acme/api:1.0", "sha256:3", 3);
    assert_eq!((muted.muted_by, muted.state()), (Some(nightly.id), UpdateState::Muted));
    assert_eq!(deeper.state(), UpdateState::Pending);
    assert_eq!(stable.state(), UpdateState::Pending);
    assert_eq!(store.list_events(muted.id).unwrap().len(), 1);
    assert_eq!(list(store, UpdateFilter::pending()), [stable.id, deeper.id]);
    assert_eq!(list(store, in_state(UpdateState::Muted)), [muted.id]);
    let summary = store.summary(&UpdateFilter::default()).unwrap();
    assert_eq!((summary.pending, summary.muted, summary.total), (2, 1, 3));
    let rules = store.list_mute_rules().unwrap();
    assert_eq!(rules.iter().map(|r| (r.id, r.held)).collect::<Vec<_>>(), [(nightly.id, 1)]);
    // A new digest keeps it muted (the rule still covers it); re-sent, nothing changes.
    let renewed = record(store, "nas", "ghcr.io/acme/api:nightly", "sha256:9", 4);
    assert_eq!(renewed.muted_by, Some(nightly.id));
    // Acknowledged, it is no longer held; undone, it is muted again.
    store.set_acknowledged(muted.id, true, at(5)).unwrap();
    assert_eq!(store.list_mute_rules().unwrap()[0].held, 0);
    store.set_acknowledged(muted.id, false, at(6)).unwrap();
    assert_eq!(state(store, muted.id), UpdateState::Muted);
}

/// A rule restricted to a host and a status mutes only those notifications;
/// a new digest whose status the rule does not cover unmutes.
pub fn mute_rules_restrict_to_host_and_status(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let only_new = store.create_mute_rule(&rule("**", Some("nas"), Some(UpdateStatus::New)), at(0)).unwrap();
    let new_on_nas = record_status(store, "nas", "nginx:1", "sha256:1", UpdateStatus::New, 1);
    let update_on_nas = record_status(store, "nas", "redis:7", "sha256:2", UpdateStatus::Update, 2);
    let new_on_pi = record_status(store, "pi", "nginx:1", "sha256:1", UpdateStatus::New, 3);
    assert_eq!(new_on_nas.muted_by, Some(only_new.id));
    assert_eq!(update_on_nas.muted_by, None);
    assert_eq!(new_on_pi.muted_by, None);
    let feed = subscribe(store);
    let now_update = record_status(store, "nas", "nginx:1", "sha256:5", UpdateStatus::Update, 4);
    expect_change(&feed, Change::UpdateChanged { id: new_on_nas.id });
    expect_change(&feed, Change::Unmuted { ids: vec![new_on_nas.id] });
    assert_eq!(now_update.state(), UpdateState::Pending);
}

/// A new rule mutes the open updates it covers, not acknowledged ones nor
/// those another rule holds.
pub fn a_new_rule_mutes_open_updates(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let open = record(store, "nas", "nginx:1.27", "sha256:a", 1);
    let snoozed = record(store, "pi", "nginx:1.27", "sha256:a", 2);
    let done = record(store, "box", "nginx:1.27", "sha256:a", 3);
    let other = record(store, "nas", "redis:7", "sha256:b", 4);
    store.snooze(&AckSelector::Ids(vec![snoozed.id]), at(90)).unwrap();
    store.set_acknowledged(done.id, true, at(5)).unwrap();
    let first = store.create_mute_rule(&rule("nginx:1.27", Some("nas"), None), at(6)).unwrap();
    assert_eq!(first.held, 1);
    let feed = subscribe(store);
    let before = store.revision().unwrap();
    let wide = store.create_mute_rule(&rule("nginx:*", None, None), at(7)).unwrap();
    expect_change(&feed, Change::MuteRulesChanged);
    expect_change(&feed, Change::Muted { ids: vec![snoozed.id], rule: wide.id });
    assert!(store.revision().unwrap() > before);
    assert_eq!(wide.held, 1);
    assert_eq!(store.get_update(open.id).unwrap().muted_by, Some(first.id));
    assert_eq!(store.get_update(snoozed.id).unwrap().muted_by, Some(wide.id));
    assert_eq!(store.get_update(done.id).unwrap().muted_by, None);
    assert_eq!(state(store, other.id), UpdateState::Pending);
    let held: Vec<(i64, u64)> = store.list_mute_rules().unwrap().iter().map(|r| (r.id, r.held)).collect();
    assert_eq!(held, [(first.id, 1), (wide.id, 1)]);
}

/// Deleting a rule brings its updates back as they are (a snooze kept), or
/// to the next rule covering them; an unknown rule is not found.
pub fn deleting_a_rule_restores_its_updates(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let first = store.create_mute_rule(&rule("nginx:*", None, None), at(0)).unwrap();
    let a = record(store, "nas", "nginx:1", "sha256:a", 1);
    let b = record(store, "nas", "nginx:2", "sha256:b", 2);
    let second = store.create_mute_rule(&rule("nginx:1", None, None), at(3)).unwrap();
    store.snooze(&AckSelector::Ids(vec![b.id]), at(90)).unwrap();
    assert_eq!(store.get_update(a.id).unwrap().muted_by, Some(first.id));
    let feed = subscribe(store);
    let before = store.revision().unwrap();
    store.delete_mute_rule(first.id).unwrap();
    assert!(store.revision().unwrap() > before);
    let mut changes = vec![next_change(&feed), next_change(&feed), next_change(&feed)];
    changes.sort_by_key(|c| c.kind());
    assert_eq!(
        changes,
        [
            Change::MuteRulesChanged,
            Change::Muted { ids: vec![a.id], rule: second.id },
            Change::Unmuted { ids: vec![b.id] }
        ]
    );
    assert_eq!(store.get_update(a.id).unwrap().muted_by, Some(second.id));
    let b_now = store.get_update(b.id).unwrap();
    assert_eq!((b_now.muted_by, b_now.state(), b_now.snoozed_until), (None, UpdateState::Snoozed, Some(at(90))));
    store.delete_mute_rule(second.id).unwrap();
    assert_eq!(state(store, a.id), UpdateState::Pending);
    assert!(store.list_mute_rules().unwrap().is_empty());
    assert!(matches!(store.delete_mute_rule(second.id), Err(diun_core::StoreError::NotFound(_))));
    // History was kept throughout.
    assert_eq!(store.list_events(a.id).unwrap().len(), 1);
}

/// Acknowledging an image acknowledges it on every host in one change, at one
/// instant, whatever each was (pending, snoozed, muted); the undo by that
/// instant brings each back as it was.
pub fn acknowledge_by_image_across_hosts(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let hosts = ["nas", "pi", "box"];
    let ids: Vec<i64> =
        hosts.iter().enumerate().map(|(i, host)| record(store, host, "nginx:1.27", "sha256:a", i as i64).id).collect();
    let other = record(store, "nas", "nginx:1.28", "sha256:b", 9);
    store.snooze(&AckSelector::Ids(vec![ids[1]]), at(90)).unwrap();
    let on_box = store.create_mute_rule(&rule("nginx:1.27", Some("box"), None), at(10)).unwrap();
    let feed = subscribe(store);
    assert_eq!(store.acknowledge(&AckSelector::Image("nginx:1.27".into()), at(20)).unwrap(), 3);
    expect_change(&feed, Change::UpdatesAcknowledged { ids: ids.clone() });
    for id in &ids {
        assert_eq!(store.get_update(*id).unwrap().acknowledged_at, Some(at(20)));
    }
    assert_eq!(state(store, other.id), UpdateState::Pending);
    assert_eq!(store.acknowledge(&AckSelector::Image("nginx:1.27".into()), at(21)).unwrap(), 0);
    assert_eq!(store.acknowledge(&AckSelector::Image("unknown".into()), at(21)).unwrap(), 0);
    assert_eq!(store.unacknowledge(&UnackSelector::AcknowledgedAt(at(20))).unwrap(), 3);
    assert_eq!(
        ids.iter().map(|id| state(store, *id)).collect::<Vec<_>>(),
        [UpdateState::Pending, UpdateState::Snoozed, UpdateState::Muted]
    );
    assert_eq!(store.get_update(ids[2]).unwrap().muted_by, Some(on_box.id));
    // The image filter lists it on every host.
    let by_image = UpdateFilter { image: Some("nginx:1.27".into()), ..UpdateFilter::default() };
    assert_eq!(list(store, by_image).len(), 3);
}

/// The grouping by image: each image once with its hosts, counts per state,
/// newest digest, first and last seen; ordered by last seen; paged; an image
/// appears when one of its updates matches, with counts over those.
pub fn images_group_updates_across_hosts(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    record(store, "pi", "nginx:1.27", "sha256:old", 1);
    let nas = record(store, "nas", "nginx:1.27", "sha256:new", 5);
    let redis = record(store, "nas", "redis:7", "sha256:r", 3);
    record(store, "box", "postgres:16", "sha256:p", 5);
    store.set_acknowledged(nas.id, true, at(6)).unwrap();
    let tag = super::tag(store, "web");
    store.assign_tag("nginx:1.27", tag).unwrap();

    let page = store.list_images(&UpdateFilter::default(), &ImagePageRequest::default()).unwrap();
    let images: Vec<&str> = page.images.iter().map(|g| g.image.as_str()).collect();
    // Same last seen (minute 5): by image reference.
    assert_eq!(images, ["nginx:1.27", "postgres:16", "redis:7"]);
    assert_eq!(page.next, None);
    let nginx = &page.images[0];
    assert_eq!(nginx.hosts, ["nas", "pi"]);
    assert_eq!((nginx.host_count, nginx.pending, nginx.acknowledged, nginx.total), (2, 1, 1, 2));
    assert_eq!(nginx.newest_digest, "sha256:new");
    assert_eq!((nginx.first_seen_at, nginx.last_seen_at), (at(1), at(5)));
    assert_eq!(nginx.tag.as_ref().map(|t| t.id), Some(tag));
    assert_eq!(page.images[2].tag, None);

    // Pending only: nginx counts its pending update alone.
    let pending = store.list_images(&UpdateFilter::pending(), &ImagePageRequest::default()).unwrap();
    let nginx = pending.images.iter().find(|g| g.image == "nginx:1.27").unwrap();
    assert_eq!(
        (nginx.hosts.clone(), nginx.total, nginx.newest_digest.as_str()),
        (vec!["pi".to_owned()], 1, "sha256:old")
    );
    assert_eq!(nginx.last_seen_at, at(1));
    // Acknowledged only: redis has none and is absent.
    let done = store
        .list_images(
            &UpdateFilter { state: Some(UpdateState::Acknowledged), ..UpdateFilter::default() },
            &ImagePageRequest::default(),
        )
        .unwrap();
    assert_eq!(done.images.iter().map(|g| g.image.as_str()).collect::<Vec<_>>(), ["nginx:1.27"]);

    // A walk one group per page sees each image once, in order.
    let mut walked = Vec::new();
    let mut request = ImagePageRequest::first(1).unwrap();
    loop {
        let page = store.list_images(&UpdateFilter::default(), &request).unwrap();
        assert!(page.images.len() <= 1);
        walked.extend(page.images.into_iter().map(|g| g.image));
        match page.next {
            Some(next) => request = ImagePageRequest::after(1, next).unwrap(),
            None => break,
        }
    }
    assert_eq!(walked, ["nginx:1.27", "postgres:16", "redis:7"]);
    // Host filter: only that host's updates make the groups.
    let on_pi = store
        .list_images(&UpdateFilter { host: Some("pi".into()), ..UpdateFilter::default() }, &ImagePageRequest::default())
        .unwrap();
    assert_eq!(on_pi.images.len(), 1);
    assert_eq!(on_pi.images[0].hosts, ["pi"]);
    let redis_group = &page.images[2];
    assert_eq!(
        (redis_group.hosts.clone(), redis_group.pending, redis_group.first_seen_at),
        (vec!["nas".to_owned()], 1, redis.first_seen_at)
    );
}

/// `pending_since`: the first notification, again when a new digest brings
/// back an acknowledged update; `pending_before` finds pending updates waiting since before a time.
pub fn pending_since_and_pending_before(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let a = record(store, "nas", "nginx:1.27", "sha256:a", 1);
    let b = record(store, "nas", "redis:7", "sha256:b", 2);
    assert_eq!((a.pending_since, b.pending_since), (at(1), at(2)));
    // A new digest on a pending update keeps the time; on an acknowledged one it resets it.
    assert_eq!(record(store, "nas", "redis:7", "sha256:b2", 8).pending_since, at(2));
    store.set_acknowledged(a.id, true, at(3)).unwrap();
    assert_eq!(record(store, "nas", "nginx:1.27", "sha256:a", 4).pending_since, at(1));
    let back = record(store, "nas", "nginx:1.27", "sha256:a2", 10);
    assert_eq!((back.pending_since, back.state()), (at(10), UpdateState::Pending));
    let waiting = |t| UpdateFilter { pending_before: Some(t), ..UpdateFilter::default() };
    assert_eq!(list(store, waiting(at(5))), [b.id]);
    assert_eq!(list(store, waiting(at(11))), [a.id, b.id]);
    // Snoozed updates are not pending, so they do not wait.
    store.snooze(&AckSelector::Ids(vec![b.id]), at(90)).unwrap();
    assert_eq!(list(store, waiting(at(11))), [a.id]);
}
