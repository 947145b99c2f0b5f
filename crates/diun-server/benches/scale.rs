//! What a large fleet costs: listing, search, summary, revalidation and
//! webhooks at 10,000 and 100,000 updates, over HTTP on the release binary,
//! each beside the same operation done in-process on the store (no HTTP) in
//! the same run — the baseline that says what the server adds.
//!
//! `cargo bench -p diun-server --bench scale` (SQLite; PostgreSQL too when
//! `DIUN_DASHBOARD_TEST_POSTGRES_URL` is set). `SCALE_SIZES=10000` runs one size,
//! `SCALE_BACKENDS=sqlite` (or `postgres`) one backend; `BENCH_SERVER=PATH`
//! runs another build of the binary, to compare two builds.
//! Prints Markdown tables for BENCHMARKS.md.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use diun_core::{page, Notification, PageRequest, Store, StoreOptions, UpdateFilter};
use diun_store_pg::testing::TestDatabase;
use diun_store_pg::PgStore;
use diun_store_sqlite::SqliteStore;
use support::Server;

/// Concurrent readers, as in the targets.
const READERS: usize = 16;
/// Concurrent webhook senders in the mixed scenario.
const SENDERS: usize = 64;
/// How long each measured scenario runs.
const RUN_FOR: Duration = Duration::from_secs(4);
/// Webhooks per second in the paced scenario: a burst far above what a fleet
/// of a few hundred hosts sends when Diun's schedules fire together.
const PACED_RATE: f64 = 200.0;
/// A search text: one image name in a thousand. Each search asks for
/// another (`app-1000` to `app-9999`), as dashboards' users do.
fn search(i: usize) -> String {
    format!("app-{}", 1000 + i % 9000)
}
/// Notifications per update stored, so that history is part of the data.
const HISTORY: usize = 2;

mod support;

fn main() {
    let sizes: Vec<usize> = std::env::var("SCALE_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    let backends = std::env::var("SCALE_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let (sqlite, postgres) = (backends.contains("sqlite"), backends.contains("postgres"));
    println!("{}\n", machine());
    if sqlite {
        durability();
    }
    for &size in sizes.iter().filter(|_| sqlite) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}/scale.db", dir.path().display());
        let store = SqliteStore::open(&url, &StoreOptions::default()).expect("open SQLite");
        seed(&store, size);
        report(&format!("SQLite, {size} updates"), run(Arc::new(store), &url, size, 1));
    }
    for &size in sizes.iter().filter(|_| postgres) {
        if let Some(db) = TestDatabase::create(StoreOptions::default()) {
            let store = PgStore::open(db.url(), &StoreOptions::default()).expect("open PostgreSQL");
            seed_postgres(&db, &store, size);
            report(&format!("PostgreSQL, {size} updates"), run(Arc::new(store), db.url(), size, 8));
        }
    }
}

/// Stores `size` updates through the store, [`HISTORY`] notifications each, in batches.
fn seed(store: &dyn Store, size: usize) {
    let started = Instant::now();
    for round in 0..HISTORY {
        for chunk in (0..size).collect::<Vec<_>>().chunks(1000) {
            let batch: Vec<_> = chunk.iter().map(|&n| (notification(n, round), Utc::now())).collect();
            store.record_notifications(&batch).expect("seed");
        }
    }
    eprintln!("seeded {size} updates ({HISTORY} notifications each) through the store in {:?}", started.elapsed());
}

/// Updates stored through the store on PostgreSQL, the pattern the rest is copied from.
const TEMPLATE: usize = 1000;

