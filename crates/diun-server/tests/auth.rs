#![cfg(feature = "sqlite")]
//! The access matrix: who gets in, through which door, and what is refused.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use base64::Engine;
use diun_server::auth::{hash_password, AccessControl, FailureLimiter, MetricsAccess, PasswordHash, TrustedProxies};
use diun_server::settings::Secret;
use diun_server::{app, AppState};

const PASSWORD: &str = "correct horse battery staple";
const TOKEN: &str = "script-token-0123456789";

fn basic(user: &str, password: &str) -> (&'static str, String) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    ("authorization", format!("Basic {encoded}"))
}

fn from(ip: &str) -> SocketAddr {
    format!("{ip}:40000").parse().unwrap()
}

/// Every method on: a user, a token, and a proxy header trusted from 10.0.0.0/8.
fn protected_state(store: Arc<dyn diun_core::Store>, metrics: MetricsAccess) -> AppState {
    let users = HashMap::from([("alice".to_owned(), PasswordHash::parse(&hash_password(PASSWORD).unwrap()).unwrap())]);
    let access = AccessControl::new(
        users,
        vec![Secret::new(TOKEN)],
        Some("remote-user".try_into().unwrap()),
        TrustedProxies::parse("10.0.0.0/8").unwrap(),
        FailureLimiter::new(3, Duration::from_secs(60)),
    );
    let mut state = AppState::new(store);
    state.access = Arc::new(access);
    state.metrics = metrics;
    state
}

#[actix_rt::test]
async fn sign_in_methods_and_open_routes() {
    let s = common::sqlite_store();
    let app = test::init_service(app(protected_state(s.store.clone(), MetricsAccess::Public))).await;
    let status =
        |req: TestRequest| async { test::call_service(&app, req.peer_addr(from("192.0.2.10")).to_request()).await };

    // Open whatever the configuration: the webhook, health, public metrics.
    let webhook = TestRequest::post().uri("/webhook").set_payload(common::sample("docker.json"));
    assert_eq!(status(webhook).await.status(), StatusCode::OK);
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(status(TestRequest::get().uri(path)).await.status(), StatusCode::OK, "{path}");
    }

    // Nothing, or wrong credentials: 401 with a Basic challenge for the browser.
    let refused = status(TestRequest::get().uri("/api/updates")).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers().get("www-authenticate").unwrap().to_str().unwrap().starts_with("Basic realm="));
    let wrong = status(TestRequest::get().uri("/api/updates").insert_header(basic("alice", "guess"))).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let body = String::from_utf8(test::read_body(wrong).await.to_vec()).unwrap();
    assert!(!body.contains("guess") && body.contains("\"error\":\"unauthorized\""), "{body}");
    // From another address: the failure limit (3) is per address.
    let malformed = TestRequest::get().uri("/api/updates").insert_header(("authorization", "Basic !!not-base64"));
    let malformed = test::call_service(&app, malformed.peer_addr(from("192.0.2.11")).to_request()).await;
    assert_eq!(malformed.status(), StatusCode::UNAUTHORIZED);
    let unknown = TestRequest::get().uri("/api/updates").insert_header(basic("mallory", PASSWORD));
    assert_eq!(status(unknown).await.status(), StatusCode::UNAUTHORIZED);

    // Basic with the right password; twice, the second from the verified cache.
    for _ in 0..2 {
        let ok = status(TestRequest::get().uri("/api/updates").insert_header(basic("alice", PASSWORD))).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
    // A token.
    let bearer = TestRequest::get().uri("/api/tags").insert_header(("authorization", format!("Bearer {TOKEN}")));
    assert_eq!(status(bearer).await.status(), StatusCode::OK);
    let bad_token = TestRequest::get().uri("/api/tags").insert_header(("authorization", "Bearer nope"));
    assert_eq!(status(bad_token).await.status(), StatusCode::UNAUTHORIZED);
}

