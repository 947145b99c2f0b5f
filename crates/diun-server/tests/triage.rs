//! Triage over HTTP: snooze and unsnooze, acknowledging an image on every
//! host, the grouping by image, mute rules, and every refusal naming its field.

#[macro_use]
mod common;

use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use chrono::{Duration, SecondsFormat, Utc};
use common::requests::{assert_error, get, post, send, with_json};
use common::TestStore;
use serde_json::{json, Value};

fn webhook(host: &str, image: &str, digest: &str) -> Vec<u8> {
    json!({"hostname": host, "image": image, "digest": digest, "status": "update"}).to_string().into_bytes()
}

fn in_minutes(minutes: i64) -> String {
    (Utc::now() + Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Asserts a 400 that names `field`.
fn assert_refused(answer: &(StatusCode, Value), field: &str) {
    assert_eq!(answer.0, StatusCode::BAD_REQUEST, "{}", answer.1);
    assert_eq!(answer.1["field"], field, "{}", answer.1);
    assert!(answer.1["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", answer.1);
}

fn ids(list: &Value) -> Vec<i64> {
    list["updates"].as_array().expect("a list").iter().map(|u| u["id"].as_i64().unwrap()).collect()
}

async fn snooze_leaves_the_pending_list_and_unsnooze_brings_it_back(s: TestStore) {
    let app = app!(s);
    let (_, a) = send(&app, post("/webhook", webhook("nas", "nginx:1.27", "sha256:a"))).await;
    let (_, b) = send(&app, post("/webhook", webhook("nas", "redis:7", "sha256:b"))).await;
    let until = in_minutes(60);
    let (status, answer) =
        send(&app, with_json(Method::POST, "/api/updates/snooze", json!({"until": until, "ids": [a["id"]]}))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["snoozed"], 1);
    assert_eq!(answer["until"].as_str().map(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()), Some(true));
    let (_, pending) = send(&app, get("/api/updates?state=pending")).await;
    assert_eq!(ids(&pending), [b["id"].as_i64().unwrap()]);
    let (_, alias) = send(&app, get("/api/updates?acknowledged=false")).await;
    assert_eq!(ids(&alias), ids(&pending));
    let (_, snoozed) = send(&app, get("/api/updates?state=snoozed")).await;
    let snoozed = &snoozed["updates"][0];
    assert_eq!((snoozed["id"].clone(), snoozed["state"].clone()), (a["id"].clone(), json!("snoozed")));
    assert!(snoozed["snoozed_until"].is_string() && snoozed["pending_since"].is_string(), "{snoozed}");
    assert_eq!(snoozed["muted_by"], Value::Null);
    let (_, summary) = send(&app, get("/api/updates/summary")).await;
    assert_eq!(
        (summary["pending"].clone(), summary["snoozed"].clone(), summary["muted"].clone()),
        (json!(1), json!(1), json!(0))
    );

    let (status, answer) =
        send(&app, with_json(Method::POST, "/api/updates/unsnooze", json!({"ids": [a["id"], b["id"]]}))).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"unsnoozed": 1})));
    let (_, pending) = send(&app, get("/api/updates?state=pending")).await;
    assert_eq!(ids(&pending).len(), 2);
}

async fn snooze_refusals_name_the_field_and_change_nothing(s: TestStore) {
    let app = app!(s);
    let (_, a) = send(&app, post("/webhook", webhook("nas", "nginx:1.27", "sha256:a"))).await;
    let snooze = |body: Value| with_json(Method::POST, "/api/updates/snooze", body);
    assert_refused(&send(&app, snooze(json!({"until": in_minutes(-1), "ids": [a["id"]]}))).await, "until");
    assert_refused(&send(&app, snooze(json!({"until": in_minutes(60 * 24 * 400), "ids": [a["id"]]}))).await, "until");
    assert_refused(&send(&app, snooze(json!({"until": "next tuesday", "ids": [a["id"]]}))).await, "until");
    assert_refused(&send(&app, snooze(json!({"ids": [a["id"]]}))).await, "until");
    assert_refused(&send(&app, snooze(json!({"until": in_minutes(5), "image": " "}))).await, "image");
    let filter = json!({"until": in_minutes(5), "filter": {"state": "sleeping"}});
    assert_refused(&send(&app, snooze(filter)).await, "filter.state");
    let both = send(&app, snooze(json!({"until": in_minutes(5), "ids": [a["id"]], "image": "nginx:1.27"}))).await;
    assert_error(&both, StatusCode::BAD_REQUEST, "invalid_request");
    assert_refused(&send(&app, with_json(Method::POST, "/api/updates/unsnooze", json!({"ids": "all"}))).await, "ids");
    assert_refused(&send(&app, get("/api/updates?state=sleeping")).await, "state");
    assert_refused(&send(&app, get("/api/updates?state=pending&acknowledged=false")).await, "state");
    let (_, still) = send(&app, get("/api/updates?state=pending")).await;
    assert_eq!(ids(&still), [a["id"].as_i64().unwrap()], "nothing was snoozed");
}

