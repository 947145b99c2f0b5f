//! Export and import: a dashboard moved from one store to another keeps what
//! it shows, triage included (snoozes, mute rules and which rule mutes what,
//! `pending_since`); an old (version 1) stream still imports; a merge keeps
//! the target's own; a failed import writes nothing.

use diun_core::export::{ExportReader, MuteRuleRecord, Record};
use diun_core::{
    AckSelector, Change, MuteRule, NewMuteRule, Store, StoreError, Summary, UnackSelector, Update, UpdateFilter,
    UpdateState, UpdateStatus,
};

use super::{at, expect_change, fresh, record, subscribe, tag, Make};

fn export(store: &dyn Store) -> Vec<Record> {
    let mut records = Vec::new();
    let counts = store
        .export(&mut |record| {
            records.push(record);
            Ok(())
        })
        .expect("export");
    assert_eq!(counts.total(), records.len() as u64);
    records
}

fn import(store: &dyn Store, records: &[Record], merge: bool) -> Result<diun_core::export::ImportReport, StoreError> {
    store.import(&mut records.iter().cloned().map(Ok), merge)
}

fn make_rule(store: &dyn Store, pattern: &str, host: Option<&str>, status: Option<UpdateStatus>, comment: &str) -> i64 {
    let rule = NewMuteRule::new(pattern, host, status, comment).expect("a valid rule");
    store.create_mute_rule(&rule, at(0)).expect("create rule").id
}

fn find(store: &dyn Store, host: &str, image: &str) -> Update {
    let all = diun_core::page::all_updates(store, &UpdateFilter::default()).expect("list");
    all.into_iter().find(|u| u.hostname == host && u.image == image).unwrap_or_else(|| panic!("{image} on {host}"))
}

/// A rule as shown, its id aside.
fn rule_view(rule: &MuteRule) -> String {
    format!(
        "{} host={:?} status={:?} comment={:?} created={} held={}",
        rule.pattern, rule.hostname, rule.status, rule.comment, rule.created_at, rule.held
    )
}

/// What a dashboard shows of a store, ids aside: each update with its triage
/// state (its rule named by the rule's fields), each rule, the counts.
fn shown(store: &dyn Store) -> (Vec<String>, Vec<String>, String) {
    let rules = store.list_mute_rules().expect("rules");
    let rule_of = |id: Option<i64>| id.map(|id| rule_view(rules.iter().find(|r| r.id == id).expect("its rule exists")));
    let mut updates: Vec<String> = diun_core::page::all_updates(store, &UpdateFilter::default())
        .expect("list")
        .iter()
        .map(|u| {
            format!(
                "{} on {}: {:?} digest={} ack={:?} snoozed={:?} muted_by={:?} pending_since={} seen={}..{} \
                 events={} tag={:?} history={:?}",
                u.image,
                u.hostname,
                u.state(),
                u.digest,
                u.acknowledged_at,
                u.snoozed_until,
                rule_of(u.muted_by),
                u.pending_since,
                u.first_seen_at,
                u.last_seen_at,
                u.event_count,
                u.tag.as_ref().map(|t| &t.name),
                store.list_events(u.id).expect("events").iter().map(|e| e.digest.clone()).collect::<Vec<_>>(),
            )
        })
        .collect();
    updates.sort();
    let summary = store.summary(&UpdateFilter::default()).expect("summary");
    (updates, rules.iter().map(rule_view).collect(), counts(&summary))
}

fn counts(summary: &Summary) -> String {
    let hosts: Vec<String> = summary
        .hosts
        .iter()
        .map(|h| format!("{}: {}/{}/{}/{}", h.hostname, h.pending, h.snoozed, h.muted, h.acknowledged))
        .collect();
    format!(
        "pending {}, snoozed {}, muted {}, acknowledged {}, total {}; oldest pending {:?}; {hosts:?}",
        summary.pending,
        summary.snoozed,
        summary.muted,
        summary.acknowledged,
        summary.total,
        summary.oldest_pending.as_ref().map(|u| (&u.hostname, &u.image)),
    )
}

