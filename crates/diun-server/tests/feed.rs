#![cfg(feature = "sqlite")]
//! `GET /feed.atom`: valid Atom (read back with a parser), its entries, and
//! who may read it: a feed token opens the feed and nothing else.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use atom_syndication::Feed;
use base64::Engine;
use chrono::Utc;
use diun_core::{Notification, Store};
use diun_server::auth::{hash_password, AccessControl, FailureLimiter, PasswordHash, TrustedProxies};
use diun_server::links::DashboardLinks;
use diun_server::settings::Secret;
use diun_server::{app, AppState};

const PASSWORD: &str = "feed reader password";
const API_TOKEN: &str = "api-token-0123456789";
const FEED_TOKEN: &str = "feed-token-abcdefghij";

fn notify(store: &dyn Store, host: &str, image: &str, minutes_ago: i64) -> diun_core::Update {
    let body = serde_json::json!({
        "hostname": host, "image": image, "digest": format!("sha256:{minutes_ago}"), "status": "update",
        "provider": "docker", "platform": "linux/amd64",
    })
    .to_string();
    let at = Utc::now() - chrono::Duration::minutes(minutes_ago);
    store.record_notification(&Notification::from_json(body.as_bytes()).unwrap(), at).unwrap()
}

fn parse(body: &[u8]) -> Feed {
    Feed::read_from(body).unwrap_or_else(|err| panic!("not valid Atom: {err}\n{}", String::from_utf8_lossy(body)))
}

#[actix_rt::test]
async fn feed_lists_pending_updates_newest_first_with_links_into_the_dashboard() {
    let s = common::sqlite_store();
    let older = notify(s.store.as_ref(), "nas", "nginx:1.27", 30);
    let newer = notify(s.store.as_ref(), "pi", "grafana/grafana:11 <beta> & \"more\"", 5);
    let handled = notify(s.store.as_ref(), "pi", "redis:7", 1);
    s.store.set_acknowledged(handled.id, true, Utc::now()).unwrap();
    // Snoozed and muted updates are not pending: not in the feed.
    let snoozed = notify(s.store.as_ref(), "pi", "snoozed/app:1", 2);
    s.store.snooze(&diun_core::AckSelector::Ids(vec![snoozed.id]), Utc::now() + chrono::Duration::days(1)).unwrap();
    let rule = diun_core::NewMuteRule::new("muted/*", None, None, "").unwrap();
    s.store.create_mute_rule(&rule, Utc::now()).unwrap();
    notify(s.store.as_ref(), "pi", "muted/app:1", 3);
    let mut state = AppState::new(s.store.clone());
    state.links = DashboardLinks::new(Some("https://diun.example/dash/".into()));
    let app = test::init_service(app(state)).await;

    let response = test::call_service(&app, TestRequest::get().uri("/feed.atom").to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("content-type").unwrap(), "application/atom+xml; charset=utf-8");
    let etag = response.headers().get("etag").unwrap().clone();
    let feed = parse(&test::read_body(response).await);
    assert_eq!(feed.title.as_str(), "Diun Dashboard: pending updates");
    let titles: Vec<&str> = feed.entries.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, vec!["grafana/grafana:11 <beta> & \"more\" on pi (update)", "nginx:1.27 on nas (update)"]);
    let first = &feed.entries[0];
    assert_eq!(first.links[0].href, format!("https://diun.example/dash/?history={}", newer.id));
    assert_eq!(first.id, format!("urn:diun-dashboard:update:{}:sha256:5", newer.id));
    assert!(first.summary.as_ref().unwrap().as_str().contains("linux/amd64"));
    assert_eq!(feed.entries[1].links[0].href, format!("https://diun.example/dash/?history={}", older.id));
    assert_eq!(feed.updated, chrono::SubsecRound::trunc_subsecs(newer.last_seen_at, 3).fixed_offset());

    // Unchanged: 304; after a change, new content.
    let again = TestRequest::get().uri("/feed.atom").insert_header(("if-none-match", etag.clone()));
    assert_eq!(test::call_service(&app, again.to_request()).await.status(), StatusCode::NOT_MODIFIED);
    s.store.set_acknowledged(newer.id, true, Utc::now()).unwrap();
    let after = TestRequest::get().uri("/feed.atom").insert_header(("if-none-match", etag));
    let after = test::call_service(&app, after.to_request()).await;
    assert_eq!(after.status(), StatusCode::OK);
    assert_eq!(parse(&test::read_body(after).await).entries.len(), 1);
}