async fn acknowledge_an_image_on_every_host_and_undo(s: TestStore) {
    let app = app!(s);
    for host in ["nas", "pi", "box"] {
        send(&app, post("/webhook", webhook(host, "docker.io/library/nginx:1.27", "sha256:a"))).await;
    }
    send(&app, post("/webhook", webhook("nas", "docker.io/library/redis:7", "sha256:b"))).await;
    let acknowledge = json!({"image": "docker.io/library/nginx:1.27"});
    let (status, answer) = send(&app, with_json(Method::POST, "/api/updates/acknowledge", acknowledge)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["acknowledged"], 3);
    let (_, by_image) = send(&app, get("/api/updates?image=docker.io/library/nginx:1.27&state=acknowledged")).await;
    assert_eq!(ids(&by_image).len(), 3);
    let undo = json!({"acknowledged_at": answer["acknowledged_at"]});
    let (_, undone) = send(&app, with_json(Method::POST, "/api/updates/unacknowledge", undo)).await;
    assert_eq!(undone["unacknowledged"], 3);
    let refused = send(&app, with_json(Method::POST, "/api/updates/acknowledge", json!({"image": ""}))).await;
    assert_refused(&refused, "image");
    let two = json!({"image": "nginx", "all": true});
    assert_error(
        &send(&app, with_json(Method::POST, "/api/updates/acknowledge", two)).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
}

async fn images_are_grouped_and_paged_by_the_server(s: TestStore) {
    let app = app!(s);
    send(&app, post("/webhook", webhook("pi", "nginx:1.27", "sha256:old"))).await;
    send(&app, post("/webhook", webhook("nas", "nginx:1.27", "sha256:new"))).await;
    send(&app, post("/webhook", webhook("nas", "redis:7", "sha256:r"))).await;
    send(&app, post("/webhook", webhook("box", "postgres:16", "sha256:p"))).await;

    let request = get("/api/images?limit=2");
    let response = actix_web::test::call_service(&app, request.to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let etag = response.headers().get("etag").expect("an ETag").to_str().unwrap().to_owned();
    let first: Value = serde_json::from_slice(&actix_web::test::read_body(response).await).unwrap();
    assert_eq!(first["images"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let (_, second) = send(&app, get(&format!("/api/images?limit=2&cursor={cursor}"))).await;
    assert_eq!(second["next_cursor"], Value::Null);
    // Each image once, newest first (webhooks in one millisecond tie, then go by reference).
    let groups: Vec<Value> =
        [&first, &second].iter().flat_map(|page| page["images"].as_array().unwrap().clone()).collect();
    let mut names: Vec<&str> = groups.iter().map(|g| g["image"].as_str().unwrap()).collect();
    let seen: Vec<&str> = groups.iter().map(|g| g["last_seen_at"].as_str().unwrap()).collect();
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "{seen:?}");
    names.sort();
    assert_eq!(names, ["nginx:1.27", "postgres:16", "redis:7"]);
    let group = groups.iter().find(|g| g["image"] == "nginx:1.27").unwrap();
    assert_eq!(group["hosts"], json!(["nas", "pi"]));
    assert_eq!(
        (group["host_count"].clone(), group["pending"].clone(), group["total"].clone()),
        (json!(2), json!(2), json!(2))
    );
    assert_eq!(group["newest_digest"], "sha256:new");

    let unchanged = TestRequest::get().uri("/api/images?limit=2").insert_header(("if-none-match", etag.clone()));
    let response = actix_web::test::call_service(&app, unchanged.to_request()).await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);

    assert_refused(&send(&app, get("/api/images?limit=0")).await, "limit");
    assert_refused(&send(&app, get("/api/images?cursor=zz")).await, "cursor");
    assert_refused(&send(&app, get(&format!("/api/images?limit=2&state=pending&cursor={cursor}"))).await, "cursor");
    assert_refused(&send(&app, get(&format!("/api/updates?cursor={cursor}"))).await, "cursor");
    assert_refused(&send(&app, get("/api/images?state=later")).await, "state");
    assert_error(&send(&app, get("/api/images?colour=red")).await, StatusCode::BAD_REQUEST, "invalid_query");
}

async fn mute_rules_are_made_listed_and_deleted(s: TestStore) {
    let app = app!(s);
    let (_, nightly) = send(&app, post("/webhook", webhook("nas", "ghcr.io/acme/api:nightly", "sha256:1"))).await;
    let rule = json!({"pattern": "ghcr.io/acme/*:nightly", "hostname": "nas", "status": "update", "comment": "nightly builds"});
    let (status, created) = send(&app, with_json(Method::POST, "/api/mute-rules", rule)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["held"], 1);
    assert_eq!(
        (created["pattern"].clone(), created["hostname"].clone(), created["status"].clone()),
        (json!("ghcr.io/acme/*:nightly"), json!("nas"), json!("update"))
    );
    let (_, muted) = send(&app, get("/api/updates?state=muted")).await;
    assert_eq!(ids(&muted), [nightly["id"].as_i64().unwrap()]);
    assert_eq!(muted["updates"][0]["muted_by"], created["id"]);
    let (_, later) = send(&app, post("/webhook", webhook("nas", "ghcr.io/acme/web:nightly", "sha256:2"))).await;
    assert_eq!((later["state"].clone(), later["muted_by"].clone()), (json!("muted"), created["id"].clone()));
    let (status, rules) = send(&app, get("/api/mute-rules")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rules[0]["held"], 2);
    let (_, summary) = send(&app, get("/api/updates/summary")).await;
    assert_eq!((summary["muted"].clone(), summary["pending"].clone()), (json!(2), json!(0)));

    let path = format!("/api/mute-rules/{}", created["id"]);
    let (status, _) = send(&app, TestRequest::delete().uri(&path)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, pending) = send(&app, get("/api/updates?state=pending")).await;
    assert_eq!(ids(&pending).len(), 2, "its updates are back");
    assert_error(&send(&app, TestRequest::delete().uri(&path)).await, StatusCode::NOT_FOUND, "not_found");
}

async fn mute_rule_refusals_name_the_field_and_write_nothing(s: TestStore) {
    let app = app!(s);
    let create = |body: Value| with_json(Method::POST, "/api/mute-rules", body);
    assert_refused(&send(&app, create(json!({"pattern": ""}))).await, "pattern");
    assert_refused(&send(&app, create(json!({"pattern": "ghcr.io/[acme"}))).await, "pattern");
    assert_refused(&send(&app, create(json!({"pattern": "x".repeat(256)}))).await, "pattern");
    assert_refused(&send(&app, create(json!({}))).await, "pattern");
    assert_refused(&send(&app, create(json!({"pattern": 7}))).await, "pattern");
    assert_refused(&send(&app, create(json!({"pattern": "nginx:*", "hostname": " "}))).await, "hostname");
    assert_refused(&send(&app, create(json!({"pattern": "nginx:*", "status": "old"}))).await, "status");
    assert_refused(&send(&app, create(json!({"pattern": "nginx:*", "comment": "c".repeat(501)}))).await, "comment");
    assert_refused(&send(&app, create(json!({"pattern": "nginx:*", "colour": "red"}))).await, "colour");
    let (_, rules) = send(&app, get("/api/mute-rules")).await;
    assert_eq!(rules, json!([]), "nothing was written");
    let (status, _) = send(&app, TestRequest::delete().uri("/api/mute-rules/abc")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

on_every_backend!(
    snooze_leaves_the_pending_list_and_unsnooze_brings_it_back,
    snooze_refusals_name_the_field_and_change_nothing,
    acknowledge_an_image_on_every_host_and_undo,
    images_are_grouped_and_paged_by_the_server,
    mute_rules_are_made_listed_and_deleted,
    mute_rule_refusals_name_the_field_and_write_nothing,
);
