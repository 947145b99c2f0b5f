//! The queries behind the list, the pending list, paging, host filters,
//! history, retention, undo, and triage (the state filters, the grouping by
//! image, snoozes and mute rules) use an index on PostgreSQL too: each statement
//! the store sends is prepared again on a separate connection and explained
//! as a generic plan (`plan_cache_mode = force_generic_plan`, so parameter
//! values do not matter) with sequential scans discouraged
//! (`enable_seqscan = off`): a `Seq Scan` on `updates` or `update_events` that
//! remains means that no index applies, and fails the test. (The summary and
//! free-text search read every row by nature; their plans are printed.)

use std::sync::Mutex;

use chrono::{Duration, TimeZone, Utc};
use diesel::connection::{set_default_instrumentation, Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diun_core::{
    AckSelector, ImagePageRequest, NewMuteRule, Notification, PageRequest, Store, StoreOptions, TagFilter,
    UnackSelector, UpdateFilter, UpdateState,
};
use diun_store_pg::testing::TestDatabase;
use diun_store_pg::PgStore;

/// Every statement the store sends, as diesel shows it (`SQL -- binds: [...]`).
static STATEMENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl Instrumentation for Capture {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            STATEMENTS.lock().unwrap().push(query.to_string());
        }
    }
}

/// A store operation whose statements are checked.
type Operation<'a> = Box<dyn Fn(&PgStore) + 'a>;

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

fn notification(n: usize) -> Notification {
    let body = format!(
        r#"{{"hostname":"host-{}","image":"registry.example/app-{n}:1","digest":"sha256:{n}","metadata":{{"ctn_names":"app-{n}"}}}}"#,
        n % 20
    );
    Notification::from_json(body.as_bytes()).unwrap()
}

