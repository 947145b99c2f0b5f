//! What users of PostgreSQL rely on, through the real binary: several
//! replicas on one database, and an outage of the database that the server
//! rides out (503 within the pool timeout, then recovery without a restart).
//!
//! Needs `DIUN_DASHBOARD_TEST_POSTGRES_URL`; see `diun_store_pg::testing`.
#![cfg(feature = "postgres")]

mod common;
mod server;

use std::time::{Duration, Instant};

use diun_core::StoreOptions;
use diun_store_pg::testing::{TcpProxy, TestDatabase};
use serde_json::{json, Value};
use server::{call, call_json, EventStream, Server};

/// A webhook sent to one replica is visible through the other's API at once,
/// and the other way round for an acknowledgment.
#[test]
fn two_replicas_serve_one_database() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let (a, b) = (Server::start(db.url(), &[]), Server::start(db.url(), &[]));

    let (status, stored) = call("POST", &a.url("/webhook"), Some(&common::sample("real-update.json")));
    assert_eq!(status, 200, "{stored}");
    let (status, seen) = call("GET", &b.url(&format!("/api/updates/{}", stored["id"])), None);
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen, stored);
    let (_, listed) = call("GET", &b.url("/api/updates?acknowledged=false"), None);
    let listed = &listed["updates"];
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

    let (status, _) =
        call_json("PATCH", &b.url(&format!("/api/updates/{}", stored["id"])), json!({"acknowledged": true}));
    assert_eq!(status, 200);
    let (_, seen) = call("GET", &a.url(&format!("/api/updates/{}", stored["id"])), None);
    assert!(seen["acknowledged_at"].is_string(), "{seen}");
}

/// The pool timeout the outage test gives the server, and the most an answer may take.
const POOL_TIMEOUT_SECONDS: &str = "2";
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// Sends a request during the outage: 503 with the `unavailable` JSON error, soon.
fn assert_unavailable(method: &str, url: &str, body: Option<&[u8]>) -> Value {
    let started = Instant::now();
    let (status, answer) = call(method, url, body);
    let took = started.elapsed();
    assert_eq!(status, 503, "{method} {url} during the outage: {answer}");
    assert!(took < ANSWER_WITHIN, "{method} {url} took {took:?}");
    assert_eq!(answer["error"], "unavailable", "{answer}");
    let message = answer["message"].as_str().unwrap_or_default();
    assert!(message.contains("database is unavailable"), "{method} {url}: {answer}");
    answer
}

/// While PostgreSQL is unreachable the API, `/readyz` and the webhook answer
/// 503 within the pool timeout; when it is back the server recovers by
/// itself, and live events tell clients to refetch what they missed.
#[test]
fn an_outage_answers_503_quickly_and_the_server_recovers_by_itself() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let mut proxy = TcpProxy::to_server_of(db.url());
    let server = Server::start(&proxy.url(db.url()), &[("DIUN_DASHBOARD_POOL_TIMEOUT_SECONDS", POOL_TIMEOUT_SECONDS)]);
    let events = EventStream::open(&server.url("/api/events"));
    let (status, before) = call("POST", &server.url("/webhook"), Some(&common::sample("real-update.json")));
    assert_eq!(status, 200, "{before}");
    assert_eq!(events.next_event(Duration::from_secs(10)).json()["type"], "update.created");

    proxy.stop();
    assert_unavailable("GET", &server.url("/api/updates"), None);
    assert_unavailable("GET", &server.url(&format!("/api/updates/{}", before["id"])), None);
    assert_unavailable("GET", &server.url("/readyz"), None);
    // Diun never retries: the webhook must not pretend success, and says why.
    assert_unavailable("POST", &server.url("/webhook"), Some(&common::sample("real-new-tag.json")));
    let (status, _) = call("GET", &server.url("/healthz"), None);
    assert_eq!(status, 200, "the process itself is alive");

    proxy.restart();
    let deadline = Instant::now() + Duration::from_secs(30);
    while call("GET", &server.url("/readyz"), None).0 != 200 {
        assert!(Instant::now() < deadline, "the server did not recover after the database came back");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, listed) = call("GET", &server.url("/api/updates"), None);
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["updates"].as_array().map(Vec::len), Some(1), "the refused webhook stored nothing: {listed}");
    // The feed's connection broke too: clients are told to resync (whatever
    // changed meanwhile went unannounced), then hear changes again.
    let resync = events.next_event(Duration::from_secs(30));
    assert_eq!(resync.event.as_deref(), Some("resync"), "{resync:?}");
    let (status, after) = call("POST", &server.url("/webhook"), Some(&common::sample("real-new-tag.json")));
    assert_eq!(status, 200, "{after}");
    let created = events.next_event(Duration::from_secs(10));
    assert_eq!(created.json(), json!({"type": "update.created", "id": after["id"]}));
}