/// Seeds PostgreSQL: [`TEMPLATE`] updates through the store, then copies of
/// them (with their events) in two `INSERT … SELECT` statements, each copy
/// renamed to the update [`notification`] would make for its number; through
/// the store, 100,000 updates took longer than a benchmark run may. Then
/// `VACUUM ANALYZE`, as autovacuum would do after such a load.
fn seed_postgres(db: &TestDatabase, store: &PgStore, size: usize) {
    assert_eq!(size % TEMPLATE, 0, "PostgreSQL sizes are multiples of {TEMPLATE}");
    seed(store, size.min(TEMPLATE));
    let started = Instant::now();
    let copies = size / TEMPLATE - 1;
    // Copy k of the template update for number n stands for number n + k * TEMPLATE;
    // every column not named here (a later migration's too) is copied as is.
    let number = format!("substring(u.image FROM 'app-([0-9]+):')::bigint + k * {TEMPLATE}");
    let image = "'registry.example.com/team-' || (n % 50) || '/app-' || n || ':1'";
    let sql = format!(
        "BEGIN;
         CREATE TEMP TABLE copied_events ON COMMIT DROP AS
           SELECT e.*, k, {number} AS n, (SELECT max(id) FROM updates) AS update_stride,
                  (SELECT max(id) FROM update_events) AS event_stride
           FROM update_events e JOIN updates u ON u.id = e.update_id, generate_series(1, {copies}) AS k;
         UPDATE copied_events SET id = id + k * event_stride, update_id = update_id + k * update_stride,
           received_at = received_at - k * interval '1 second',
           metadata = jsonb_build_object('ctn_names', 'app-' || n || '-ctn');
         ALTER TABLE copied_events DROP COLUMN k, DROP COLUMN n, DROP COLUMN update_stride, DROP COLUMN event_stride;
         CREATE TEMP TABLE copied_updates ON COMMIT DROP AS
           SELECT u.*, k, {number} AS n, (SELECT max(id) FROM updates) AS stride
           FROM updates u, generate_series(1, {copies}) AS k;
         UPDATE copied_updates SET id = id + k * stride, hostname = 'host-' || (n % 300), image = {image},
           first_seen_at = first_seen_at - k * interval '1 second', last_seen_at = last_seen_at - k * interval '1 second',
           metadata = jsonb_build_object('ctn_names', 'app-' || n || '-ctn'),
           search_text = {image} || E'\\n' || 'host-' || (n % 300) || E'\\n' || 'app-' || n || '-ctn';
         ALTER TABLE copied_updates DROP COLUMN k, DROP COLUMN n, DROP COLUMN stride;
         INSERT INTO updates OVERRIDING SYSTEM VALUE SELECT * FROM copied_updates;
         INSERT INTO update_events OVERRIDING SYSTEM VALUE SELECT * FROM copied_events;
         SELECT setval(pg_get_serial_sequence('updates', 'id'), (SELECT max(id) FROM updates));
         SELECT setval(pg_get_serial_sequence('update_events', 'id'), (SELECT max(id) FROM update_events));
         COMMIT;"
    );
    db.execute(&sql).expect("copy the template updates");
    // Alone: VACUUM cannot run in a string of several statements.
    db.execute("VACUUM ANALYZE").expect("VACUUM ANALYZE");
    eprintln!("copied them to {size} updates in SQL in {:?}", started.elapsed());
}

