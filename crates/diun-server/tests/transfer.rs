//! Export, import and copy: round trips SQLite → PostgreSQL → SQLite that
//! give the same stream, the refusals, and the real binary's subcommands.
#![cfg(feature = "sqlite")]

mod common;

use std::process::{Command, Stdio};

use chrono::{Duration, TimeZone, Utc};
use diun_core::export::{ExportReader, ImportReport};
use diun_core::{AckSelector, NewMuteRule, Notification, Store, StoreOptions, TagName, UpdateFilter, UpdateStatus};
use diun_server::transfer::{self, Progress};
use diun_store_sqlite::SqliteStore;

const BIN: &str = env!("CARGO_BIN_EXE_diun-dashboard");

fn sqlite(dir: &tempfile::TempDir, name: &str) -> SqliteStore {
    SqliteStore::open(dir.path().join(name).to_str().unwrap(), &StoreOptions::default()).unwrap()
}

fn notification(host: &str, image: &str, digest: &str, metadata: &[(&str, &str)]) -> Notification {
    let metadata: std::collections::BTreeMap<_, _> = metadata.iter().copied().collect();
    Notification::from_json(
        serde_json::json!({
            "hostname": host, "image": image, "digest": digest, "status": "update", "provider": "docker",
            "created": "2026-11-30T10:11:12.123456789Z", "platform": "linux/arm64/v8", "diun_version": "4.28.0",
            "hub_link": "https://hub.docker.com/_/x", "mime_type": "application/vnd.oci.image.index.v1+json",
            "metadata": metadata,
        })
        .to_string()
        .as_bytes(),
    )
    .unwrap()
}

/// A dashboard with every kind of data: several hosts, history with a new
/// digest, acknowledged and pending updates, tags (one unused, one with a
/// name beyond ASCII), an assignment of an image no update has, times with
/// nanoseconds; and triage: two mute rules (one for a host and a status),
/// snoozed updates, an update acknowledged while muted and snoozed, one
/// pending again since later than its first notification.
fn fill(store: &dyn Store) {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap() + Duration::nanoseconds(123_456_789);
    let meta = [("ctn_names", "web"), ("ctn_command", "nginx -g 'daemon off;'\nsecond line"), ("ключ", "значение ✓")];
    for i in 0..30 {
        let host = ["nas", "pi", "vps"][i % 3];
        let image = format!("docker.io/library/app{i}:latest");
        let at = t0 + Duration::minutes(i as i64);
        store.record_notification(&notification(host, &image, "sha256:aaa", &meta), at).unwrap();
        if i % 4 == 0 {
            // The same digest again, then a new one.
            store
                .record_notification(&notification(host, &image, "sha256:aaa", &meta), at + Duration::hours(1))
                .unwrap();
            store.record_notification(&notification(host, &image, "sha256:bbb", &[]), at + Duration::hours(2)).unwrap();
        }
    }
    // The same image on two hosts.
    store.record_notification(&notification("pi", "docker.io/library/app0:latest", "sha256:ccc", &[]), t0).unwrap();
    let all = diun_core::page::all_updates(store, &UpdateFilter::default()).unwrap();
    for update in all.iter().filter(|u| u.id % 3 == 0) {
        store.set_acknowledged(update.id, true, t0 + Duration::days(1) + Duration::nanoseconds(7)).unwrap();
    }
    let media = store.create_tag(&TagName::parse("Média").unwrap(), t0 + Duration::nanoseconds(999)).unwrap();
    let critical = store.create_tag(&TagName::parse("critical").unwrap(), t0).unwrap();
    store.create_tag(&TagName::parse("unused").unwrap(), t0).unwrap();
    store.assign_tag("docker.io/library/app0:latest", media.id).unwrap();
    store.assign_tag("docker.io/library/app5:latest", critical.id).unwrap();
    store.assign_tag("ghcr.io/gone/image:1", critical.id).unwrap();

    let later = t0 + Duration::days(2) + Duration::nanoseconds(5);
    let find = |host: &str, image: &str| {
        let image = format!("docker.io/library/{image}:latest");
        diun_core::page::all_updates(store, &UpdateFilter::default())
            .unwrap()
            .into_iter()
            .find(|u| u.hostname == host && u.image == image)
            .unwrap()
    };
    // app20 to app29 on every host; app10, app13, app16, app19 on pi.
    let noisy = NewMuteRule::new("docker.io/library/app2?:latest", None, None, "noisy\nrebuilt nightly").unwrap();
    store.create_mute_rule(&noisy, later).unwrap();
    let pi = NewMuteRule::new("docker.io/**/app1?:*", Some("pi"), Some(UpdateStatus::Update), "").unwrap();
    store.create_mute_rule(&pi, later).unwrap();
    let snoozed = [find("nas", "app3").id, find("nas", "app6").id];
    store.snooze(&AckSelector::Ids(snoozed.to_vec()), later + Duration::days(30)).unwrap();
    let muted = find("pi", "app22");
    assert!(muted.muted_by.is_some());
    store.snooze(&AckSelector::Ids(vec![muted.id]), later + Duration::days(3)).unwrap();
    store.set_acknowledged(muted.id, true, later + Duration::hours(1)).unwrap();
    // Acknowledged, then a new digest: pending since then.
    assert!(find("vps", "app5").acknowledged_at.is_some());
    let again = notification("vps", "docker.io/library/app5:latest", "sha256:eee", &[]);
    store.record_notification(&again, later + Duration::hours(2)).unwrap();
}

