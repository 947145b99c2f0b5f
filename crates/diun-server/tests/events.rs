//! `GET /api/events` on the real binary: changes arrive live, heartbeats keep
//! the stream alive, and with PostgreSQL a change made through one replica
//! reaches clients of the others.

mod common;
mod server;

use std::time::Duration;

use serde_json::json;
use server::{call, call_json, EventStream, Server};

/// Generous: the events cross processes and, with PostgreSQL, the database.
const DELIVERY: Duration = Duration::from_secs(10);

#[cfg(feature = "sqlite")]
#[test]
fn webhook_and_acknowledgment_arrive_live_with_heartbeats() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("events.db").display());
    let server = Server::start(&database, &[("DIUN_DASHBOARD_SSE_HEARTBEAT_SECONDS", "1")]);
    let events = EventStream::open(&server.url("/api/events"));
    let other = EventStream::open(&server.url("/api/events"));

    let (status, stored) = call("POST", &server.url("/webhook"), Some(&common::sample("real-update.json")));
    assert_eq!(status, 200, "{stored}");
    let id = stored["id"].as_i64().unwrap();
    let created = events.next_event(DELIVERY);
    assert_eq!(created.event.as_deref(), Some("update.created"), "{created:?}");
    assert_eq!(created.json(), json!({"type": "update.created", "id": id}));
    assert_eq!(other.next_event(DELIVERY), created, "every client gets the same event");

    let (status, _) = call_json("PATCH", &server.url(&format!("/api/updates/{id}")), json!({"acknowledged": true}));
    assert_eq!(status, 200);
    let acknowledged = events.next_event(DELIVERY);
    assert_eq!(acknowledged.event.as_deref(), Some("update.acknowledged"), "{acknowledged:?}");
    assert_eq!(acknowledged.json(), json!({"type": "update.acknowledged", "ids": [id]}));
    let ids: Vec<u64> = [&created, &acknowledged].iter().map(|f| f.id.as_deref().unwrap().parse().unwrap()).collect();
    assert!(ids[0] < ids[1], "event ids grow: {ids:?}");

    // Acknowledging again changes nothing, so nothing is announced: the next
    // event is the tag made after it.
    call_json("PATCH", &server.url(&format!("/api/updates/{id}")), json!({"acknowledged": true}));
    let (status, tag) = call_json("POST", &server.url("/api/tags"), json!({"name": "media"}));
    assert_eq!(status, 201);
    assert_eq!(events.next_event(DELIVERY).json(), json!({"type": "tag.created", "id": tag["id"]}));

    let heartbeat = events.next_comment("heartbeat", Duration::from_secs(5));
    assert!(heartbeat.event.is_none() && heartbeat.data.is_empty(), "{heartbeat:?}");
}

#[cfg(feature = "sqlite")]
#[test]
fn the_stream_lives_under_the_base_path() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("events.db").display());
    let server = Server::start(&database, &[("DIUN_DASHBOARD_BASE_PATH", "/diun")]);
    let events = EventStream::open(&server.url("/diun/api/events"));
    let (status, stored) = call("POST", &server.url("/diun/webhook"), Some(&common::sample("real-update.json")));
    assert_eq!(status, 200, "{stored}");
    assert_eq!(events.next_event(DELIVERY).json(), json!({"type": "update.created", "id": stored["id"]}));
}

/// Open streams end on SIGTERM instead of holding the graceful stop for its
/// whole timeout (30 s by default).
#[cfg(feature = "sqlite")]
#[test]
fn open_streams_do_not_delay_a_stop() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("events.db").display());
    let server = Server::start(&database, &[]);
    let events = EventStream::open(&server.url("/api/events"));
    let (status, took) = server.stop();
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(10), "the stop took {took:?}");
    assert!(events.next_frame(Duration::from_secs(5)).is_none(), "the stream ended");
}

/// Two replicas on one PostgreSQL database: a client of B hears the webhook sent to A.
#[cfg(feature = "postgres")]
#[test]
fn a_change_through_one_replica_reaches_clients_of_another() {
    use diun_core::StoreOptions;
    use diun_store_pg::testing::TestDatabase;

    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let (a, b) = (Server::start(db.url(), &[]), Server::start(db.url(), &[]));
    let on_b = EventStream::open(&b.url("/api/events"));
    let on_a = EventStream::open(&a.url("/api/events"));

    let (status, stored) = call("POST", &a.url("/webhook"), Some(&common::sample("real-update.json")));
    assert_eq!(status, 200, "{stored}");
    let expected = json!({"type": "update.created", "id": stored["id"]});
    assert_eq!(on_b.next_event(DELIVERY).json(), expected);
    assert_eq!(on_a.next_event(DELIVERY).json(), expected, "the replica that made the change hears it once");

    let (status, _) =
        call_json("PATCH", &b.url(&format!("/api/updates/{}", stored["id"])), json!({"acknowledged": true}));
    assert_eq!(status, 200);
    let expected = json!({"type": "update.acknowledged", "ids": [stored["id"]]});
    assert_eq!(on_a.next_event(DELIVERY).json(), expected);
    assert_eq!(on_b.next_event(DELIVERY).json(), expected);
}