/// SQLite's `synchronous` setting under concurrent webhooks (group commit on):
/// what surviving a power cut costs.
fn durability() {
    println!("### SQLite: webhooks with `synchronous=NORMAL` and `FULL`\n");
    println!(
        "| `synchronous` | Webhooks/s ({SENDERS} clients, new images) | p50 | p99 | vs NORMAL \
         | Webhooks/s (1 client) | p50 | p99 | vs NORMAL |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let (mut normal, mut normal_alone) = (None, None);
    for mode in ["normal", "full"] {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let server = Server::start(&format!("sqlite://{}/sync.db?synchronous={mode}", dir.path().display()));
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
        let send = |i: usize| {
            let n = notification(i, 0);
            let body = serde_json::json!({"hostname": n.hostname(), "image": n.image(), "digest": n.digest()});
            agent.post(&server.url("/webhook")).send_json(body).expect("webhook");
        };
        let stats = drive(SENDERS, &send);
        // One client: each webhook commits alone, nothing to share its sync with.
        let alone = drive(1, &|i| send(10_000_000 + i));
        let ratio = stats.per_second / *normal.get_or_insert(stats.per_second);
        let ratio_alone = alone.per_second / *normal_alone.get_or_insert(alone.per_second);
        println!(
            "| {} | {:.0} | {} | {} | {ratio:.2} | {:.0} | {} | {} | {ratio_alone:.2} |",
            mode.to_uppercase(),
            stats.per_second,
            millis(stats.p50),
            millis(stats.p99),
            alone.per_second,
            millis(alone.p50),
            millis(alone.p99)
        );
    }
    println!();
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo.lines().find_map(|l| l.strip_prefix("model name")).unwrap_or("unknown");
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    format!(
        "Measured {} on {cpus} CPUs (`nproc`), {}; clients, server and database on the same machine.",
        Utc::now().format("%Y-%m-%d"),
        cpu.trim_start_matches([' ', '\t', ':'])
    )
}

/// One line of a table: the HTTP figure beside its in-process baseline.
struct Line {
    scenario: String,
    http: Stats,
    in_process: Option<Stats>,
}

/// Operations per second and latencies of one scenario.
#[derive(Clone)]
struct Stats {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

impl Stats {
    fn of(mut latencies: Vec<Duration>, elapsed: Duration) -> Stats {
        latencies.sort();
        let at = |share: f64| latencies[((latencies.len() as f64 * share).ceil() as usize).saturating_sub(1)];
        Stats {
            per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50: at(0.5),
            p99: at(0.99),
            max: *latencies.last().unwrap(),
        }
    }
}

struct Outcome {
    lines: Vec<Line>,
    memory: Vec<(&'static str, u64)>,
    /// The webhooks, how many failed, and the readers' answers per second.
    mixed: Option<(Stats, usize, f64)>,
    /// Paced webhooks alone, then beside [`READERS`] readers paging.
    paced: Option<(Stats, Stats)>,
}

/// Runs `threads` threads calling `op(i)` with growing `i` for [`RUN_FOR`].
fn drive(threads: usize, op: &(dyn Fn(usize) + Sync)) -> Stats {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let latencies = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut latencies = Vec::new();
                    while started.elapsed() < RUN_FOR {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let one = Instant::now();
                        op(i);
                        latencies.push(one.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    Stats::of(latencies, started.elapsed())
}

/// Runs `measure` while one thread calls `write(i)` with growing `i` in a
/// loop: a read measured while the data keeps changing.
fn while_writing(write: &(dyn Fn(usize) + Sync), measure: &dyn Fn() -> Stats) -> Stats {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                write(i);
            }
        });
        let stats = measure();
        stop.store(true, Ordering::Relaxed);
        stats
    })
}