/// The triage a store shows, ids aside: its rules, and its counts by state.
fn triage(store: &dyn Store) -> (Vec<String>, [i64; 4]) {
    let rules = store.list_mute_rules().unwrap();
    let rules = rules
        .iter()
        .map(|r| {
            format!("{} {:?} {:?} {:?} {} held {}", r.pattern, r.hostname, r.status, r.comment, r.created_at, r.held)
        })
        .collect();
    let summary = store.summary(&UpdateFilter::default()).unwrap();
    (rules, [summary.pending, summary.snoozed, summary.muted, summary.acknowledged])
}

/// What [`fill`] makes: 10 pending, 2 snoozed, 9 muted (5 by the first
/// rule, 4 by the second), 10 acknowledged.
fn filled_triage() -> (Vec<String>, [i64; 4]) {
    let later = "2026-11-03 08:00:00.123456 UTC";
    (
        vec![
            format!("docker.io/library/app2?:latest None None \"noisy\\nrebuilt nightly\" {later} held 5"),
            format!("docker.io/**/app1?:* Some(\"pi\") Some(Update) \"\" {later} held 4"),
        ],
        [10, 2, 9, 10],
    )
}

fn export(store: &dyn Store) -> String {
    let mut out = Vec::new();
    transfer::export(store, &mut out, &mut Progress::new("exported")).unwrap();
    String::from_utf8(out).unwrap()
}

fn import(store: &dyn Store, stream: &str, merge: bool) -> Result<ImportReport, String> {
    transfer::import(store, stream.as_bytes(), merge, &mut Progress::new("imported"))
}

/// What the dashboard shows of a store, ids aside: every update with its tag and history.
fn shown(store: &dyn Store) -> Vec<serde_json::Value> {
    let mut shown: Vec<serde_json::Value> = diun_core::page::all_updates(store, &UpdateFilter::default())
        .unwrap()
        .into_iter()
        .map(|update| {
            let events = store.list_events(update.id).unwrap();
            let mut update = serde_json::to_value(&update).unwrap();
            update["id"] = serde_json::Value::Null;
            update["tag"] = update["tag"]["name"].clone();
            update["history"] = events.iter().map(|e| e.digest.clone()).collect::<Vec<_>>().into();
            update
        })
        .collect();
    shown.sort_by_key(|u| (u["hostname"].to_string(), u["image"].to_string()));
    shown
}

