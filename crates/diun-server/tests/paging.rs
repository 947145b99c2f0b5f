//! The paged list, the summary, revalidation, compression and bulk changes,
//! through the real application on every backend.

#[macro_use]
mod common;

use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use common::requests::{assert_error, get, post, send, with_json};
use common::TestStore;
use serde_json::{json, Value};

/// A webhook body for `image` on `host`.
fn body(host: &str, image: &str, digest: &str) -> Vec<u8> {
    json!({"hostname": host, "image": image, "digest": digest, "status": "new", "provider": "docker",
           "metadata": {"ctn_names": format!("/{image}-ctn")}})
    .to_string()
    .into_bytes()
}

async fn paging_walks_every_update_once_and_refuses_bad_parameters(s: TestStore) {
    let app = app!(s);
    for i in 0..23 {
        let (status, _) =
            send(&app, post("/webhook", body(&format!("host-{}", i % 2), &format!("img-{i}"), "sha256:1"))).await;
        assert_eq!(status, StatusCode::OK);
    }
    let mut seen = Vec::new();
    let mut path = "/api/updates?limit=5&host=host-0".to_owned();
    loop {
        let (status, page) = send(&app, get(&path)).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let updates = page["updates"].as_array().unwrap();
        assert!(updates.len() <= 5);
        seen.extend(updates.iter().map(|u| u["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/updates?limit=5&host=host-0&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 12);
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 12, "no update twice: {seen:?}");
    let (_, first) = send(&app, get("/api/updates?limit=5&host=host-0")).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
        ("cursor=zz", "cursor"),
        ("acknowledged=maybe", "acknowledged"),
        ("tag=web", "tag"),
    ] {
        let answer = send(&app, get(&format!("/api/updates?{query}"))).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "invalid_query");
        assert_eq!(answer.1["field"], field, "{query}: {}", answer.1);
    }
    // A cursor is bound to its filters, and any edit of it is noticed.
    let foreign = send(&app, get(&format!("/api/updates?limit=5&host=host-1&cursor={cursor}"))).await;
    assert_eq!((foreign.0, &foreign.1["field"]), (StatusCode::BAD_REQUEST, &json!("cursor")));
    let mut edited = cursor.clone().into_bytes();
    edited[10] = if edited[10] == b'a' { b'b' } else { b'a' };
    let edited = String::from_utf8(edited).unwrap();
    let tampered = send(&app, get(&format!("/api/updates?limit=5&host=host-0&cursor={edited}"))).await;
    assert_eq!((tampered.0, &tampered.1["field"]), (StatusCode::BAD_REQUEST, &json!("cursor")));
    assert_error(&send(&app, get("/api/updates?page=2")).await, StatusCode::BAD_REQUEST, "invalid_query");
}

async fn summary_and_search_answer_from_the_server(s: TestStore) {
    let app = app!(s);
    for (host, image) in [("nas", "nginx:1"), ("pi", "nginx:1"), ("nas", "redis:7")] {
        send(&app, post("/webhook", body(host, image, "sha256:1"))).await;
    }
    let (_, tag) = send(&app, with_json(Method::POST, "/api/tags", json!({"name": "web"}))).await;
    send(&app, with_json(Method::PUT, "/api/tag-assignments", json!({"images": ["nginx:1"], "tag_id": tag["id"]})))
        .await;
    let (status, summary) = send(&app, get("/api/updates/summary")).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(
        (summary["pending"].clone(), summary["acknowledged"].clone(), summary["total"].clone()),
        (json!(3), json!(0), json!(3))
    );
    assert_eq!(summary["tags"][0]["tag"]["name"], "web");
    assert_eq!(summary["tags"][0]["pending"], 2);
    assert_eq!(summary["tags"][1]["tag"], Value::Null);
    assert_eq!(
        summary["hosts"],
        json!([
            {"hostname": "nas", "pending": 2, "snoozed": 0, "muted": 0, "acknowledged": 0},
            {"hostname": "pi", "pending": 1, "snoozed": 0, "muted": 0, "acknowledged": 0}
        ])
    );
    assert_eq!(summary["oldest_pending"]["image"], "nginx:1");
    let (_, searched) = send(&app, get("/api/updates/summary?q=REDIS:7-CTN")).await;
    assert_eq!(searched["total"], 1);
    let (_, found) = send(&app, get("/api/updates?q=nas%20nginx")).await;
    assert_eq!(found["updates"].as_array().unwrap().len(), 1);
    assert_error(
        &send(&app, get("/api/updates/summary?acknowledged=true")).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
}

/// The ETag of `path`, after checking that the answer carries one.
async fn etag_of<S, B>(app: &S, path: &str) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let response = test::call_service(app, get(path).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.headers().get(header::ETAG).expect("an ETag").to_str().unwrap().to_owned()
}

async fn etags_answer_304_until_any_write(s: TestStore) {
    let app = app!(s);
    let (_, created) = send(&app, post("/webhook", body("nas", "nginx:1", "sha256:1"))).await;
    let id = created["id"].as_i64().unwrap();
    let (_, tag) = send(&app, with_json(Method::POST, "/api/tags", json!({"name": "web"}))).await;
    let tag_id = tag["id"].as_i64().unwrap();
    let writes: Vec<(&str, TestRequest)> = vec![
        ("a webhook", post("/webhook", body("nas", "nginx:1", "sha256:1"))),
        ("an acknowledgment", with_json(Method::PATCH, &format!("/api/updates/{id}"), json!({"acknowledged": true}))),
        ("an undo", with_json(Method::POST, "/api/updates/unacknowledge", json!({"ids": [id]}))),
        ("a bulk acknowledgment", with_json(Method::POST, "/api/updates/acknowledge", json!({"all": true}))),
        ("a tag", with_json(Method::POST, "/api/tags", json!({"name": "db"}))),
        (
            "an assignment",
            with_json(Method::PUT, "/api/tag-assignments", json!({"image": "nginx:1", "tag_id": tag_id})),
        ),
        ("a deletion", TestRequest::delete().uri(&format!("/api/updates/{id}"))),
    ];
    for (what, write) in writes {
        for path in ["/api/updates", "/api/updates/summary", "/api/tags"] {
            let tag = etag_of(&app, path).await;
            let cached =
                test::call_service(&app, get(path).insert_header((header::IF_NONE_MATCH, tag.clone())).to_request())
                    .await;
            assert_eq!(cached.status(), StatusCode::NOT_MODIFIED, "{path} before {what}");
            assert!(test::read_body(cached).await.is_empty());
        }
        let before = etag_of(&app, "/api/updates").await;
        let response = test::call_service(&app, write.to_request()).await;
        assert!(response.status().is_success(), "{what}: {}", response.status());
        let again =
            test::call_service(&app, get("/api/updates").insert_header((header::IF_NONE_MATCH, before)).to_request())
                .await;
        assert_eq!(again.status(), StatusCode::OK, "{what} must change the ETag");
    }
}

async fn large_listings_are_compressed_small_ones_not(s: TestStore) {
    let app = app!(s);
    for i in 0..40 {
        send(&app, post("/webhook", body("nas", &format!("registry.example/team/image-{i}:1"), "sha256:1"))).await;
    }
    let encoding = |response: &actix_web::dev::ServiceResponse<_>| {
        response.headers().get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap().to_owned())
    };
    for (accept, expected) in [("gzip", Some("gzip")), ("gzip, br", Some("br")), ("identity", None)] {
        let response =
            test::call_service(&app, get("/api/updates").insert_header((header::ACCEPT_ENCODING, accept)).to_request())
                .await;
        assert_eq!(encoding(&response).as_deref(), expected, "{accept}");
        let bytes = test::read_body(response).await;
        let json: Value = match expected {
            Some("gzip") => serde_json::from_reader(flate2::read::GzDecoder::new(&bytes[..])).unwrap(),
            Some(_) => serde_json::from_reader(brotli::Decompressor::new(&bytes[..], 4096)).unwrap(),
            None => serde_json::from_slice(&bytes).unwrap(),
        };
        assert_eq!(json["updates"].as_array().unwrap().len(), 40);
    }
    for path in ["/api/updates?limit=1", "/healthz"] {
        let response =
            test::call_service(&app, get(path).insert_header((header::ACCEPT_ENCODING, "gzip")).to_request()).await;
        assert_eq!(encoding(&response), None, "{path} is small");
    }
}

async fn bulk_acknowledge_by_filter_and_its_undo(s: TestStore) {
    let app = app!(s);
    for (host, image) in [("nas", "nginx:1"), ("pi", "nginx:1"), ("nas", "redis:7")] {
        send(&app, post("/webhook", body(host, image, "sha256:1"))).await;
    }
    let ack = |body: Value| with_json(Method::POST, "/api/updates/acknowledge", body);
    // Read (and so cache) the unfiltered summary first: it must not outlive the change.
    assert_eq!(send(&app, get("/api/updates/summary")).await.1["pending"], 3);
    assert_eq!(send(&app, get("/api/updates/summary")).await.1["pending"], 3);
    let (status, done) = send(&app, ack(json!({"filter": {"q": "nginx"}}))).await;
    assert_eq!((status, &done["acknowledged"]), (StatusCode::OK, &json!(2)), "{done}");
    let (_, summary) = send(&app, get("/api/updates/summary")).await;
    assert_eq!(summary["pending"], 1);
    let undo = json!({"acknowledged_at": done["acknowledged_at"]});
    let (status, undone) = send(&app, with_json(Method::POST, "/api/updates/unacknowledge", undo)).await;
    assert_eq!((status, undone), (StatusCode::OK, json!({"unacknowledged": 2})));
    assert_eq!(send(&app, get("/api/updates/summary")).await.1["pending"], 3);
    let (_, done) = send(&app, ack(json!({"filter": {"tag": "none", "host": "pi"}}))).await;
    assert_eq!(done["acknowledged"], 1);
    for bad in [json!({"filter": {"tag": true}}), json!({"filter": {"tag": "web"}}), json!({"filter": {}, "all": true})]
    {
        let answer = send(&app, ack(bad.clone())).await;
        assert_eq!(answer.0, StatusCode::BAD_REQUEST, "{bad}: {}", answer.1);
    }
    let unack = |body: Value| with_json(Method::POST, "/api/updates/unacknowledge", body);
    for bad in [
        json!({}),
        json!({"ids": [1], "acknowledged_at": "2026-01-01T00:00:00Z"}),
        json!({"acknowledged_at": "yesterday"}),
    ] {
        assert_eq!(send(&app, unack(bad.clone())).await.0, StatusCode::BAD_REQUEST, "{bad}");
    }
    let too_many: Vec<String> = (0..1001).map(|i| format!("img-{i}")).collect();
    let answer = send(&app, with_json(Method::DELETE, "/api/tag-assignments", json!({"images": too_many}))).await;
    assert_eq!((answer.0, &answer.1["field"]), (StatusCode::BAD_REQUEST, &json!("images")));
}

on_every_backend!(
    paging_walks_every_update_once_and_refuses_bad_parameters,
    summary_and_search_answer_from_the_server,
    etags_answer_304_until_any_write,
    large_listings_are_compressed_small_ones_not,
    bulk_acknowledge_by_filter_and_its_undo,
);
