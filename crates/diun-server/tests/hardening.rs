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