#[test]
fn listing_paging_history_retention_and_undo_use_indexes() {
    set_default_instrumentation(|| Some(Box::new(Capture))).unwrap();
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let store = PgStore::open(db.url(), &StoreOptions::default()).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let batch: Vec<_> = (0..2_000).map(|n| (notification(n), start + Duration::seconds(n as i64))).collect();
    let updates = store.record_notifications(&batch).unwrap();
    store.acknowledge(&AckSelector::Ids(updates.iter().step_by(2).map(|u| u.id).collect()), start).unwrap();
    // Some snoozed, some muted: the triage filters have rows to find.
    let later = start + Duration::days(30);
    store.snooze(&AckSelector::Ids(updates.iter().skip(1).step_by(10).map(|u| u.id).collect()), later).unwrap();
    let rule = NewMuteRule::new("registry.example/app-1??:1", None, None, "").unwrap();
    let rule = store.create_mute_rule(&rule, start).unwrap();
    assert!(rule.held > 0);
    let mut plans = PgConnection::establish(db.url()).unwrap();
    plans.batch_execute("ANALYZE; SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off;").unwrap();

    let first = store.list_updates(&UpdateFilter::default(), &PageRequest::first(50).unwrap()).unwrap();
    let next = PageRequest::after(50, first.next.unwrap()).unwrap();
    let pending = UpdateFilter::pending();
    let host = UpdateFilter { host: Some("host-3".into()), ..UpdateFilter::default() };
    let untagged = UpdateFilter { tag: Some(TagFilter::Untagged), ..UpdateFilter::default() };
    let id = updates[10].id;
    // Neither acknowledged nor snoozed nor muted.
    let open = updates[13].id;
    let state = |state| UpdateFilter { state: Some(state), ..UpdateFilter::default() };
    let (snoozed, muted) = (state(UpdateState::Snoozed), state(UpdateState::Muted));
    let waiting = UpdateFilter { pending_before: Some(start + Duration::minutes(5)), ..UpdateFilter::default() };
    let image = UpdateFilter { image: Some("registry.example/app-7:1".into()), ..UpdateFilter::default() };
    let first_images = store.list_images(&UpdateFilter::default(), &ImagePageRequest::first(50).unwrap()).unwrap();
    let next_images = ImagePageRequest::after(50, first_images.next.unwrap()).unwrap();
    let indexed: Vec<(&str, Operation)> = vec![
        ("first page", Box::new(|s| drop(s.list_updates(&UpdateFilter::default(), &PageRequest::default()).unwrap()))),
        ("next page", Box::new(move |s| drop(s.list_updates(&UpdateFilter::default(), &next).unwrap()))),
        ("pending first page", Box::new(move |s| drop(s.list_updates(&pending, &PageRequest::default()).unwrap()))),
        ("one host", Box::new(move |s| drop(s.list_updates(&host, &PageRequest::default()).unwrap()))),
        ("untagged", Box::new(move |s| drop(s.list_updates(&untagged, &PageRequest::default()).unwrap()))),
        ("one update", Box::new(move |s| drop(s.get_update(id).unwrap()))),
        ("its history", Box::new(move |s| drop(s.list_events(id).unwrap()))),
        ("a notification", Box::new(|s| drop(s.record_notification(&notification(7), Utc::now()).unwrap()))),
        (
            "retention",
            Box::new(move |s| assert_eq!(s.delete_acknowledged_before(start - Duration::days(1)).unwrap(), 0)),
        ),
        (
            "undo by instant",
            Box::new(|s| assert_eq!(s.unacknowledge(&UnackSelector::AcknowledgedAt(Utc::now())).unwrap(), 0)),
        ),
        ("snoozed list", Box::new(move |s| drop(s.list_updates(&snoozed, &PageRequest::default()).unwrap()))),
        ("muted list", Box::new(move |s| drop(s.list_updates(&muted, &PageRequest::default()).unwrap()))),
        ("pending for long", Box::new(move |s| drop(s.list_updates(&waiting, &PageRequest::default()).unwrap()))),
        ("one image", Box::new(move |s| drop(s.list_updates(&image, &PageRequest::default()).unwrap()))),
        (
            "first page of images",
            Box::new(|s| drop(s.list_images(&UpdateFilter::default(), &ImagePageRequest::default()).unwrap())),
        ),
        (
            "next page of images",
            Box::new(move |s| drop(s.list_images(&UpdateFilter::default(), &next_images).unwrap())),
        ),
        (
            "pending images",
            Box::new(|s| drop(s.list_images(&UpdateFilter::pending(), &ImagePageRequest::default()).unwrap())),
        ),
        (
            "acknowledge an image",
            Box::new(|s| {
                assert_eq!(
                    s.acknowledge(&AckSelector::Image("registry.example/app-9:1".into()), Utc::now()).unwrap(),
                    1
                )
            }),
        ),
        ("snooze by ids", Box::new(move |s| assert_eq!(s.snooze(&AckSelector::Ids(vec![open]), later).unwrap(), 1))),
        ("unsnooze", Box::new(move |s| assert_eq!(s.unsnooze(&[open]).unwrap(), 1))),
        ("the waker", Box::new(move |s| assert_eq!(s.wake_snoozed(start).unwrap(), 0))),
        ("mute rules and what they hold", Box::new(|s| assert_eq!(s.list_mute_rules().unwrap().len(), 1))),
        ("deleting a mute rule", Box::new(move |s| s.delete_mute_rule(rule.id).unwrap())),
    ];
    let mut failures = Vec::new();
    for (operation, run) in &indexed {
        for (sql, plan) in plans_of(&mut plans, || run(&store)) {
            println!("{operation}: {sql}\n    {}", plan.join("\n    "));
            let scans: Vec<_> = plan
                .iter()
                .filter(|line| line.contains("Seq Scan on updates") || line.contains("Seq Scan on update_events"))
                .collect();
            if !scans.is_empty() {
                failures.push(format!("{operation}: {scans:?} in\n  {sql}"));
            }
        }
    }
    // A new mute rule sweeps the open updates once: printed for the record.
    let new_rule = NewMuteRule::new("registry.example/app-5*", None, None, "").unwrap();
    for (sql, plan) in plans_of(&mut plans, || drop(store.create_mute_rule(&new_rule, start).unwrap())) {
        println!("a new mute rule: {sql}\n    {}", plan.join("\n    "));
    }
    let search = UpdateFilter { query: Some("app-12".into()), ..UpdateFilter::default() };
    for (sql, plan) in plans_of(&mut plans, || drop(store.summary(&UpdateFilter::default()).unwrap()))
        .into_iter()
        .chain(plans_of(&mut plans, || drop(store.list_updates(&search, &PageRequest::default()).unwrap())))
    {
        println!("summary or search: {sql}\n    {}", plan.join("\n    "));
    }
    assert!(failures.is_empty(), "sequential scans where an index applies:\n{}", failures.join("\n"));
}

/// The statements `run` sends to the database, each with PostgreSQL's generic plan for it.
fn plans_of(plans: &mut PgConnection, run: impl FnOnce()) -> Vec<(String, Vec<String>)> {
    STATEMENTS.lock().unwrap().clear();
    run();
    let statements = std::mem::take(&mut *STATEMENTS.lock().unwrap());
    statements
        .into_iter()
        .map(|shown| shown.split(" -- binds:").next().unwrap().trim().to_owned())
        .filter(|sql| ["SELECT", "UPDATE", "DELETE", "INSERT", "WITH"].iter().any(|verb| sql.starts_with(verb)))
        .filter(|sql| !sql.contains("pg_notify") && sql != "SELECT 1")
        .map(|sql| {
            let parameters = (1..=64).take_while(|n| sql.contains(&format!("${n}"))).count();
            let nulls = vec!["NULL"; parameters].join(", ");
            plans.batch_execute("DEALLOCATE ALL").unwrap();
            plans.batch_execute(&format!("PREPARE plan_me AS {sql}")).unwrap_or_else(|err| panic!("{sql}: {err}"));
            let execute = if parameters == 0 { "plan_me".to_owned() } else { format!("plan_me({nulls})") };
            let lines: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN EXECUTE {execute}"))
                .load(plans)
                .unwrap_or_else(|err| panic!("{sql}: {err}"));
            (sql, lines.into_iter().map(|line| line.line).collect())
        })
        .collect()
}