/// Runs `op(i)` at [`PACED_RATE`] per second from [`SENDERS`] threads for
/// [`RUN_FOR`], each call at its scheduled time, so that the latencies are
/// those of the server under a steady load rather than of a closed loop
/// (where 64 senders wait on each other: latency = senders ÷ throughput).
fn paced(op: &(dyn Fn(usize) + Sync)) -> Stats {
    let interval = Duration::from_secs_f64(SENDERS as f64 / PACED_RATE);
    let started = Instant::now();
    let latencies = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..SENDERS)
            .map(|sender| {
                scope.spawn(move || {
                    let mut latencies = Vec::new();
                    // Senders start spread over one interval, not all at once.
                    let mut due = started + interval.mul_f64(sender as f64 / SENDERS as f64);
                    for round in 0.. {
                        if due.duration_since(started) >= RUN_FOR {
                            break;
                        }
                        std::thread::sleep(due.saturating_duration_since(Instant::now()));
                        op(round * SENDERS + sender);
                        // From the scheduled time: a late start counts as waiting.
                        latencies.push(due.elapsed());
                        due += interval;
                    }
                    latencies
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    Stats::of(latencies, started.elapsed())
}

fn notification(n: usize, digest: usize) -> Notification {
    let body = serde_json::json!({
        "diun_version": "4.33.0", "hostname": format!("host-{}", n % 300), "status": "update", "provider": "docker",
        "image": format!("registry.example.com/team-{}/app-{n}:1", n % 50),
        "digest": format!("sha256:{digest:064}"), "platform": "linux/amd64",
        "metadata": {"ctn_names": format!("app-{n}-ctn")}
    });
    Notification::from_json(body.to_string().as_bytes()).unwrap()
}

fn run(store: Arc<dyn Store>, url: &str, size: usize, ingest_threads: usize) -> Outcome {
    let filter = UpdateFilter::default();
    let first = PageRequest::default();
    let s = store.as_ref();
    let in_process = [
        drive(READERS, &|_| drop(s.list_updates(&filter, &first).unwrap())),
        drive(1, &|_| drop(page::all_updates(s, &filter).unwrap())),
        while_writing(
            &|i| drop(s.record_notifications(&[(notification(size + 6_000_000 + i, 0), Utc::now())]).unwrap()),
            &|| drive(READERS, &|_| drop(s.list_updates(&filter, &first).unwrap())),
        ),
        drive(READERS, &|i| {
            let searched = UpdateFilter { query: Some(search(i)), ..UpdateFilter::default() };
            drop(s.list_updates(&searched, &first).unwrap())
        }),
        drive(READERS, &|_| drop(s.summary(&filter).unwrap())),
        drive(READERS, &|_| assert!(s.revision().unwrap() >= 0)),
        while_writing(
            &|i| drop(s.record_notifications(&[(notification(size + 5_000_000 + i, 0), Utc::now())]).unwrap()),
            &|| drive(READERS, &|_| drop(s.summary(&filter).unwrap())),
        ),
        // One transaction per webhook, as the handler would do without group commit.
        drive(ingest_threads, &|i| drop(s.record_notifications(&[(notification(size + i, 0), Utc::now())]).unwrap())),
        drive(ingest_threads, &|i| drop(s.record_notifications(&[(notification(i % size, 7), Utc::now())]).unwrap())),
    ];
    drop(store);

    let server = Server::start(url);
    let mut memory = vec![("idle, after start", server.memory_kib("VmRSS"))];
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
    let get = |path: &str| {
        let response = agent.get(&server.url(path)).set("Accept-Encoding", "gzip").call().expect("GET");
        std::io::copy(&mut response.into_reader(), &mut std::io::sink()).unwrap();
    };
    let etag = || agent.get(&server.url("/api/updates")).call().unwrap().header("ETag").unwrap().to_owned();
    let page_through = || {
        let mut path = "/api/updates?limit=1000".to_owned();
        loop {
            let page: serde_json::Value = agent.get(&server.url(&path)).call().unwrap().into_json().unwrap();
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/updates?limit=1000&cursor={cursor}"),
                None => break,
            }
        }
    };
    let post = |n: &Notification| {
        let body = serde_json::to_vec(&serde_json::json!({
            "hostname": n.hostname(), "image": n.image(), "digest": n.digest(), "status": "update", "provider": "docker",
            "metadata": n.metadata()
        }))
        .unwrap();
        // Whether the webhook was answered 2xx.
        agent.post(&server.url("/webhook")).set("Content-Type", "application/json").send_bytes(&body).is_ok()
    };
    let offset = 2 * size + 1_000_000;
    let http = [
        drive(READERS, &|_| get("/api/updates")),
        drive(1, &|_| page_through()),
        while_writing(&|i| assert!(post(&notification(offset + 50_000_000 + i, 0)), "webhook"), &|| {
            drive(READERS, &|_| get("/api/updates"))
        }),
        drive(READERS, &|i| get(&format!("/api/updates?q={}", search(i)))),
        drive(READERS, &|_| get("/api/updates/summary")),
        {
            // The current one: the scenarios above wrote.
            let etag = etag();
            drive(READERS, &|_| {
                let status =
                    agent.get(&server.url("/api/updates")).set("If-None-Match", &etag).call().unwrap().status();
                assert_eq!(status, 304);
            })
        },
        while_writing(&|i| assert!(post(&notification(offset + 40_000_000 + i, 0)), "webhook"), &|| {
            drive(READERS, &|_| get("/api/updates/summary"))
        }),
        drive(SENDERS, &|i| assert!(post(&notification(offset + i, 0)), "webhook")),
        drive(SENDERS, &|i| assert!(post(&notification(i % size, 9)), "webhook")),
    ];
    memory.push(("after the scenarios above", server.memory_kib("VmRSS")));
    let names = [
        "`GET /api/updates` (first page of 100)".to_owned(),
        "page through everything (`limit=1000`, one client)".to_owned(),
        "`GET /api/updates` (first page) while one client sends webhooks (new images)".to_owned(),
        "`GET /api/updates?q=app-NNNN` (another search each time)".to_owned(),
        "`GET /api/updates/summary`".to_owned(),
        "`If-None-Match` → 304".to_owned(),
        "`GET /api/updates/summary` while one client sends webhooks (new images)".to_owned(),
        format!("`POST /webhook`, new images ({SENDERS} clients; in-process: {ingest_threads} thread(s), one transaction each)"),
        format!("`POST /webhook`, stored images, new digest ({SENDERS} clients; in-process as above)"),
    ];
    let lines = names
        .into_iter()
        .zip(http)
        .zip(in_process)
        .map(|((scenario, http), base)| Line { scenario, http, in_process: Some(base) })
        .collect();

    // Mixed: readers paging while senders post; webhooks must not wait behind readers.
    let failed = AtomicUsize::new(0);
    let send = |n: usize| {
        if !post(&notification(n, 1)) {
            failed.fetch_add(1, Ordering::Relaxed);
        }
    };
    // The senders' figures, and how many answers per second the readers got meanwhile.
    let beside_readers = |senders: &dyn Fn() -> Stats| {
        let (stop, answers) = (AtomicBool::new(false), AtomicUsize::new(0));
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..READERS {
                scope.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        get("/api/updates?limit=100");
                        get("/api/updates?acknowledged=false&limit=100");
                        answers.fetch_add(2, Ordering::Relaxed);
                    }
                });
            }
            let stats = senders();
            stop.store(true, Ordering::Relaxed);
            (stats, answers.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
        })
    };
    let (webhooks, read_rate) = beside_readers(&|| drive(SENDERS, &|i| send(offset + 10_000_000 + i)));
    // Paced: the same webhooks at a steady rate, alone and beside readers paging.
    let paced_alone = paced(&|i| send(offset + 20_000_000 + i));
    let (paced_with_readers, _) = beside_readers(&|| paced(&|i| send(offset + 30_000_000 + i)));
    memory.push(("after the mixed load", server.memory_kib("VmRSS")));
    memory.push(("peak over the run (VmHWM)", server.memory_kib("VmHWM")));
    Outcome {
        lines,
        memory,
        mixed: Some((webhooks, failed.load(Ordering::Relaxed), read_rate)),
        paced: Some((paced_alone, paced_with_readers)),
    }
}