#[actix_rt::test]
async fn proxy_header_counts_only_from_trusted_proxies() {
    let s = common::sqlite_store();
    let app = test::init_service(app(protected_state(s.store.clone(), MetricsAccess::Public))).await;
    let ask = |peer: &str| {
        TestRequest::get()
            .uri("/api/updates")
            .insert_header(("remote-user", "alice"))
            .peer_addr(from(peer))
            .to_request()
    };
    assert_eq!(test::call_service(&app, ask("10.1.2.3")).await.status(), StatusCode::OK);
    assert_eq!(test::call_service(&app, ask("192.0.2.99")).await.status(), StatusCode::UNAUTHORIZED);
}

#[actix_rt::test]
async fn failed_sign_ins_are_rate_limited_per_address() {
    let s = common::sqlite_store();
    let app = test::init_service(app(protected_state(s.store.clone(), MetricsAccess::Public))).await;
    let attempt = |peer: &str, password: &str| {
        TestRequest::get()
            .uri("/api/updates")
            .insert_header(basic("alice", password))
            .peer_addr(from(peer))
            .to_request()
    };
    for _ in 0..3 {
        assert_eq!(test::call_service(&app, attempt("192.0.2.1", "wrong")).await.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now, and says for how long.
    let limited = test::call_service(&app, attempt("192.0.2.1", PASSWORD)).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another address is not affected.
    assert_eq!(test::call_service(&app, attempt("192.0.2.2", PASSWORD)).await.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn cross_site_state_changes_are_refused() {
    let s = common::sqlite_store();
    // With authentication off too: a page elsewhere must not drive a LAN dashboard.
    for state in [AppState::new(s.store.clone()), protected_state(s.store.clone(), MetricsAccess::Public)] {
        let app = test::init_service(app(state)).await;
        let post = || {
            TestRequest::post()
                .uri("/api/tags")
                .insert_header(basic("alice", PASSWORD))
                .peer_addr(from("192.0.2.50"))
                .set_json(serde_json::json!({"name": format!("t{}", rand_suffix())}))
        };
        let cross = post().insert_header(("sec-fetch-site", "cross-site")).to_request();
        let refused = test::call_service(&app, cross).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let body = String::from_utf8(test::read_body(refused).await.to_vec()).unwrap();
        assert!(body.contains("\"error\":\"forbidden\""), "{body}");
        let origin = post().insert_header(("origin", "https://evil.example")).to_request();
        assert_eq!(test::call_service(&app, origin).await.status(), StatusCode::FORBIDDEN);

        let same = post().insert_header(("sec-fetch-site", "same-origin")).to_request();
        assert_eq!(test::call_service(&app, same).await.status(), StatusCode::CREATED);
        let script = post().to_request();
        assert_eq!(test::call_service(&app, script).await.status(), StatusCode::CREATED);
        // Reading is not a state change.
        let read = TestRequest::get()
            .uri("/api/tags")
            .insert_header(basic("alice", PASSWORD))
            .insert_header(("sec-fetch-site", "cross-site"))
            .peer_addr(from("192.0.2.50"));
        assert_eq!(test::call_service(&app, read.to_request()).await.status(), StatusCode::OK);
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

#[actix_rt::test]
async fn metrics_can_be_protected_or_switched_off() {
    let s = common::sqlite_store();
    let protected = test::init_service(app(protected_state(s.store.clone(), MetricsAccess::Protected))).await;
    let scrape = || TestRequest::get().uri("/metrics").peer_addr(from("192.0.2.7"));
    assert_eq!(test::call_service(&protected, scrape().to_request()).await.status(), StatusCode::UNAUTHORIZED);
    let with_token = scrape().insert_header(("authorization", format!("Bearer {TOKEN}")));
    assert_eq!(test::call_service(&protected, with_token.to_request()).await.status(), StatusCode::OK);

    let off = test::init_service(app(protected_state(s.store.clone(), MetricsAccess::Off))).await;
    let with_token = scrape().insert_header(("authorization", format!("Bearer {TOKEN}")));
    assert_eq!(test::call_service(&off, with_token.to_request()).await.status(), StatusCode::NOT_FOUND);
}
