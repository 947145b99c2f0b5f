//! The embedding example (`examples/embed.rs`), run as a program: its own
//! route and its own metrics beside the dashboard under `/diun`, one process;
//! and the dashboard registered inside a scope of the host's own.
#![cfg(feature = "sqlite")]

mod common;

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

#[test]
fn a_host_scope_must_hold_the_base_path() {
    let store: std::sync::Arc<dyn diun_core::Store> =
        std::sync::Arc::new(diun_store_tests::memory::MemoryStore::new(&Default::default()));
    let build = |base: &str, host: &str| {
        diun_server::Dashboard::builder(store.clone()).base_path(base).host_scope(host).build()
    };
    for (base, host) in [("/tools/diun", "/tools"), ("/a/b/diun", "a/b/"), ("/diun", "/")] {
        assert_eq!(build(base, host).unwrap().base_path(), base, "{base} in {host}");
    }
    // Not below it, the scope itself, a prefix that is not a whole segment, not a path.
    for (base, host) in
        [("/diun", "/tools"), ("/tools", "/tools"), ("/toolsx/diun", "/tools"), ("/tools/diun", "/t ools")]
    {
        let err = build(base, host).unwrap_err();
        assert_eq!(err.field, "host_scope", "{base} in {host}: {err}");
    }
}

/// The dashboard at `/tools/diun`, registered inside the host's own
/// `/tools` scope beside the host's routes: every route answers at the full
/// path, and whatever the dashboard sends names the full path.
#[actix_web::test]
async fn the_dashboard_registered_inside_a_host_scope_answers_at_the_full_path() {
    use actix_web::http::{header, StatusCode};
    use actix_web::test::{self, TestRequest};
    use actix_web::{web, App, HttpResponse};
    use common::requests::{get, post, send};
    use diun_server::auth::AccessControl;
    use diun_server::{Dashboard, MetricsRecorder, Secret};

    // This thread's own recorder (the test's service runs on it): the
    // dashboard's metrics name its routes by their full pattern.
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);

    let s = common::sqlite_store();
    let dashboard = Dashboard::builder(s.store.clone())
        .base_path("/tools/diun")
        .host_scope("/tools")
        .webhook_secret(Secret::new("hook-secret"))
        .access(AccessControl::builder().token(Secret::new("api-token")).build())
        .metrics_recorder(MetricsRecorder::Host)
        .build()
        .unwrap();
    let app = test::init_service(
        App::new().route("/", web::get().to(|| async { "host home" })).service(
            web::scope("/tools")
                .route("/clock", web::get().to(|| async { "host clock" }))
                .service(dashboard.scope())
                .default_service(web::to(|| async { HttpResponse::NotFound().body("host tools 404") })),
        ),
    )
    .await;
    let token = |req: TestRequest| req.insert_header((header::AUTHORIZATION, "Bearer api-token"));
    let text = |response| async { String::from_utf8(test::read_body(response).await.to_vec()).unwrap() };

    // The webhook: its secret, and open to other sites (it is recognised at the full path).
    let notification = common::sample("docker.json");
    assert_eq!(send(&app, post("/tools/diun/webhook", notification.clone())).await.0, StatusCode::UNAUTHORIZED);
    let webhook = post("/tools/diun/webhook", notification)
        .insert_header((header::AUTHORIZATION, "hook-secret"))
        .insert_header(("sec-fetch-site", "cross-site"));
    let (status, body) = send(&app, webhook).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The API lists it, with the token only; health stays open.
    assert_eq!(send(&app, get("/tools/diun/api/updates")).await.0, StatusCode::UNAUTHORIZED);
    let (status, listed) = send(&app, token(get("/tools/diun/api/updates"))).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["updates"].as_array().unwrap().len(), 1, "{listed}");
    let id = listed["updates"][0]["id"].as_i64().unwrap();
    assert_eq!(send(&app, get("/tools/diun/healthz")).await.0, StatusCode::OK);
    // A page on another site cannot change anything but the webhook.
    let cross_site =
        post("/tools/diun/api/updates/acknowledge", r#"{"all": true}"#).insert_header(("sec-fetch-site", "cross-site"));
    assert_eq!(send(&app, cross_site).await.0, StatusCode::FORBIDDEN);

    // What it sends names the full path: the OpenAPI server, the API docs'
    // document, the feed's links; the docs redirect is relative to where it was asked.
    let (_, openapi) = send(&app, token(get("/tools/diun/api/openapi.json"))).await;
    assert_eq!(openapi["servers"][0]["url"], "/tools/diun", "{}", openapi["servers"]);
    let redirect = test::call_service(&app, token(get("/tools/diun/api/docs")).to_request()).await;
    assert_eq!(redirect.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(redirect.headers().get(header::LOCATION).unwrap(), "docs/");
    let initializer = test::call_service(&app, token(get("/tools/diun/api/docs/swagger-initializer.js")).to_request());
    let initializer = text(initializer.await).await;
    assert!(initializer.contains("/tools/diun/api/openapi.json"), "{initializer}");
    let feed = token(get("/tools/diun/feed.atom")).insert_header((header::HOST, "host.lan"));
    let feed = text(test::call_service(&app, feed.to_request()).await).await;
    assert!(feed.contains(&format!("http://host.lan/tools/diun/?history={id}")), "{feed}");

    // The live events stream answers (its body never ends: only the head is read).
    let events = test::call_service(&app, token(get("/tools/diun/api/events")).to_request()).await;
    assert_eq!(events.status(), StatusCode::OK);
    assert_eq!(events.headers().get(header::CONTENT_TYPE).unwrap(), "text/event-stream");
    drop(events);

    // Unknown paths below the base path are the dashboard's, the rest the host's.
    let (status, unknown) = send(&app, token(get("/tools/diun/api/nothing"))).await;
    assert_eq!((status, unknown["error"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{unknown}");
    assert_eq!(text(test::call_service(&app, get("/").to_request()).await).await, "host home");
    assert_eq!(text(test::call_service(&app, get("/tools/clock").to_request()).await).await, "host clock");
    let elsewhere = test::call_service(&app, get("/tools/diunx").to_request()).await;
    assert_eq!((elsewhere.status(), text(elsewhere).await), (StatusCode::NOT_FOUND, "host tools 404".to_owned()));

    // The page: its <base href> is the full path, so its assets, API calls and
    // events stream all resolve below it.
    #[cfg(feature = "ui")]
    {
        let page = text(test::call_service(&app, token(get("/tools/diun/")).to_request()).await).await;
        assert!(page.contains(r#"<base href="/tools/diun/""#), "{page}");
        let asset = page.split("./assets/").nth(1).and_then(|rest| rest.split('"').next()).expect("an asset link");
        let file = test::call_service(&app, token(get(&format!("/tools/diun/assets/{asset}"))).to_request()).await;
        assert_eq!(file.status(), StatusCode::OK, "/tools/diun/assets/{asset}");
        let route = text(test::call_service(&app, token(get("/tools/diun/some/view")).to_request()).await).await;
        assert!(route.contains(r#"<base href="/tools/diun/""#), "a client-side route gets the page");
    }
    let metrics = metrics.render();
    for series in [
        "diun_dashboard_webhooks_accepted_total 1",
        r#"route="/tools/diun/api/updates",method="GET",status="200""#,
        r#"route="/tools/diun/webhook",method="POST",status="200""#,
    ] {
        assert!(metrics.contains(series), "{series} missing from\n{metrics}");
    }
    dashboard.close_event_streams();
}
