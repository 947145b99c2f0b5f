//! The embedding example (`examples/embed.rs`), run as a program: its own
//! route and its own metrics beside the dashboard under `/diun`, one process.
#![cfg(feature = "sqlite")]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The example's binary, which `cargo test` builds beside this test's
/// (`target/debug/examples/embed`); built here when a filtered run skipped it.
fn example_binary() -> PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let binary = deps.parent().unwrap().join("examples").join(format!("embed{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "diun-server", "--example", "embed", "--features", "sqlite"])
            .status()
            .unwrap();
        assert!(status.success(), "building the example failed");
    }
    binary
}

/// The running example; killed when dropped.
struct Example {
    child: Child,
    base: String,
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(database: &std::path::Path) -> Example {
    let mut child = Command::new(example_binary())
        .args(["127.0.0.1:0", database.to_str().unwrap()])
        .env("DIUN_WEBHOOK_SECRET", "hook-secret")
        .env("DIUN_API_TOKEN", "api-token")
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    Example { base: base.to_owned(), child }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build()
}

/// Status and body of a response, whatever its status.
fn answer(result: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => (response.status(), response.into_string().unwrap()),
        Err(err) => panic!("no answer: {err}"),
    }
}

#[test]
fn the_example_serves_its_own_routes_and_the_dashboard_under_diun() {
    let dir = tempfile::tempdir().unwrap();
    let example = start(&dir.path().join("diun.db"));
    let (agent, base) = (agent(), example.base.as_str());

    let (status, body) = answer(agent.get(&format!("{base}/")).call());
    assert_eq!(status, 200);
    assert!(body.contains("the host's own page"), "{body}");

    let notification = r#"{"hostname": "nas", "status": "new", "image": "docker.io/library/nginx:1.27",
                           "digest": "sha256:a1", "metadata": {"ctn_names": "web"}}"#;
    let webhook = format!("{base}/diun/webhook");
    let (status, _) = answer(agent.post(&webhook).set("Content-Type", "application/json").send_string(notification));
    assert_eq!(status, 401, "the webhook wants its secret");
    let (status, body) = answer(
        agent
            .post(&webhook)
            .set("Authorization", "hook-secret")
            .set("Content-Type", "application/json")
            .send_string(notification),
    );
    assert_eq!(status, 200, "{body}");

    let updates = format!("{base}/diun/api/updates");
    let (status, body) = answer(agent.get(&updates).call());
    assert_eq!(status, 401, "the API wants the token: {body}");
    let (status, body) = answer(agent.get(&updates).set("Authorization", "Bearer api-token").call());
    assert_eq!(status, 200, "{body}");
    let listed: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(listed["updates"][0]["image"], "docker.io/library/nginx:1.27", "{body}");

    // Unknown paths under /diun are the dashboard's; outside it, the host's (actix's 404).
    let (status, body) =
        answer(agent.get(&format!("{base}/diun/api/nothing")).set("Authorization", "Bearer api-token").call());
    assert_eq!((status, body.contains("not_found")), (404, true), "{body}");
    // The dashboard's own /metrics is off: its metrics are in the host's.
    let (status, _) =
        answer(agent.get(&format!("{base}/diun/metrics")).set("Authorization", "Bearer api-token").call());
    assert_eq!(status, 404);
    let (status, metrics) = answer(agent.get(&format!("{base}/metrics")).call());
    assert_eq!(status, 200);
    for series in [
        "host_home_requests_total 1",
        "diun_dashboard_webhooks_accepted_total 1",
        "diun_dashboard_http_request_duration_seconds",
    ] {
        assert!(metrics.contains(series), "{series} missing from the host's metrics:\n{metrics}");
    }
}

/// A dashboard built in a process that already has a metrics recorder does
/// not panic, whatever it is asked to do about metrics.
#[test]
fn an_installed_recorder_is_no_panic() {
    use diun_server::{Dashboard, MetricsRecorder};
    let host = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let host_handle = host.handle();
    metrics::set_global_recorder(host).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = diun_store_sqlite::SqliteStore::open(dir.path().join("x.db").to_str().unwrap(), &Default::default());
    let store: std::sync::Arc<dyn diun_core::Store> = std::sync::Arc::new(store.unwrap());
    let installing = Dashboard::builder(store.clone()).metrics_recorder(MetricsRecorder::Install).build().unwrap();
    let hosted = Dashboard::builder(store).base_path("apps/diun/").metrics_recorder(MetricsRecorder::Host).build();
    assert_eq!((installing.base_path(), hosted.unwrap().base_path()), ("/diun", "/apps/diun"));
    assert!(host_handle.render().contains("diun_dashboard_build_info"), "descriptions reach the host's recorder");
}

#[test]
fn a_base_path_that_is_empty_or_no_path_is_refused() {
    let store: std::sync::Arc<dyn diun_core::Store> =
        std::sync::Arc::new(diun_store_tests::memory::MemoryStore::new(&Default::default()));
    for bad in ["", "/", "/a b", "/x//y", "/x?y"] {
        let err = diun_server::Dashboard::builder(store.clone()).base_path(bad).build().unwrap_err();
        assert_eq!(err.field, "base_path", "{bad:?}");
    }
}
