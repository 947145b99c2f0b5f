//! Every route and every error status, through the real application.

#[macro_use]
mod common;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use common::requests::{assert_error, get, post, send, with_json};
use common::{sample, samples, TestStore};
use serde_json::{json, Value};

async fn count_updates<S, B>(app: &S) -> usize
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(app, get("/api/updates")).await.1["updates"].as_array().expect("a list").len()
}

async fn every_sample_is_accepted_by_post_and_get(s: TestStore) {
    let app = app!(s);
    for (name, body) in samples() {
        let sent: Value = serde_json::from_slice(&body).unwrap();
        let (status, stored) = send(&app, post("/webhook", body.clone())).await;
        assert_eq!(status, StatusCode::OK, "{name}: {stored}");
        for field in ["hostname", "image", "status", "provider", "hub_link", "mime_type", "digest", "platform"] {
            assert_eq!(stored[field], sent[field], "{name}: {field}");
        }
        assert_eq!(stored["diun_version"], sent["diun_version"], "{name}");
        let metadata = if sent["metadata"].is_null() { json!({}) } else { sent["metadata"].clone() };
        assert_eq!(stored["metadata"], metadata, "{name}");
        assert_eq!(stored["acknowledged_at"], Value::Null);
        assert_eq!(stored["event_count"], 1);
        // Diun's default method is GET with the same JSON body.
        let (status, again) = send(&app, TestRequest::get().uri("/webhook").set_payload(body)).await;
        assert_eq!(status, StatusCode::OK, "{name}: {again}");
        assert_eq!((again["id"].clone(), again["event_count"].clone()), (stored["id"].clone(), json!(2)));
    }
    assert_eq!(count_updates(&app).await, samples().len());
}

async fn created_null_is_kept_and_times_are_rfc3339_utc(s: TestStore) {
    let app = app!(s);
    let (_, stored) = send(&app, post("/webhook", sample("nomad.json"))).await;
    assert_eq!(stored["created"], Value::Null);
    let (_, stored) = send(&app, post("/webhook", sample("docker.json"))).await;
    assert_eq!(stored["created"], "2026-11-20T08:15:00Z");
    let seen = stored["last_seen_at"].as_str().unwrap();
    assert!(seen.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(seen).is_ok(), "{seen}");
}

async fn content_type_does_not_matter(s: TestStore) {
    let app = app!(s);
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded")] {
        let mut req = post("/webhook", sample("docker.json"));
        if let Some(content_type) = content_type {
            req = req.insert_header(("content-type", content_type));
        }
        assert_eq!(send(&app, req).await.0, StatusCode::OK, "{content_type:?}");
    }
}

async fn webhook_secret_is_required_when_set(s: TestStore) {
    let app = app!(s, secret: "s3cret-value");
    let body = sample("real-update.json");
    let refused = send(&app, post("/webhook", body.clone())).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, "unauthorized");
    let wrong = send(&app, post("/webhook", body.clone()).insert_header(("authorization", "nope"))).await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(!wrong.1.to_string().contains("s3cret"), "the secret must never be echoed");
    let prefix = send(&app, post("/webhook", body.clone()).insert_header(("authorization", "s3cret"))).await;
    assert_error(&prefix, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(count_updates(&app).await, 0, "a refused webhook writes nothing");

    let plain = send(&app, post("/webhook", body.clone()).insert_header(("authorization", "s3cret-value"))).await;
    assert_eq!(plain.0, StatusCode::OK, "{}", plain.1);
    let bearer = post("/webhook", body).insert_header(("authorization", "Bearer s3cret-value"));
    assert_eq!(send(&app, bearer).await.0, StatusCode::OK);
    assert_eq!(count_updates(&app).await, 1);
}