/// A dashboard in every triage state: pending (tagged; and pending again
/// after an acknowledgment, since later than its first notification),
/// snoozed, muted by each of two rules alike but for their comment (so only
/// the numbering tells them apart), muted by a rule for one host and
/// status, and acknowledged while muted and snoozed.
fn fill(store: &dyn Store) {
    let media = tag(store, "Media");
    store.assign_tag("nginx:1.27", media).unwrap();
    record(store, "nas", "nginx:1.27", "sha256:n1", 1);
    // Pending again since minute 10.
    let again = record(store, "nas", "traefik:3", "sha256:t1", 2);
    store.set_acknowledged(again.id, true, at(3)).unwrap();
    record(store, "nas", "traefik:3", "sha256:t2", 10);
    // Snoozed.
    let snoozed = record(store, "nas", "postgres:16", "sha256:p1", 4);
    store.snooze(&AckSelector::Ids(vec![snoozed.id]), at(600)).unwrap();
    // The younger of two alike rules mutes one update: it was pending (after
    // an undone acknowledgment) only when that rule came.
    let late = record(store, "pi", "ghcr.io/acme/late:nightly", "sha256:l1", 5);
    store.set_acknowledged(late.id, true, at(6)).unwrap();
    let older = make_rule(store, "ghcr.io/acme/*:nightly", None, None, "CI builds");
    record(store, "nas", "ghcr.io/acme/api:nightly", "sha256:a1", 7);
    store.unacknowledge(&UnackSelector::Ids(vec![late.id])).unwrap();
    let younger = make_rule(store, "ghcr.io/acme/*:nightly", None, None, "again,\nwith two lines");
    assert_eq!(store.get_update(late.id).unwrap().muted_by, Some(younger));
    // Acknowledged while muted and snoozed: its undo brings both back.
    let acked = record(store, "pi", "ghcr.io/acme/web:nightly", "sha256:w1", 8);
    assert_eq!(acked.muted_by, Some(older));
    store.snooze(&AckSelector::Ids(vec![acked.id]), at(900)).unwrap();
    store.set_acknowledged(acked.id, true, at(9)).unwrap();
    // A rule for one host and status.
    make_rule(store, "redis:*", Some("pi"), Some(UpdateStatus::Update), "");
    record(store, "pi", "redis:7", "sha256:r1", 11);
    record(store, "nas", "redis:7", "sha256:r1", 12);
}

/// Export then import into an empty store gives back what the dashboard
/// showed, triage included, and the same records; the import is announced
/// and advances the revision; the moved dashboard works on with its rules.
pub fn export_and_import_keep_triage(make: Make<'_>) {
    let source = fresh(make);
    fill(source.store());
    let records = export(source.store());
    let (updates, rules, counts) = shown(source.store());
    // The state filled in, as the source shows it: what the target must show.
    assert_eq!(
        counts,
        "pending 3, snoozed 1, muted 3, acknowledged 1, total 8; oldest pending Some((\"nas\", \"nginx:1.27\")); \
         [\"nas: 3/1/1/0\", \"pi: 0/0/2/1\"]"
    );
    assert_eq!(rules.len(), 3);

    let target = fresh(make);
    let store = target.store();
    let feed = subscribe(store);
    let before = store.revision().unwrap();
    let report = import(store, &records, false).expect("import");
    assert_eq!(report.written.mute_rules, 3);
    assert_eq!(report.written.updates, 8);
    assert_eq!(report.skipped.total(), 0);
    expect_change(&feed, Change::Resync);
    assert!(store.revision().unwrap() > before, "an import advances the revision");
    assert_eq!(shown(store), (updates, rules, counts));
    assert_eq!(export(store), records, "export → import → export gives the same records");

    // Reminders see the same clocks: pending since minute 10, not minute 2.
    let again = find(store, "nas", "traefik:3");
    assert_eq!((again.first_seen_at, again.pending_since), (at(2), at(10)));
    let before_5 = UpdateFilter { pending_before: Some(at(5)), ..UpdateFilter::default() };
    let waiting: Vec<String> =
        diun_core::page::all_updates(store, &before_5).unwrap().into_iter().map(|u| u.image).collect();
    assert_eq!(waiting, ["nginx:1.27"]);

    // The rules are the target's own now, oldest first as in the source.
    let target_rules = store.list_mute_rules().unwrap();
    let [older, younger, redis] = [0, 1, 2].map(|i| target_rules[i].id);
    assert_eq!(target_rules[1].comment, "again,\nwith two lines");
    assert_eq!(find(store, "pi", "ghcr.io/acme/late:nightly").muted_by, Some(younger));
    assert_eq!(find(store, "nas", "ghcr.io/acme/api:nightly").muted_by, Some(older));
    assert_eq!(find(store, "pi", "redis:7").muted_by, Some(redis));
    // Undoing the acknowledgment brings back its mute and snooze.
    let acked = find(store, "pi", "ghcr.io/acme/web:nightly");
    assert_eq!(
        (acked.state(), acked.muted_by, acked.snoozed_until),
        (UpdateState::Acknowledged, Some(older), Some(at(900)))
    );
    store.set_acknowledged(acked.id, false, at(20)).unwrap();
    assert_eq!(store.get_update(acked.id).unwrap().state(), UpdateState::Muted);
    // Deleting the older rule hands its updates to the younger alike one.
    store.delete_mute_rule(older).unwrap();
    assert_eq!(find(store, "nas", "ghcr.io/acme/api:nightly").muted_by, Some(younger));
    // A new notification is muted by the imported rules; the snooze ends by time.
    let new = record(store, "pi", "redis:8", "sha256:r8", 30);
    assert_eq!(new.muted_by, Some(redis));
    assert_eq!(store.wake_snoozed(at(600)).unwrap(), 1);
    assert_eq!(find(store, "nas", "postgres:16").state(), UpdateState::Pending);
}

