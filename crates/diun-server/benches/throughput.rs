//! Speed and memory of the real server, on SQLite and, when
//! `DIUN_DASHBOARD_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database.
//!
//! `cargo bench -p diun-server --bench throughput` starts the release binary,
//! sends each scenario's requests from a few keep-alive clients (after a
//! warm-up), and prints Markdown tables: requests per second, p50 and p99
//! latency, and each scenario's throughput as a ratio to `GET /healthz` on the
//! same backend in the same run; then the server's resident memory. Absolute
//! numbers depend on the machine (the clients share its CPUs with the server);
//! the ratios are the part that compares.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diun_core::StoreOptions;
use diun_store_pg::testing::TestDatabase;
use serde_json::{json, Value};
use support::Server;

/// Concurrent clients, each with one keep-alive connection.
const CLIENTS: usize = 4;
/// Updates stored before the listing scenarios.
const STORED: usize = 5_000;
/// The most one batch of requests may take; a scenario past it stops early and says so.
const TIME_LIMIT: Duration = Duration::from_secs(15);
/// The search text: matches app-12, app-120…129 and app-1200…1299, 111 of the 5,000 images.
const SEARCH: &str = "app-12";

mod support;

fn main() {
    let mut results = Vec::new();
    let sqlite_dir = tempfile::tempdir().expect("a temporary folder");
    results.push(bench_backend("SQLite", &format!("sqlite://{}/bench.db", sqlite_dir.path().display())));
    let pg_options = StoreOptions { pool_size: 1, ..StoreOptions::default() };
    if cfg!(feature = "postgres") {
        if let Some(db) = TestDatabase::create(pg_options) {
            results.push(bench_backend("PostgreSQL", db.url()));
        }
    }
    print_report(&results);
}