#[test]
fn sqlite_round_trip_gives_the_same_stream() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(&dir, "source.db");
    fill(&source);
    let stream = export(&source);
    let counts = ExportReader::new(stream.lines().map(|l| Ok(l.to_owned()))).fold([0; 5], |mut c, r| {
        c[match r.unwrap() {
            diun_core::export::Record::Tag(_) => 0,
            diun_core::export::Record::Assignment(_) => 1,
            diun_core::export::Record::MuteRule(_) => 2,
            diun_core::export::Record::Update(_) => 3,
            diun_core::export::Record::Event(_) => 4,
        }] += 1;
        c
    });
    assert_eq!(counts, [3, 3, 2, 31, 30 + 8 * 2 + 1 + 1], "{stream}");
    assert!(stream.contains(r#""first_seen_at":"2026-11-01T08:00:00.123456Z""#), "times cut to microseconds");

    let target = sqlite(&dir, "target.db");
    let report = import(&target, &stream, false).unwrap();
    assert_eq!(report.written.updates, 31);
    assert_eq!(export(&target), stream);
    assert_eq!(triage(&source), filled_triage());
    assert_eq!(triage(&target), filled_triage(), "triage survives export → import");
    // What the dashboard shows is the same, but the sub-microsecond part of times.
    let cut = |mut shown: Vec<serde_json::Value>| {
        for update in &mut shown {
            for field in
                ["first_seen_at", "last_seen_at", "acknowledged_at", "created", "pending_since", "snoozed_until"]
            {
                if let Some(time) = update[field].as_str() {
                    let time: chrono::DateTime<Utc> = time.parse().unwrap();
                    update[field] = diun_core::export::format_time(&diun_core::export::truncate_to_micros(time)).into();
                }
            }
        }
        shown
    };
    assert_eq!(cut(shown(&target)), cut(shown(&source)));
    // Search finds imported updates (SQLite's search index is filled on insert).
    for store in [&source as &dyn Store, &target] {
        let filter = UpdateFilter { query: Some("app17".into()), ..UpdateFilter::default() };
        let found = diun_core::page::all_updates(store, &filter).unwrap();
        assert_eq!(found.iter().map(|u| u.image.as_str()).collect::<Vec<_>>(), ["docker.io/library/app17:latest"]);
    }
    // The imported dashboard works on: a new notification finds its update.
    let before = diun_core::page::all_updates(&target, &UpdateFilter::default()).unwrap().len();
    target
        .record_notification(&notification("nas", "docker.io/library/app0:latest", "sha256:zzz", &[]), Utc::now())
        .unwrap();
    let after = diun_core::page::all_updates(&target, &UpdateFilter::default()).unwrap().len();
    assert_eq!(before, after);
}

#[test]
fn refusals_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(&dir, "source.db");
    fill(&source);
    let stream = export(&source);
    let empty = sqlite(&dir, "empty.db");
    let empty_stream = export(&empty);

    // A non-empty target, unless merging.
    let err = import(&source, &stream, false).unwrap_err();
    assert!(err.contains("not empty (31 updates, 3 tags, 3 tagged images, 2 mute rules)"), "{err}");
    assert_eq!(export(&source), stream);
    let report = import(&source, &stream, true).unwrap();
    assert_eq!(report.written.total(), 0, "{report:?}");
    assert_eq!((report.skipped.updates, report.skipped.mute_rules), (31, 2));
    assert_eq!(export(&source), stream, "merging a dashboard into itself changes nothing");

    // An unknown version, and damaged lines deep in the stream: nothing written.
    let lines: Vec<&str> = stream.lines().collect();
    let replace = |n: usize, with: &str| {
        let mut lines = lines.clone();
        lines[n - 1] = with;
        lines.join("\n")
    };
    let damaged = lines[40].replacen("\"digest\":", "\"digest\"", 1);
    let cases = [
        (
            replace(1, r#"{"format":"diun-dashboard-export","version":99}"#),
            "line 1: the export is version 99".to_owned(),
        ),
        (replace(41, &damaged), "line 41: not valid JSON".to_owned()),
        (replace(lines.len() - 1, r#"{"type":"event"}"#), format!("line {}: a bad event record", lines.len() - 1)),
        (lines[..lines.len() - 1].join("\n"), "without its end line".to_owned()),
    ];
    for (text, expected) in cases {
        let err = import(&empty, &text, false).unwrap_err();
        assert!(err.contains(&expected), "expected {expected:?} in {err:?}");
        assert_eq!(export(&empty), empty_stream, "a refused import writes nothing ({expected})");
    }
}

/// SQLite → PostgreSQL → SQLite, streams compared at each step.
#[cfg(feature = "postgres")]
#[test]
fn sqlite_to_postgres_and_back_gives_the_same_stream() {
    let Some(pg) = diun_store_pg::testing::TestDatabase::create(StoreOptions::default()) else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(&dir, "source.db");
    fill(&source);
    let stream = export(&source);

    import(pg.store(), &stream, false).unwrap();
    assert_eq!(export(pg.store()), stream, "SQLite → PostgreSQL");
    assert_eq!(shown(pg.store()).len(), 31);
    assert_eq!(triage(pg.store()), filled_triage(), "SQLite → PostgreSQL keeps triage");
    let filter = UpdateFilter { query: Some("app17".into()), ..UpdateFilter::default() };
    assert_eq!(diun_core::page::all_updates(pg.store(), &filter).unwrap().len(), 1, "search works after import");
    let err = import(pg.store(), &stream, false).unwrap_err();
    assert!(err.contains("not empty"), "{err}");

    let back = sqlite(&dir, "back.db");
    let mut progress = Progress::new("copied");
    transfer::copy(pg.store(), &back, false, &mut progress).unwrap();
    assert_eq!(export(&back), stream, "PostgreSQL → SQLite");
    assert_eq!(shown(&back), shown(pg.store()));
    assert_eq!(shown(&back), shown(&source), "what the dashboard shows, triage included, made the round trip");
    assert_eq!(triage(&back), filled_triage());

    // A damaged stream into PostgreSQL writes nothing there either.
    let other = diun_store_pg::testing::TestDatabase::create(StoreOptions::default()).unwrap();
    let cut = stream.lines().take(20).collect::<Vec<_>>().join("\n");
    assert!(import(other.store(), &cut, false).unwrap_err().contains("without its end line"));
    assert_eq!(export(other.store()), export(&sqlite(&dir, "empty.db")));
}

/// Runs the binary with `args` on the database `url`; returns success, stdout, stderr.
fn run(args: &[&str], url: &str, stdin: &[u8]) -> (bool, String, String) {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("DIUN_DASHBOARD_DATABASE_URL", url)
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    (output.status.success(), String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap())
}

#[test]
fn the_binary_exports_imports_and_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(&dir, "source.db");
    fill(&source);
    let expected = export(&source);
    let url = dir.path().join("source.db");
    let url = url.to_str().unwrap();

    let (ok, stdout, stderr) = run(&["export"], url, b"");
    assert!(ok, "{stderr}");
    assert_eq!(stdout, expected);
    assert!(
        stderr.starts_with("exported 3 tags, 3 tagged images, 2 mute rules, 31 updates and 48 history events in "),
        "{stderr}"
    );

    let file = dir.path().join("dump.jsonl");
    let (ok, stdout, stderr) = run(&["export", "--output", file.to_str().unwrap()], url, b"");
    assert!(ok && stdout.is_empty(), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), expected);

    // Into a new SQLite file named by --to, from the file.
    let copy = dir.path().join("copy.db");
    let (ok, _, stderr) = run(&["import", "--input", file.to_str().unwrap(), "--to", copy.to_str().unwrap()], url, b"");
    assert!(ok, "{stderr}");
    assert!(stderr.starts_with("imported 3 tags"), "{stderr}");
    assert_eq!(run(&["export"], copy.to_str().unwrap(), b"").1, expected);

    // Refusals: one line, non-zero exit, the line number.
    let (ok, _, stderr) = run(&["import"], url, expected.as_bytes());
    assert!(!ok && stderr.lines().count() == 1, "{stderr}");
    assert!(stderr.contains("import failed, nothing was imported: the database is not empty"), "{stderr}");
    let damaged = expected.replacen("{\"type\":\"update\"", "{\"type\":\"update\",", 1);
    let line = expected.lines().position(|l| l.starts_with("{\"type\":\"update\"")).unwrap() + 1;
    let empty = dir.path().join("empty.db");
    let (ok, _, stderr) = run(&["import"], empty.to_str().unwrap(), damaged.as_bytes());
    assert!(!ok && stderr.contains(&format!("line {line}: not valid JSON")), "{stderr}");
    assert_eq!(run(&["export"], empty.to_str().unwrap(), b"").1.lines().count(), 2, "nothing was written");
    let (ok, _, stderr) = run(&["import", "--input", "/no/such/file"], empty.to_str().unwrap(), b"");
    assert!(!ok && stderr.contains("cannot open /no/such/file"), "{stderr}");
    let (ok, _, stderr) = run(&["copy", "--from", url, "--to", url], url, b"");
    assert!(!ok && stderr.contains("the same database"), "{stderr}");
}

/// `copy` through the real binary, SQLite → PostgreSQL → SQLite.
#[cfg(feature = "postgres")]
#[test]
fn the_binary_copies_sqlite_to_postgres_and_back() {
    let Some(pg) = diun_store_pg::testing::TestDatabase::create(StoreOptions::default()) else { return };
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite(&dir, "source.db");
    fill(&source);
    let expected = export(&source);
    let url = dir.path().join("source.db");
    let url = url.to_str().unwrap();

    let (ok, _, stderr) = run(&["copy", "--from", url, "--to", pg.url()], url, b"");
    assert!(ok, "{stderr}");
    assert!(
        stderr.starts_with("copied 3 tags, 3 tagged images, 2 mute rules, 31 updates and 48 history events"),
        "{stderr}"
    );
    let (ok, stdout, stderr) = run(&["export", "--from", pg.url()], url, b"");
    assert!(ok, "{stderr}");
    assert_eq!(stdout, expected);
    assert_eq!(triage(pg.store()), filled_triage(), "the copy into PostgreSQL keeps triage");
    // Copying again is refused: the target holds data now.
    let (ok, _, stderr) = run(&["copy", "--from", url, "--to", pg.url()], url, b"");
    assert!(!ok && stderr.contains("nothing was copied: the database is not empty"), "{stderr}");

    let back = dir.path().join("back.db");
    let (ok, _, stderr) = run(&["copy", "--from", pg.url(), "--to", back.to_str().unwrap()], url, b"");
    assert!(ok, "{stderr}");
    let back = SqliteStore::open(back.to_str().unwrap(), &StoreOptions::default()).unwrap();
    assert_eq!(export(&back), expected);
    assert_eq!(triage(&back), filled_triage(), "and the copy back into SQLite");
    assert_eq!(shown(&back), shown(&source));
}