/// A version 1 stream, from before triage, as that version's writer wrote it.
const VERSION_1: &str = r#"{"format":"diun-dashboard-export","version":1,"generator":"diun-dashboard 0.1.0"}
{"type":"tag","name":"Media","created_at":"2026-11-27T08:00:00.000000Z"}
{"type":"assignment","image":"nginx:1.27","tag":"Media"}
{"type":"update","hostname":"nas","image":"nginx:1.27","status":"update","provider":"docker","hub_link":"","mime_type":"m","digest":"sha256:n2","created":null,"platform":"linux/amd64","diun_version":"4.28.0","metadata":{"ctn_names":"web"},"first_seen_at":"2026-11-27T08:01:00.000000Z","last_seen_at":"2026-11-27T08:30:00.000000Z","acknowledged_at":null,"event_count":2}
{"type":"event","hostname":"nas","image":"nginx:1.27","received_at":"2026-11-27T08:01:00.000000Z","status":"new","digest":"sha256:n1","created":null,"diun_version":"4.28.0","metadata":{}}
{"type":"event","hostname":"nas","image":"nginx:1.27","received_at":"2026-11-27T08:30:00.000000Z","status":"update","digest":"sha256:n2","created":null,"diun_version":"4.28.0","metadata":{"ctn_names":"web"}}
{"type":"update","hostname":"pi","image":"ghcr.io/acme/api:nightly","status":"new","provider":"docker","hub_link":"","mime_type":"m","digest":"sha256:a1","created":"2026-11-20T08:15:00.123456Z","platform":"linux/arm64","diun_version":"4.28.0","metadata":{},"first_seen_at":"2026-11-27T08:02:00.000000Z","last_seen_at":"2026-11-27T08:02:00.000000Z","acknowledged_at":"2026-11-27T08:03:00.000000Z","event_count":1}
{"type":"end","tags":1,"assignments":1,"updates":2,"events":2}
"#;

/// An old backup still imports: nothing snoozed or muted, no rule, each
/// update pending since its first notification (what the triage migration
/// gave the rows before it), the rest as before.
pub fn a_version_1_stream_still_imports(make: Make<'_>) {
    let h = fresh(make);
    let store = h.store();
    let mut records = ExportReader::new(VERSION_1.lines().map(|line| Ok(line.to_owned())));
    let report = store.import(&mut records, false).expect("a version 1 stream imports");
    assert_eq!((report.written.updates, report.written.events, report.written.mute_rules), (2, 2, 0));
    assert!(store.list_mute_rules().unwrap().is_empty());
    let nginx = find(store, "nas", "nginx:1.27");
    assert_eq!(nginx.state(), UpdateState::Pending);
    assert_eq!((nginx.snoozed_until, nginx.muted_by), (None, None));
    assert_eq!((nginx.first_seen_at, nginx.pending_since), (at(1), at(1)));
    assert_eq!(nginx.tag.map(|t| t.name).as_deref(), Some("Media"));
    let api = find(store, "pi", "ghcr.io/acme/api:nightly");
    assert_eq!((api.state(), api.pending_since, api.acknowledged_at), (UpdateState::Acknowledged, at(2), Some(at(3))));
    let summary = store.summary(&UpdateFilter::default()).unwrap();
    assert_eq!((summary.pending, summary.snoozed, summary.muted, summary.acknowledged), (1, 0, 0, 1));
    let before_2 = UpdateFilter { pending_before: Some(at(2)), ..UpdateFilter::default() };
    assert_eq!(diun_core::page::all_updates(store, &before_2).unwrap().len(), 1);
    // It exports as version 2 does, with the defaults written out.
    let Some(Record::Update(update)) = export(store).into_iter().find(|r| matches!(r, Record::Update(_))) else {
        panic!("no update exported")
    };
    assert_eq!((update.pending_since, update.snoozed_until, update.muted_by), (at(1), None, None));
}