async fn bad_webhook_bodies_are_refused_with_the_field_named(s: TestStore) {
    let app = app!(s);
    let long_image = format!(r#"{{"image":"{}"}}"#, "a".repeat(513));
    let cases: Vec<(Vec<u8>, StatusCode, &str, Option<&str>)> = vec![
        (b"{not json".to_vec(), StatusCode::BAD_REQUEST, "invalid_json", None),
        (b"".to_vec(), StatusCode::BAD_REQUEST, "invalid_json", None),
        (br#"{"hostname":"nas"}"#.to_vec(), StatusCode::BAD_REQUEST, "missing_field", Some("image")),
        (br#"{"image":""}"#.to_vec(), StatusCode::BAD_REQUEST, "missing_field", Some("image")),
        (br#"{"image":["a"]}"#.to_vec(), StatusCode::BAD_REQUEST, "invalid_field", Some("image")),
        (br#"{"image":"a","created":17}"#.to_vec(), StatusCode::BAD_REQUEST, "invalid_field", Some("created")),
        (br#"{"image":"a","status":"deleted"}"#.to_vec(), StatusCode::BAD_REQUEST, "invalid_field", Some("status")),
        (
            br#"{"image":"a","metadata":{"k":{}}}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_field",
            Some("metadata.k"),
        ),
        (long_image.into_bytes(), StatusCode::BAD_REQUEST, "field_too_long", Some("image")),
        (vec![b' '; 64 * 1024 + 1], StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None),
    ];
    for (body, status, code, field) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(40)]).into_owned();
        let answer = send(&app, post("/webhook", body)).await;
        assert_error(&answer, status, code);
        if let Some(field) = field {
            assert_eq!(answer.1["field"], field, "{shown}");
            assert!(answer.1["message"].as_str().unwrap().contains(field), "{shown}: {}", answer.1);
        }
    }
    assert_eq!(count_updates(&app).await, 0, "a rejected webhook writes nothing");
}

async fn a_body_just_under_the_limit_is_accepted(s: TestStore) {
    let app = app!(s);
    let mut body = br#"{"image":"nginx","hostname":"nas","padding":""#.to_vec();
    body.resize(64 * 1024 - 2, b'x');
    body.extend_from_slice(b"\"}");
    assert_eq!(body.len(), 64 * 1024);
    assert_eq!(send(&app, post("/webhook", body)).await.0, StatusCode::OK);
}

async fn list_filters_combine(s: TestStore) {
    let app = app!(s);
    for (name, _) in samples() {
        send(&app, post("/webhook", sample(&name))).await;
    }
    let (_, tag) = send(&app, with_json(Method::POST, "/api/tags", json!({"name": "web"}))).await;
    let tag_id = tag["id"].as_i64().unwrap();
    let assign = json!({"image": "docker.io/library/nginx:1.27", "tag_id": tag_id});
    send(&app, with_json(Method::PUT, "/api/tag-assignments", assign)).await;
    let images = |body: Value| -> Vec<String> {
        body.as_array().unwrap().iter().map(|u| u["image"].as_str().unwrap().to_owned()).collect()
    };
    let vm = send(&app, get("/api/updates?host=vm")).await.1["updates"].clone();
    assert_eq!(images(vm).len(), 3);
    let q = send(&app, get("/api/updates?q=PROMETHEUS")).await.1["updates"].clone();
    assert_eq!(images(q), ["quay.io/prometheus/prometheus:v3.1.0"]);
    let tagged = send(&app, get(&format!("/api/updates?tag={tag_id}"))).await.1["updates"].clone();
    assert_eq!(images(tagged.clone()), ["docker.io/library/nginx:1.27"]);
    assert_eq!(tagged[0]["tag"], json!({"id": tag_id, "name": "web"}));
    let untagged = send(&app, get("/api/updates?tag=none")).await.1["updates"].clone();
    assert_eq!(images(untagged).len(), samples().len() - 1);
    let nginx_id = send(&app, get("/api/updates?q=nginx")).await.1["updates"][0]["id"].as_i64().unwrap();
    send(&app, with_json(Method::PATCH, &format!("/api/updates/{nginx_id}"), json!({"acknowledged": true}))).await;
    let acked = send(&app, get("/api/updates?acknowledged=true")).await.1["updates"].clone();
    assert_eq!(images(acked), ["docker.io/library/nginx:1.27"]);
    let pending = send(&app, get("/api/updates?acknowledged=false&host=nas")).await.1["updates"].clone();
    assert!(images(pending).is_empty());
    let all = send(&app, get("/api/updates")).await.1["updates"].clone();
    let seen: Vec<chrono::DateTime<chrono::Utc>> =
        all.as_array().unwrap().iter().map(|u| u["last_seen_at"].as_str().unwrap().parse().unwrap()).collect();
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "newest first: {seen:?}");

    assert_error(&send(&app, get("/api/updates?tag=web")).await, StatusCode::BAD_REQUEST, "invalid_query");
    assert_error(&send(&app, get("/api/updates?acknowledged=maybe")).await, StatusCode::BAD_REQUEST, "invalid_query");
}

async fn read_acknowledge_undo_and_delete_one_update(s: TestStore) {
    let app = app!(s);
    let (_, first) = send(&app, post("/webhook", sample("real-update.json"))).await;
    let id = first["id"].as_i64().unwrap();
    let mut changed: Value = serde_json::from_slice(&sample("real-update.json")).unwrap();
    changed["digest"] = json!("sha256:0000000000000000000000000000000000000000000000000000000000000002");
    send(&app, post("/webhook", changed.to_string())).await;

    let (status, one) = send(&app, get(&format!("/api/updates/{id}"))).await;
    assert_eq!((status, one["event_count"].clone()), (StatusCode::OK, json!(2)));
    let (_, events) = send(&app, get(&format!("/api/updates/{id}/events"))).await;
    let digests: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["digest"].as_str().unwrap()).collect();
    assert_eq!(digests, [changed["digest"].as_str().unwrap(), first["digest"].as_str().unwrap()]);

    let path = format!("/api/updates/{id}");
    let (status, acked) = send(&app, with_json(Method::PATCH, &path, json!({"acknowledged": true}))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(acked["acknowledged_at"].is_string());
    let (_, undone) = send(&app, with_json(Method::PATCH, &path, json!({"acknowledged": false}))).await;
    assert_eq!(undone["acknowledged_at"], Value::Null);
    assert_error(
        &send(&app, with_json(Method::PATCH, &path, json!({"acknowledged": "yes"}))).await,
        StatusCode::BAD_REQUEST,
        "invalid_field",
    );
    assert_error(
        &send(&app, TestRequest::patch().uri(&path).set_payload("{")).await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    );

    let (status, body) = send(&app, TestRequest::delete().uri(&path)).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    assert_error(&send(&app, get(&path)).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(&send(&app, get(&format!("{path}/events"))).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(&send(&app, TestRequest::delete().uri(&path)).await, StatusCode::NOT_FOUND, "not_found");
    let ack = with_json(Method::PATCH, &path, json!({"acknowledged": true}));
    assert_error(&send(&app, ack).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(&send(&app, get("/api/updates/not-a-number")).await, StatusCode::NOT_FOUND, "not_found");
}

async fn bulk_acknowledge_by_ids_tag_and_all(s: TestStore) {
    let app = app!(s);
    let mut ids = Vec::new();
    for (name, _) in samples() {
        ids.push(send(&app, post("/webhook", sample(&name))).await.1["id"].as_i64().unwrap());
    }
    let (_, tag) = send(&app, with_json(Method::POST, "/api/tags", json!({"name": "infra"}))).await;
    let assign = json!({"image": "docker.io/library/redis:7.4", "tag_id": tag["id"]});
    send(&app, with_json(Method::PUT, "/api/tag-assignments", assign)).await;

    let ack = |body: Value| with_json(Method::POST, "/api/updates/acknowledge", body);
    let (status, first) = send(&app, ack(json!({"ids": [ids[1], ids[2]]}))).await;
    assert_eq!((status, &first["acknowledged"]), (StatusCode::OK, &json!(2)));
    assert!(first["acknowledged_at"].as_str().is_some_and(|at| at.ends_with('Z')), "{first}");
    assert_eq!(send(&app, ack(json!({"ids": [ids[1]]}))).await.1["acknowledged"], json!(0));
    assert_eq!(send(&app, ack(json!({"tag_id": tag["id"]}))).await.1["acknowledged"], json!(1));
    let rest = samples().len() as i64 - 3;
    assert_eq!(send(&app, ack(json!({"all": true}))).await.1["acknowledged"], json!(rest));
    assert_eq!(send(&app, get("/api/updates?acknowledged=false")).await.1["updates"], json!([]));

    for bad in [json!({}), json!({"ids": [1], "all": true}), json!({"all": false}), json!({"ids": "1"})] {
        let answer = send(&app, ack(bad.clone())).await;
        assert_eq!(answer.0, StatusCode::BAD_REQUEST, "{bad}: {}", answer.1);
    }
    assert_error(&send(&app, ack(json!({"tag_id": 999}))).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        &send(&app, get("/api/updates/acknowledge")).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
}

async fn tags_and_assignments(s: TestStore) {
    let app = app!(s);
    send(&app, post("/webhook", sample("docker.json"))).await;
    let create = |name: &str| with_json(Method::POST, "/api/tags", json!({ "name": name }));
    let (status, media) = send(&app, create("  Media ")).await;
    assert_eq!(
        (status, media["name"].clone(), media["image_count"].clone()),
        (StatusCode::CREATED, json!("Media"), json!(0))
    );
    let id = media["id"].as_i64().unwrap();
    assert_error(&send(&app, create("media")).await, StatusCode::CONFLICT, "conflict");
    assert_error(&send(&app, create("   ")).await, StatusCode::BAD_REQUEST, "invalid_field");
    assert_error(&send(&app, create(&"x".repeat(65))).await, StatusCode::BAD_REQUEST, "invalid_field");
    assert_error(
        &send(&app, with_json(Method::POST, "/api/tags", json!({"title": "x"}))).await,
        StatusCode::BAD_REQUEST,
        "invalid_field",
    );

    let (_, other) = send(&app, create("infra")).await;
    let rename = |id: i64, name: &str| with_json(Method::PATCH, &format!("/api/tags/{id}"), json!({ "name": name }));
    let (status, renamed) = send(&app, rename(id, "Movies")).await;
    assert_eq!((status, renamed["name"].clone(), renamed["id"].clone()), (StatusCode::OK, json!("Movies"), json!(id)));
    assert_error(&send(&app, rename(id, "INFRA")).await, StatusCode::CONFLICT, "conflict");
    assert_error(&send(&app, rename(9999, "x")).await, StatusCode::NOT_FOUND, "not_found");

    let assign = |tag: Value| {
        with_json(Method::PUT, "/api/tag-assignments", json!({"image": "docker.io/library/nginx:1.27", "tag_id": tag}))
    };
    let (status, assigned) = send(&app, assign(json!(id))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(assigned, json!({"image": "docker.io/library/nginx:1.27", "tag": {"id": id, "name": "Movies"}}));
    assert_error(&send(&app, assign(json!(9999))).await, StatusCode::NOT_FOUND, "not_found");
    let blank = with_json(Method::PUT, "/api/tag-assignments", json!({"image": " ", "tag_id": id}));
    assert_error(&send(&app, blank).await, StatusCode::BAD_REQUEST, "missing_field");
    let (_, tags) = send(&app, get("/api/tags")).await;
    assert_eq!(tags.as_array().unwrap().iter().map(|t| t["image_count"].as_i64().unwrap()).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(send(&app, get("/api/updates")).await.1["updates"][0]["tag"]["id"], json!(id));

    let unassign = with_json(Method::DELETE, "/api/tag-assignments", json!({"image": "docker.io/library/nginx:1.27"}));
    assert_eq!(send(&app, unassign).await.0, StatusCode::NO_CONTENT);
    assert_eq!(send(&app, get("/api/updates")).await.1["updates"][0]["tag"], Value::Null);

    send(&app, assign(json!(other["id"]))).await;
    let path = format!("/api/tags/{}", other["id"]);
    assert_eq!(send(&app, TestRequest::delete().uri(&path)).await.0, StatusCode::NO_CONTENT);
    assert_error(&send(&app, TestRequest::delete().uri(&path)).await, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        send(&app, get("/api/updates")).await.1["updates"][0]["tag"],
        Value::Null,
        "deleting a tag removes its assignments"
    );
}

async fn health_info_and_unknown_routes(s: TestStore) {
    let app = app!(s, secret: "x");
    assert_eq!(send(&app, get("/healthz")).await, (StatusCode::OK, json!({"status": "ok"})));
    assert_eq!(send(&app, get("/readyz")).await, (StatusCode::OK, json!({"status": "ready"})));
    let (_, info) = send(&app, get("/api/info")).await;
    assert_eq!((info["webhook_secret_set"].clone(), info["webhook_path"].clone()), (json!(true), json!("webhook")));
    assert_error(&send(&app, get("/api/nothing-here")).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        &send(&app, TestRequest::delete().uri("/healthz")).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_error(
        &send(&app, TestRequest::put().uri("/webhook")).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_error(
        &send(&app, TestRequest::post().uri("/api/updates")).await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    // A path parameter that is not ASCII still reaches its route (the router
    // matches with regex-lite): a method the route lacks is 405, not the 404
    // of an unknown path, and the id is refused by the route itself.
    for path in ["/api/updates/%C3%A9t%C3%A9", "/api/updates/%E6%97%A5%E6%9C%AC/events", "/api/tags/%E2%9C%93"] {
        assert_error(
            &send(&app, TestRequest::put().uri(path)).await,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        );
    }
    for path in ["/api/updates/%C3%A9t%C3%A9", "/api/updates/%E6%97%A5%E6%9C%AC/events"] {
        let (status, refused) = send(&app, get(path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {refused}");
        assert!(!refused["message"].as_str().unwrap().starts_with("no route"), "{path}: {refused}");
    }
}

async fn everything_moves_under_the_base_path(s: TestStore) {
    let app = app!(s, base: "/diun");
    assert_eq!(send(&app, post("/diun/webhook", sample("docker.json"))).await.0, StatusCode::OK);
    assert_eq!(send(&app, get("/diun/api/updates")).await.1["updates"].as_array().unwrap().len(), 1);
    assert_error(&send(&app, get("/api/updates")).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(&send(&app, post("/webhook", sample("docker.json"))).await, StatusCode::NOT_FOUND, "not_found");
}

#[cfg(feature = "ui")]
async fn the_dashboard_is_served_with_fitting_cache_headers(s: TestStore) {
    let app = app!(s, base: "/diun");
    let page = |path: &str| actix_web::test::call_service(&app, get(path).to_request());
    let index = page("/diun/").await;
    assert_eq!(index.status(), StatusCode::OK);
    assert_eq!(index.headers().get("cache-control").unwrap(), "no-cache");
    let html = String::from_utf8(actix_web::test::read_body(index).await.to_vec()).unwrap();
    assert!(html.contains(r#"<base href="/diun/""#), "the base path is injected: {html}");
    let asset = html.split("./assets/").nth(1).and_then(|rest| rest.split('"').next()).expect("an asset link");

    let file = page(&format!("/diun/assets/{asset}")).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert!(file.headers().get("cache-control").unwrap().to_str().unwrap().contains("immutable"));
    assert_eq!(page("/diun/assets/missing-0000.js").await.status(), StatusCode::NOT_FOUND);

    // Client-side routes fall back to the page; the API does not.
    let route = page("/diun/some/view?x=1").await;
    assert_eq!(
        (route.status(), route.headers().get("cache-control").unwrap().to_str().unwrap()),
        (StatusCode::OK, "no-cache")
    );
    assert_error(&send(&app, get("/diun/api/unknown")).await, StatusCode::NOT_FOUND, "not_found");
}

on_every_backend!(
    every_sample_is_accepted_by_post_and_get,
    created_null_is_kept_and_times_are_rfc3339_utc,
    content_type_does_not_matter,
    webhook_secret_is_required_when_set,
    bad_webhook_bodies_are_refused_with_the_field_named,
    a_body_just_under_the_limit_is_accepted,
    list_filters_combine,
    read_acknowledge_undo_and_delete_one_update,
    bulk_acknowledge_by_ids_tag_and_all,
    tags_and_assignments,
    health_info_and_unknown_routes,
    everything_moves_under_the_base_path,
    #[cfg(feature = "ui")]
    the_dashboard_is_served_with_fitting_cache_headers,
);