#[actix_rt::test]
async fn feed_is_bounded_and_links_to_the_address_asked_without_a_public_url() {
    let s = common::sqlite_store();
    let now = Utc::now();
    let batch: Vec<(Notification, chrono::DateTime<Utc>)> = (0..130)
        .map(|n| {
            let body = format!(r#"{{"hostname":"nas","image":"app{n}:1","digest":"sha256:{n}"}}"#);
            (Notification::from_json(body.as_bytes()).unwrap(), now - chrono::Duration::minutes(200 - n))
        })
        .collect();
    s.store.record_notifications(&batch).unwrap();
    let mut state = AppState::new(s.store.clone());
    state.base_path = "/diun".into();
    let app = test::init_service(app(state)).await;
    let request = TestRequest::get().uri("/diun/feed.atom").insert_header(("host", "nas.lan:8080"));
    let feed = parse(&test::call_and_read_body(&app, request.to_request()).await);
    assert_eq!(feed.entries.len(), 100);
    assert_eq!(feed.entries[0].title.as_str(), "app129:1 on nas (update)");
    assert_eq!(feed.entries[99].title.as_str(), "app30:1 on nas (update)");
    assert!(
        feed.entries[0].links[0].href.starts_with("http://nas.lan:8080/diun/?history="),
        "{:?}",
        feed.entries[0].links
    );

    // An empty feed is valid Atom too.
    let empty = common::sqlite_store();
    let service = test::init_service(diun_server::app(AppState::new(empty.store.clone()))).await;
    let feed = parse(&test::call_and_read_body(&service, TestRequest::get().uri("/feed.atom").to_request()).await);
    assert!(feed.entries.is_empty());
    // Unknown query parameters are refused, naming the parameter.
    let bad = TestRequest::get().uri("/feed.atom?limit=5");
    let (status, body) = common::requests::send(&service, bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("limit"), "{body}");
}

fn protected_app_state(store: Arc<dyn Store>) -> AppState {
    let users = HashMap::from([("alice".to_owned(), PasswordHash::parse(&hash_password(PASSWORD).unwrap()).unwrap())]);
    let access = AccessControl::new(
        users,
        vec![Secret::new(API_TOKEN)],
        None,
        TrustedProxies::default(),
        // Generous: this test makes many refused attempts from one address.
        FailureLimiter::new(100, Duration::from_secs(60)),
    )
    .with_feed_tokens(vec![Secret::new(FEED_TOKEN)]);
    let mut state = AppState::new(store);
    state.access = Arc::new(access);
    state
}

#[actix_rt::test]
async fn a_feed_token_opens_the_feed_and_nothing_else() {
    let s = common::sqlite_store();
    let update = notify(s.store.as_ref(), "nas", "nginx:1.27", 3);
    let app = test::init_service(app(protected_app_state(s.store.clone()))).await;
    let status = |req: TestRequest| {
        let app = &app;
        async move { test::call_service(app, req.peer_addr("192.0.2.20:4000".parse().unwrap()).to_request()).await.status() }
    };
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}")));

    // The feed: with a feed token in the URL, Basic, or an API token; not without.
    assert_eq!(status(TestRequest::get().uri(&format!("/feed.atom?token={FEED_TOKEN}"))).await, StatusCode::OK);
    assert_eq!(
        status(TestRequest::get().uri("/feed.atom").insert_header(("authorization", basic.clone()))).await,
        StatusCode::OK
    );
    let bearer = ("authorization", format!("Bearer {API_TOKEN}"));
    assert_eq!(status(TestRequest::get().uri("/feed.atom").insert_header(bearer)).await, StatusCode::OK);
    assert_eq!(status(TestRequest::get().uri("/feed.atom")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(TestRequest::get().uri("/feed.atom?token=wrong")).await, StatusCode::UNAUTHORIZED);
    // A wrong feed token is not rescued by good credentials beside it: the token decides.
    let mixed = TestRequest::get().uri("/feed.atom?token=wrong").insert_header(("authorization", basic.clone()));
    assert_eq!(status(mixed).await, StatusCode::UNAUTHORIZED);

    // Everything else refuses it, in the URL or as a Bearer token.
    let id = update.id;
    for path in [
        "/api/updates".to_owned(),
        "/api/updates/summary".to_owned(),
        format!("/api/updates/{id}"),
        "/api/events".to_owned(),
        "/api/tags".to_owned(),
        "/api/info".to_owned(),
        "/".to_owned(),
        "/index.html".to_owned(),
        // Other spellings of the feed's path are other routes to the guard.
        "/%66eed.atom".to_owned(),
        "//feed.atom".to_owned(),
        "/feed.atom/".to_owned(),
    ] {
        let in_url = if path.contains('?') {
            format!("{path}&token={FEED_TOKEN}")
        } else {
            format!("{path}?token={FEED_TOKEN}")
        };
        assert_eq!(status(TestRequest::get().uri(&in_url)).await, StatusCode::UNAUTHORIZED, "{in_url}");
        let as_bearer = TestRequest::get().uri(&path).insert_header(("authorization", format!("Bearer {FEED_TOKEN}")));
        assert_eq!(status(as_bearer).await, StatusCode::UNAUTHORIZED, "{path} with the feed token as Bearer");
    }
    // It changes nothing either.
    let acknowledge = TestRequest::post()
        .uri(&format!("/api/updates/acknowledge?token={FEED_TOKEN}"))
        .insert_header(("authorization", format!("Bearer {FEED_TOKEN}")))
        .set_json(serde_json::json!({ "ids": [id] }));
    assert_eq!(status(acknowledge).await, StatusCode::UNAUTHORIZED);
    let post_feed = TestRequest::post().uri(&format!("/feed.atom?token={FEED_TOKEN}"));
    assert_eq!(status(post_feed).await, StatusCode::UNAUTHORIZED);
    assert!(s.store.get_update(id).unwrap().is_pending());
    // And the API still works with its own credentials.
    let api = TestRequest::get().uri("/api/updates").insert_header(("authorization", basic));
    assert_eq!(status(api).await, StatusCode::OK);
}