/// A merge keeps the target's own: a rule alike to one of the target's (same
/// pattern, host and status) is that rule, and the stream's updates it
/// mutes are muted by the target's rule; other rules are added, muting only
/// the stream's updates; updates the target has keep their state.
pub fn a_merge_keeps_the_targets_rules_and_updates(make: Make<'_>) {
    let source = fresh(make);
    let theirs = source.store();
    make_rule(theirs, "ghcr.io/acme/*", None, None, "theirs");
    make_rule(theirs, "redis:*", None, None, "");
    record(theirs, "nas", "ghcr.io/acme/api:1", "sha256:a1", 1);
    record(theirs, "nas", "redis:7", "sha256:r1", 2);
    record(theirs, "pi", "nginx:1.27", "sha256:n1", 3);
    let records = export(theirs);

    let target = fresh(make);
    let store = target.store();
    let mine = make_rule(store, "ghcr.io/acme/*", None, None, "mine");
    // The target's own update of an image the stream mutes: its state wins.
    let own = record(store, "pi", "nginx:1.27", "sha256:n0", 5);
    // The target's pending redis is left pending by the stream's redis rule.
    let own_redis = record(store, "pi", "redis:7", "sha256:r0", 6);
    let report = import(store, &records, true).expect("merge");
    assert_eq!((report.written.mute_rules, report.skipped.mute_rules), (1, 1));
    assert_eq!((report.written.updates, report.skipped.updates), (2, 1));

    let rules = store.list_mute_rules().unwrap();
    assert_eq!(
        rules.iter().map(|r| (r.pattern.as_str(), r.comment.as_str())).collect::<Vec<_>>(),
        [("ghcr.io/acme/*", "mine"), ("redis:*", "")]
    );
    assert_eq!(find(store, "nas", "ghcr.io/acme/api:1").muted_by, Some(mine));
    assert_eq!(find(store, "nas", "redis:7").muted_by, Some(rules[1].id));
    assert_eq!(store.get_update(own.id).unwrap(), own, "the target's update is untouched");
    assert_eq!(store.get_update(own_redis.id).unwrap().state(), UpdateState::Pending);
    // Merging the same stream again writes nothing.
    let again = import(store, &records, true).expect("merge again");
    assert_eq!(again.written.total(), 0, "{again:?}");
    assert_eq!(store.list_mute_rules().unwrap().len(), 2);
}

/// A store holding only a rule is not empty; an update muted by a rule the
/// stream does not have fails the import, and the rules before it in the
/// stream are not written either.
pub fn an_import_of_rules_is_all_or_nothing(make: Make<'_>) {
    let source = fresh(make);
    make_rule(source.store(), "nginx:*", None, None, "");
    record(source.store(), "nas", "nginx:1.27", "sha256:n1", 1);
    let records = export(source.store());

    let target = fresh(make);
    let store = target.store();
    let broken: Vec<Record> = records
        .iter()
        .cloned()
        .map(|record| match record {
            Record::MuteRule(rule) => Record::MuteRule(MuteRuleRecord { number: 2, ..rule }),
            other => other,
        })
        .collect();
    let err = import(store, &broken, false).unwrap_err();
    assert!(matches!(&err, StoreError::Invalid(why) if why.contains("muted by rule 1")), "{err:?}");
    assert!(store.list_mute_rules().unwrap().is_empty(), "nothing written");
    assert!(export(store).is_empty(), "nothing written");

    make_rule(store, "other", None, None, "");
    let err = import(store, &records, false).unwrap_err();
    assert!(matches!(&err, StoreError::Conflict(why) if why.contains("1 mute rules")), "{err:?}");
    assert_eq!(store.list_mute_rules().unwrap().len(), 1);
}