fn report(title: &str, outcome: Outcome) {
    println!("### {title}\n");
    println!("| Scenario | HTTP ops/s | p50 | p99 | In-process ops/s | p50 | HTTP ÷ in-process |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for line in &outcome.lines {
        let base = line.in_process.as_ref().unwrap();
        println!(
            "| {} | {:.0} | {} | {} | {:.0} | {} | {:.2} |",
            line.scenario,
            line.http.per_second,
            millis(line.http.p50),
            millis(line.http.p99),
            base.per_second,
            millis(base.p50),
            line.http.per_second / base.per_second
        );
    }
    if let Some((webhooks, failed, read_rate)) = &outcome.mixed {
        println!(
            "\nMixed, {READERS} readers paging + {SENDERS} webhook senders: {:.0} webhooks/s, p50 {}, p99 {}, max {}, \
             while the readers got {read_rate:.0} answers/s; {failed} webhooks failed over this and the paced runs.\n",
            webhooks.per_second,
            millis(webhooks.p50),
            millis(webhooks.p99),
            millis(webhooks.max)
        );
    }
    if let Some((alone, with_readers)) = &outcome.paced {
        println!(
            "Paced, {PACED_RATE:.0} webhooks/s from {SENDERS} senders: alone p50 {}, p99 {}, max {}; \
             beside {READERS} readers paging p50 {}, p99 {}, max {} (p99 with ÷ without readers: {:.2}).\n",
            millis(alone.p50),
            millis(alone.p99),
            millis(alone.max),
            millis(with_readers.p50),
            millis(with_readers.p99),
            millis(with_readers.max),
            with_readers.p99.as_secs_f64() / alone.p99.as_secs_f64()
        );
    }
    let memory: Vec<String> =
        outcome.memory.iter().map(|(when, kib)| format!("{when} {:.1} MiB", *kib as f64 / 1024.0)).collect();
    println!("Server memory (`VmRSS`): {}.\n", memory.join("; "));
}

fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1e3;
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else {
        format!("{ms:.1} ms")
    }
}
