#![cfg(feature = "sqlite")]
//! Hostile input that must be refused, and the defences around sign-in and
//! framing (issue 9). Real routes on a real SQLite file.

#[macro_use]
mod common;

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use common::requests::{assert_error, get, post, send};
use common::sample;
use serde_json::{json, Value};

/// A request with a raw body, whatever it is.
fn raw(method: Method, path: &str, body: &str) -> TestRequest {
    TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_owned())
}

#[actix_rt::test]
async fn api_bodies_must_be_json_objects() {
    let s = common::sqlite_store();
    let app = app!(s);
    let (_, update) = send(&app, post("/webhook", sample("docker.json"))).await;
    let one = format!("/api/updates/{}", update["id"]);

    // Each of these deserialises into the route's struct when arrays are let through.
    let refused = [
        (Method::PATCH, one.as_str(), "[true]", "an array"),
        (Method::POST, "/api/updates/acknowledge", "[null,null,true]", "an array"),
        (Method::POST, "/api/updates/acknowledge", " \n\t[[], null, true]", "an array"),
        (Method::POST, "/api/tags", r#"["x"]"#, "an array"),
        (Method::PUT, "/api/tag-assignments", r#"["docker.io/library/nginx:1.27", 1]"#, "an array"),
        (Method::POST, "/api/tags", r#""x""#, "a string"),
        (Method::PATCH, one.as_str(), "true", "a boolean"),
        (Method::PATCH, one.as_str(), "null", "null"),
        (Method::POST, "/api/updates/acknowledge", "1", "a number"),
    ];
    for (method, path, body, kind) in refused {
        let answer = send(&app, raw(method.clone(), path, body)).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_field");
        let message = answer.1["message"].as_str().unwrap();
        assert!(
            message.contains("must be a JSON object") && message.contains(kind),
            "{method} {path} {body}: {message}"
        );
    }
    // Nothing changed.
    assert_eq!(send(&app, get(&one)).await.1["acknowledged_at"], Value::Null);
    assert_eq!(send(&app, get("/api/tags")).await.1, json!([]));

    // Objects still work, and so does a route without a body.
    let (status, acked) = send(&app, raw(Method::PATCH, &one, r#" {"acknowledged": true}"#)).await;
    assert_eq!(status, StatusCode::OK, "{acked}");
    assert!(acked["acknowledged_at"].is_string());
    assert_eq!(send(&app, raw(Method::POST, "/api/tags", r#"{"name":"web"}"#)).await.0, StatusCode::CREATED);
    // Broken JSON is still named as such, and an oversized body is still 413.
    assert_error(&send(&app, raw(Method::PATCH, &one, "{")).await, StatusCode::BAD_REQUEST, "invalid_json");
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(64 * 1024));
    assert_error(
        &send(&app, raw(Method::POST, "/api/tags", &big)).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    assert_eq!(send(&app, TestRequest::delete().uri(&one)).await.0, StatusCode::NO_CONTENT);
}

/// A state change sent by a page on another site, as a browser sends it
/// (a "simple" request: no preflight).
fn cross_site(path: &str, body: &str) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(("sec-fetch-site", "cross-site"))
        .insert_header(("content-type", "text/plain"))
        .set_payload(body.to_owned())
}

/// Every spelling of `/api/...` a router or a reverse proxy might take for
/// it: percent-encoded, doubled slashes, dot segments, other case.
fn spellings(base: &str, route: &str) -> Vec<String> {
    let rest = route.strip_prefix("/api/").unwrap();
    let mut paths = vec![
        format!("{base}/%61pi/{rest}"),
        format!("{base}/%61%70%69/{rest}"),
        format!("{base}/api/%{:02X}{}", rest.as_bytes()[0], &rest[1..]),
        format!("{base}/api%2F{rest}"),
        format!("{base}//api/{rest}"),
        format!("{base}/api//{rest}"),
        format!("{base}/./api/{rest}"),
        format!("{base}/x/../api/{rest}"),
        format!("{base}/api/{rest}/"),
        format!("{base}/API/{rest}"),
        format!("{base}/Api/{}", rest.to_uppercase()),
        format!("{base}/api/{rest}"),
    ];
    if !base.is_empty() {
        let encoded_base: String = base.bytes().map(|b| format!("%{b:02X}")).collect();
        paths.push(format!("{}{}", encoded_base.replace("%2F", "/"), route));
        paths.push(format!("/{base}{route}"));
        paths.push(format!("{}{route}", base.to_uppercase()));
    }
    paths
}

#[actix_rt::test]
async fn cross_site_changes_are_refused_however_the_path_is_spelled() {
    for base in ["", "/diun"] {
        let s = common::sqlite_store();
        let app = app!(s, base: base);
        // The webhook takes notifications from anywhere, cross-site included.
        let (status, update) =
            send(&app, cross_site(&format!("{base}/webhook"), &String::from_utf8(sample("docker.json")).unwrap()))
                .await;
        assert_eq!(status, StatusCode::OK, "{update}");
        let one = format!("/api/updates/{}", update["id"]);

        let attacks = [("/api/updates/acknowledge", r#"{"all":true}"#), ("/api/tags", r#"{"name":"evil"}"#)];
        for (route, body) in attacks {
            for path in spellings(base, route) {
                let answer = send(&app, cross_site(&path, body)).await;
                assert_error(&answer, StatusCode::FORBIDDEN, "forbidden");
                let from_origin = TestRequest::post()
                    .uri(&path)
                    .insert_header(("origin", "https://evil.example"))
                    .set_payload(body.to_owned());
                assert_error(&send(&app, from_origin).await, StatusCode::FORBIDDEN, "forbidden");
            }
        }
        let patch = cross_site(&format!("{base}/%61pi/updates/{}", update["id"]), r#"{"acknowledged":true}"#);
        assert_error(&send(&app, patch.method(Method::PATCH)).await, StatusCode::FORBIDDEN, "forbidden");
        assert_eq!(send(&app, get(&format!("{base}{one}"))).await.1["acknowledged_at"], Value::Null, "base {base:?}");
        assert_eq!(send(&app, get(&format!("{base}/api/tags"))).await.1, json!([]), "base {base:?}");

        // The encoded spelling does reach the route: the same request from the dashboard itself works.
        let same_site = cross_site(&format!("{base}/%61pi/tags"), r#"{"name":"ours"}"#)
            .insert_header(("sec-fetch-site", "same-origin"));
        assert_eq!(send(&app, same_site).await.0, StatusCode::CREATED, "base {base:?}");
    }
}

/// The security headers of one response, after checking the fixed ones.
async fn content_security_policy<S, B>(app: &S, req: TestRequest) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let response = actix_web::test::call_service(app, req.to_request()).await;
    let path = response.request().path().to_owned();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{path}");
    assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"), "{path}");
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
    let policy = header("content-security-policy").unwrap_or_else(|| panic!("{path}: no Content-Security-Policy"));
    let directive = |name: &str| {
        policy.split(';').map(str::trim).find(|d| d.split(' ').next() == Some(name)).unwrap_or_default().to_owned()
    };
    assert_eq!(directive("frame-ancestors"), "frame-ancestors 'none'", "{path}: {policy}");
    assert_eq!(directive("script-src"), "script-src 'self'", "{path}: {policy}");
    assert_eq!(directive("object-src"), "object-src 'none'", "{path}: {policy}");
    policy
}

/// `<script>` elements without `src`: what `script-src 'self'` blocks in a page as served.
fn inline_scripts(html: &str) -> usize {
    html.split("<script").skip(1).filter(|tag| !tag.split('>').next().unwrap().contains("src=")).count()
}

/// `<style>` elements and `style` attributes: what a `style-src` without `'unsafe-inline'` blocks.
#[cfg(feature = "ui")]
fn inline_styles(html: &str) -> usize {
    html.matches("<style").count() + html.matches(" style=").count()
}

#[actix_rt::test]
async fn every_response_forbids_framing_and_foreign_scripts() {
    for base in ["", "/diun"] {
        let s = common::sqlite_store();
        let app = app!(s, base: base);
        let app = &app;
        for path in ["/api/updates", "/api/nothing-here", "/healthz", "/metrics", "/api/openapi.json"] {
            content_security_policy(app, get(&format!("{base}{path}"))).await;
        }
        // Refusals too.
        content_security_policy(app, cross_site(&format!("{base}/api/tags"), "{}")).await;

        // Swagger UI: its scripts are files; it needs inline styles and data: images.
        let docs = content_security_policy(app, get(&format!("{base}/api/docs/"))).await;
        assert!(docs.contains("img-src 'self' data:") && docs.contains("style-src 'self' 'unsafe-inline'"), "{docs}");
        let read = |path: String| async move {
            let body = actix_web::test::call_and_read_body(app, get(&path).to_request()).await;
            String::from_utf8(body.to_vec()).unwrap()
        };
        let page = read(format!("{base}/api/docs/")).await;
        assert!(page.contains("src=\"./swagger-ui-bundle.js\""), "{page}");
        assert_eq!(inline_scripts(&page), 0, "{page}");
        let initializer = read(format!("{base}/api/docs/swagger-initializer.js")).await;
        assert!(initializer.contains("\"validatorUrl\": \"none\""), "no badge from swagger.io: {initializer}");

        #[cfg(feature = "ui")]
        {
            let policy = content_security_policy(app, get(&format!("{base}/"))).await;
            assert!(policy.contains("style-src 'self';"), "{policy}");
            let page = read(format!("{base}/")).await;
            assert_eq!(
                (inline_scripts(&page), inline_styles(&page)),
                (0, 0),
                "the page must run under its policy: {page}"
            );
        }
    }
}

/// Access control with one Basic user, `alice`, whose hash has argon2's default cost.
fn with_user(store: std::sync::Arc<dyn diun_core::Store>, failure_limit: u32) -> diun_server::AppState {
    use diun_server::auth::{hash_password, AccessControl, FailureLimiter, PasswordHash, TrustedProxies};
    let hash = PasswordHash::parse(&hash_password(PASSWORD).unwrap()).unwrap();
    let access = AccessControl::new(
        std::collections::HashMap::from([("alice".to_owned(), hash)]),
        vec![diun_server::settings::Secret::new(TOKEN)],
        None,
        TrustedProxies::default(),
        FailureLimiter::new(failure_limit, std::time::Duration::from_secs(60)),
    );
    let mut state = diun_server::AppState::new(store);
    state.access = std::sync::Arc::new(access);
    state
}

const PASSWORD: &str = "correct horse battery staple";
const TOKEN: &str = "script-token-0123456789";

fn basic(user: &str, password: &str) -> (&'static str, String) {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    ("authorization", format!("Basic {encoded}"))
}

fn from(ip: &str) -> std::net::SocketAddr {
    std::net::SocketAddr::new(ip.parse().unwrap(), 40000)
}

#[actix_rt::test]
async fn an_unknown_user_costs_as_much_as_a_wrong_password() {
    let s = common::sqlite_store();
    let app = actix_web::test::init_service(diun_server::app(with_user(s.store.clone(), 100))).await;
    // The quickest of a few tries, each from its own address: a busy machine
    // only ever adds time, so the minimum is what the check itself costs.
    let mut timings = Vec::new();
    for (n, user) in ["alice", "mallory"].into_iter().enumerate() {
        let mut quickest = std::time::Duration::MAX;
        for i in 0..5 {
            let req = get("/api/updates")
                .insert_header(basic(user, "wrong"))
                .peer_addr(from(&format!("192.0.2.{}", n * 10 + i)));
            let started = std::time::Instant::now();
            assert_eq!(actix_web::test::call_service(&app, req.to_request()).await.status(), StatusCode::UNAUTHORIZED);
            quickest = quickest.min(started.elapsed());
        }
        timings.push(quickest);
    }
    let (known, unknown) = (timings[0], timings[1]);
    // Without a decoy the unknown user answers about 100 times sooner; what
    // matters is that it is not noticeably quicker.
    assert!(unknown * 3 > known, "known user {known:?}, unknown user {unknown:?}");
}

/// Sends `requests` all at once and counts the answers by status; every
/// refusal must say when to retry.
async fn all_at_once<S, B>(app: &S, requests: Vec<TestRequest>) -> std::collections::BTreeMap<u16, usize>
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let answers = futures_util::future::join_all(
        requests.into_iter().map(|req| actix_web::test::call_service(app, req.to_request())),
    )
    .await;
    let mut by_status = std::collections::BTreeMap::new();
    for answer in answers {
        if answer.status() != StatusCode::UNAUTHORIZED {
            assert!(answer.headers().contains_key("retry-after"), "{}", answer.status());
        }
        *by_status.entry(answer.status().as_u16()).or_default() += 1;
    }
    by_status
}

#[actix_rt::test]
async fn simultaneous_guesses_from_one_address_stay_within_the_limit() {
    let s = common::sqlite_store();
    let app = actix_web::test::init_service(diun_server::app(with_user(s.store.clone(), 5))).await;
    let guesses = (0..40)
        .map(|n| get("/api/updates").insert_header(basic("alice", &format!("guess {n}"))).peer_addr(from("192.0.2.1")));
    let answers = all_at_once(&app, guesses.collect()).await;
    let checked = answers.get(&401).copied().unwrap_or_default();
    assert!((1..=5).contains(&checked), "at most 5 passwords checked: {answers:?}");
    assert_eq!(answers.values().sum::<usize>(), 40, "{answers:?}");
    // Once the window is used up, even the right password waits.
    let right = get("/api/updates").insert_header(basic("alice", PASSWORD)).peer_addr(from("192.0.2.1"));
    let right = actix_web::test::call_service(&app, right.to_request()).await.status();
    assert!(checked < 5 || right == StatusCode::TOO_MANY_REQUESTS, "{checked} checked, then {right}");
}

#[actix_rt::test]
async fn password_checks_are_capped_across_addresses() {
    let s = common::sqlite_store();
    let app = actix_web::test::init_service(diun_server::app(with_user(s.store.clone(), 5))).await;
    // Known and unknown users alike: the decoy is hashed too.
    let guesses = (0..24).map(|n| {
        let user = if n % 2 == 0 { "alice" } else { "mallory" };
        get("/api/updates").insert_header(basic(user, "guess")).peer_addr(from(&format!("198.51.100.{n}")))
    });
    let started = std::time::Instant::now();
    let answers = all_at_once(&app, guesses.collect()).await;
    let cap = diun_server::auth::MAX_CONCURRENT_PASSWORD_CHECKS;
    assert_eq!(answers.get(&401).copied().unwrap_or_default(), cap, "{answers:?}");
    assert_eq!(answers.get(&503).copied().unwrap_or_default(), 24 - cap, "{answers:?} after {:?}", started.elapsed());
    // Refused attempts are not held against the address: it can sign in right after.
    let right = get("/api/updates").insert_header(basic("alice", PASSWORD)).peer_addr(from("198.51.100.1"));
    assert_eq!(actix_web::test::call_service(&app, right.to_request()).await.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn a_valid_token_gets_in_during_a_lock_out() {
    let s = common::sqlite_store();
    let app = actix_web::test::init_service(diun_server::app(with_user(s.store.clone(), 3))).await;
    let call = |header: (&'static str, String)| {
        let req = get("/api/updates").insert_header(header).peer_addr(from("192.0.2.77"));
        actix_web::test::call_service(&app, req.to_request())
    };
    for _ in 0..3 {
        assert_eq!(call(basic("alice", "wrong")).await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(call(basic("alice", PASSWORD)).await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(call(("authorization", format!("Bearer {TOKEN}"))).await.status(), StatusCode::OK);
    assert_eq!(call(("authorization", "Bearer guessed".into())).await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        call(basic("alice", PASSWORD)).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the token cleared nothing"
    );
}

#[actix_rt::test]
async fn the_guard_refuses_everything_without_its_state() {
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .wrap(actix_web::middleware::from_fn(diun_server::auth::guard))
            .route("/api/updates", actix_web::web::get().to(|| async { "let through" })),
    )
    .await;
    let answer = send(&app, get("/api/updates")).await;
    assert_error(&answer, StatusCode::INTERNAL_SERVER_ERROR, "internal");
}

#[test]
fn the_database_password_never_reaches_the_log() {
    // A PostgreSQL server that does not answer: the start fails, and says why.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_diun-dashboard"))
        .env_clear()
        .env("DIUN_DASHBOARD_DATABASE_URL", format!("postgres://diun:pg-password-42@127.0.0.1:{port}/diun"))
        .env("DIUN_DASHBOARD_POOL_TIMEOUT_SECONDS", "1")
        .env("DIUN_DASHBOARD_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!output.status.success() && printed.contains("DIUN_DASHBOARD_DATABASE_URL"), "{printed}");
    assert!(!printed.contains("pg-password-42"), "{printed}");
}

#[actix_rt::test]
async fn control_characters_cannot_forge_log_lines() {
    let s = common::sqlite_store();
    let app = app!(s);
    let refused = [
        (r#"{"image":"nginx\nINFO webhook: forged line"}"#, "image"),
        (r#"{"image":"nginx\t1"}"#, "image"),
        (r#"{"image":"nginx","hostname":"n\u001b[2Kas"}"#, "hostname"),
        (r#"{"image":"nginx","hostname":"nas\u0085x"}"#, "hostname"),
        (r#"{"image":"nginx","digest":"sha256:ab\u007fcd"}"#, "digest"),
        (r#"{"image":"nginx","metadata":{"ctn\nnames":"web"}}"#, "metadata.ctn\\nnames"),
    ];
    for (body, field) in refused {
        let answer = send(&app, post("/webhook", body)).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_field");
        assert_eq!(answer.1["field"], field, "{body}");
    }
    let assign = raw(Method::PUT, "/api/tag-assignments", r#"{"image":"nginx\r\nx","tag_id":1}"#);
    assert_eq!(send(&app, assign).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(send(&app, raw(Method::POST, "/api/tags", r#"{"name":"a\nb"}"#)).await.0, StatusCode::BAD_REQUEST);
    let (_, listing) = send(&app, get("/api/updates")).await;
    // A list, or a page of one (the listing is being paged): either way empty.
    let stored = listing.as_array().or_else(|| listing["updates"].as_array()).expect("a list of updates");
    assert!(stored.is_empty(), "nothing was stored: {listing}");

    // Free text stays free.
    let body = r#"{"image":"nginx","digest":"aéééééééééééééé","metadata":{"ctn_command":"sh -c 'a\n\tb'"}}"#;
    let (status, stored) = send(&app, post("/webhook", body)).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
}

#[actix_rt::test]
async fn metrics_labels_come_from_bounded_sets() {
    let s = common::sqlite_store();
    let app = app!(s);
    let scrape = || async {
        let page = actix_web::test::call_and_read_body(&app, get("/metrics").to_request()).await;
        String::from_utf8(page.to_vec()).unwrap()
    };
    for n in 0..30 {
        let invented = Method::from_bytes(format!("INVENTED{n}").as_bytes()).unwrap();
        actix_web::test::call_service(&app, TestRequest::default().method(invented).uri("/api/updates").to_request())
            .await;
        actix_web::test::call_service(&app, get(&format!("/no/such/path/{n}")).to_request()).await;
    }
    let page = scrape().await;
    let http: Vec<&str> =
        page.lines().filter(|l| l.starts_with("diun_dashboard_http_request_duration_seconds")).collect();
    assert!(!http.iter().any(|l| l.contains("INVENTED") || l.contains("/no/such")), "{http:#?}");
    assert!(http.iter().any(|l| l.contains(r#"route="/api/updates",method="other""#)), "{http:#?}");
    assert!(http.iter().any(|l| l.contains(r#"route="unmatched",method="GET""#)), "{http:#?}");

    // Per-host gauges follow the data: a host whose updates are gone disappears.
    let mut ids = Vec::new();
    for host in ["alpha", "beta"] {
        let body = json!({"image": "nginx:1", "hostname": host}).to_string();
        ids.push(send(&app, post("/webhook", body)).await.1["id"].clone());
    }
    let page = scrape().await;
    assert!(page.contains("diun_dashboard_pending_updates{host=\"alpha\"} 1"), "{page}");
    assert!(page.contains("diun_dashboard_pending_updates{host=\"beta\"} 1"), "{page}");
    assert_eq!(
        send(&app, TestRequest::delete().uri(&format!("/api/updates/{}", ids[1]))).await.0,
        StatusCode::NO_CONTENT
    );
    let page = scrape().await;
    assert!(page.contains("diun_dashboard_pending_updates{host=\"alpha\"} 1"), "{page}");
    assert!(!page.contains("host=\"beta\""), "{page}");
    assert_eq!(page.matches("# TYPE diun_dashboard_pending_updates gauge").count(), 1, "{page}");
}