/// What one backend measured.
struct BackendResult {
    backend: &'static str,
    /// The first row is the `/healthz` baseline.
    rows: Vec<Row>,
    /// `(when, VmRSS in KiB)`; the first is idle.
    memory: Vec<(&'static str, u64)>,
}

/// One scenario's measurement.
struct Row {
    scenario: String,
    requested: usize,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Row {
    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency that `share` (0.5 for p50) of the requests stayed under (nearest rank).
    fn percentile(&self, share: f64) -> Duration {
        let rank = (self.latencies.len() as f64 * share).ceil() as usize;
        self.latencies[rank.saturating_sub(1)]
    }
}

/// Starts the server on `database_url` and runs every scenario on it.
fn bench_backend(backend: &'static str, database_url: &str) -> BackendResult {
    eprintln!("benchmarking {backend}…");
    let server = Server::start(database_url);
    let mut memory = vec![("idle, right after start", server.memory_kib("VmRSS"))];

    let images = AtomicUsize::new(0);
    let new_image = || webhook(images.fetch_add(1, Ordering::Relaxed));
    let list = || get("/api/updates");
    let whole_page = || get("/api/updates?limit=1000");
    let summary = || get("/api/updates/summary");
    let search = || get(&format!("/api/updates?q={SEARCH}&acknowledged=false"));
    let mut rows = vec![
        measure(&server, "`GET /healthz` (baseline)", 20_000, &|| get("/healthz")),
        measure(&server, "`POST /webhook`, new image (insert)", 2_000, &new_image),
    ];
    // The images just stored, sent again in turn: one client's request never
    // waits for another's on the same row (PostgreSQL serialises those).
    let inserted = images.load(Ordering::Relaxed);
    let resent = AtomicUsize::new(0);
    let same_again = || webhook(resent.fetch_add(1, Ordering::Relaxed) % inserted);
    rows.push(measure(&server, "`POST /webhook`, a stored image with the same digest (refresh)", 2_000, &same_again));

    let missing = STORED - images.load(Ordering::Relaxed);
    load(&server, missing, &new_image);
    let stored: Value = ureq::get(&server.url("/api/updates/summary")).call().unwrap().into_json().unwrap();
    assert_eq!(stored["total"], STORED, "the updates stored before the listing scenarios");
    memory.push(("5,000 updates stored", server.memory_kib("VmRSS")));

    rows.push(measure(&server, "`GET /api/updates` (first page of 100), 5,000 stored", 2_000, &list));
    rows.push(measure(&server, "`GET /api/updates?limit=1000`, 5,000 stored", 200, &whole_page));
    rows.push(measure(&server, "`GET /api/updates/summary`, 5,000 stored", 2_000, &summary));
    rows.push(measure(
        &server,
        &format!("`GET /api/updates?q={SEARCH}&acknowledged=false`, 5,000 stored"),
        2_000,
        &search,
    ));
    memory.push(("after the listing scenarios", server.memory_kib("VmRSS")));
    memory.push(("peak over the run (VmHWM)", server.memory_kib("VmHWM")));
    BackendResult { backend, rows, memory }
}

/// One request, made anew for each send.
struct Request {
    method: &'static str,
    path: String,
    body: Option<Vec<u8>>,
}

fn get(path: &str) -> Request {
    Request { method: "GET", path: path.to_owned(), body: None }
}

/// A Diun notification for image number `n`, always with the same digest.
fn webhook(n: usize) -> Request {
    let body = json!({
        "diun_version": "4.33.0",
        "hostname": "nas",
        "status": "new",
        "provider": "docker",
        "image": format!("registry.example.com/team-{}/app-{n}:1.{}", n % 50, n % 10),
        "hub_link": "https://registry.example.com",
        "mime_type": "application/vnd.oci.image.index.v1+json",
        "digest": "sha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
        "created": "2026-11-20T08:15:00Z",
        "platform": "linux/amd64",
        "metadata": {"ctn_names": "web", "ctn_state": "running"}
    });
    Request { method: "POST", path: "/webhook".to_owned(), body: Some(body.to_string().into_bytes()) }
}

/// A warm-up of a tenth of `requests`, then `requests` measured ones.
fn measure(server: &Server, scenario: &str, requests: usize, make: &(dyn Fn() -> Request + Sync)) -> Row {
    load(server, requests / 10, make);
    let (elapsed, mut latencies) = load(server, requests, make);
    latencies.sort();
    Row { scenario: scenario.to_owned(), requested: requests, latencies, elapsed }
}

/// Sends `count` requests made by `make` from [`CLIENTS`] threads, stopping
/// early after [`TIME_LIMIT`]; returns the time taken and each latency.
fn load(server: &Server, count: usize, make: &(dyn Fn() -> Request + Sync)) -> (Duration, Vec<Duration>) {
    let sent = AtomicUsize::new(0);
    let started = Instant::now();
    let latencies = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                scope.spawn(|| {
                    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
                    let mut latencies = Vec::new();
                    while started.elapsed() < TIME_LIMIT && sent.fetch_add(1, Ordering::Relaxed) < count {
                        let request = make();
                        let one = Instant::now();
                        send(&agent, server, &request);
                        latencies.push(one.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        clients.into_iter().flat_map(|client| client.join().expect("a client thread")).collect()
    });
    (started.elapsed(), latencies)
}

/// Sends one request and reads the whole answer, which must be a success.
fn send(agent: &ureq::Agent, server: &Server, request: &Request) {
    let call = agent.request(request.method, &server.url(&request.path));
    let result = match &request.body {
        Some(body) => call.set("Content-Type", "application/json").send_bytes(body),
        None => call.call(),
    };
    match result {
        Ok(response) => {
            io::copy(&mut response.into_reader(), &mut io::sink()).expect("read the answer");
        }
        Err(err) => panic!("{} {}: {err}", request.method, request.path),
    }
}

fn print_report(results: &[BackendResult]) {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo.lines().find_map(|line| line.strip_prefix("model name")).unwrap_or("unknown");
    let cpu = cpu.trim_start_matches([' ', '\t', ':']);
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let date = chrono::Utc::now().format("%Y-%m-%d");
    println!("Measured {date} on {cpus} CPUs (`nproc`), {cpu}; {CLIENTS} keep-alive clients on the same machine.\n");

    println!("| Backend | Scenario | Requests | Requests/s | p50 | p99 | Throughput vs `/healthz` |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for result in results {
        let baseline = result.rows[0].per_second();
        for row in &result.rows {
            let done = row.latencies.len();
            let stopped = if done < row.requested { " (time limit)" } else { "" };
            println!(
                "| {} | {} | {done}{stopped} | {:.0} | {} | {} | {} |",
                result.backend,
                row.scenario,
                row.per_second(),
                millis(row.percentile(0.50)),
                millis(row.percentile(0.99)),
                two_digits(row.per_second() / baseline),
            );
        }
    }

    println!("\n| Backend | Server memory (`VmRSS`) | MiB | vs idle |");
    println!("| --- | --- | ---: | ---: |");
    for result in results {
        let idle = result.memory[0].1 as f64;
        for (when, kib) in &result.memory {
            let (mib, ratio) = (*kib as f64 / 1024.0, *kib as f64 / idle);
            println!("| {} | {when} | {mib:.1} | {} |", result.backend, two_digits(ratio));
        }
    }
}

/// `0.044 ms`, `68.7 ms`.
fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1e3;
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// A ratio with two significant digits: `1.0`, `0.040`, `0.00090`, `13`.
fn two_digits(ratio: f64) -> String {
    let decimals = (1.0 - ratio.log10().floor()).max(0.0) as usize;
    format!("{ratio:.decimals$}")
}
