//! The bad-input corpus of issue 9: hundreds of malformed requests through the
//! real application, on every backend, each answered with a 4xx, a JSON error
//! body naming the problem (and the field, when one is at fault), and no change
//! to the stored data.
//!
//! Bodies trickled byte by byte need a real socket and a clock; they are
//! covered by `tests/limits.rs` (408 within the bound) and not counted here.

#[macro_use]
mod common;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::test::TestRequest;
use common::requests::send;
use common::TestStore;
use diun_core::FIELD_LIMITS;
use serde_json::{json, Value};

const SECRET: &str = "corpus-s3cret";

/// What a case expects of the `field` of the error body.
#[derive(Debug, Clone)]
enum Field {
    /// No single field is at fault: `field` is absent.
    Absent,
    /// This field is at fault.
    Named(String),
}

/// One malformed request and what it must be answered with.
struct Case {
    what: String,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    status: StatusCode,
    code: &'static str,
    field: Field,
    /// Which application: the one at the root, or the one under `/diun`.
    under_base: bool,
}

impl Case {
    fn new(what: impl Into<String>, method: Method, path: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Case {
            what: what.into(),
            method,
            path: path.into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
            status: StatusCode::BAD_REQUEST,
            code: "invalid_field",
            field: Field::Absent,
            under_base: false,
        }
    }

    /// A webhook with the right secret.
    fn webhook(what: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Case::new(what, Method::POST, "/webhook", body).header("authorization", SECRET)
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(known, _)| known != name);
        self.headers.push((name.into(), value.into()));
        self
    }

    fn without_header(mut self, name: &str) -> Self {
        self.headers.retain(|(known, _)| known != name);
        self
    }

    fn expect(mut self, status: StatusCode, code: &'static str) -> Self {
        self.status = status;
        self.code = code;
        self
    }

    fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Field::Named(field.into());
        self
    }

    fn request(&self) -> TestRequest {
        // Headers after the body, which sets its own Content-Length: a case may lie about it.
        let mut req = TestRequest::default().method(self.method.clone()).uri(&self.path).set_payload(self.body.clone());
        for (name, value) in &self.headers {
            req = req.insert_header((name.as_str(), value.as_str()));
        }
        req
    }
}

/// A valid webhook body with `field` set to `value` (removed when `None`).
fn webhook_with(field: &str, value: Option<Value>) -> Vec<u8> {
    let mut body = json!({
        "diun_version": "4.33.0",
        "hostname": "corpus-host",
        "status": "new",
        "provider": "docker",
        "image": "corpus/refused:1",
        "hub_link": "https://hub.docker.com/r/corpus/refused",
        "mime_type": "application/vnd.oci.image.index.v1+json",
        "digest": "sha256:c0c0",
        "created": "2026-11-20T08:15:00Z",
        "platform": "linux/amd64",
        "metadata": {"ctn_names": "web"}
    });
    match value {
        Some(value) => body[field] = value,
        None => {
            body.as_object_mut().unwrap().remove(field);
        }
    }
    serde_json::to_vec(&body).unwrap()
}

/// What must not change: every update (id, digest, acknowledgment, count), the tags and the summary.
async fn snapshot<S, B>(app: &S) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (status, page) = send(app, common::requests::get("/api/updates?limit=1000")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["next_cursor"], Value::Null, "one page holds them all");
    let updates: Vec<Value> = page["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| json!([u["id"], u["image"], u["hostname"], u["digest"], u["acknowledged_at"], u["event_count"]]))
        .collect();
    let (_, tags) = send(app, common::requests::get("/api/tags")).await;
    let (_, summary) = send(app, common::requests::get("/api/updates/summary")).await;
    json!({"updates": updates, "tags": tags, "summary": summary})
}

/// Seeds the data that a write would visibly change, accepting on the way
/// every value exactly at its limit (the "−1" side of "limits ±1").
/// Returns the ids of two updates and of two tags.
async fn seed<S, B>(app: &S) -> (i64, i64, i64, i64)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let hook =
        |body: Vec<u8>| TestRequest::post().uri("/webhook").insert_header(("authorization", SECRET)).set_payload(body);
    let mut ids = Vec::new();
    for image in ["docker.io/library/nginx:1.27", "docker.io/library/redis:7", "ghcr.io/corpus/app:2"] {
        let body = json!({"image": image, "hostname": "nas", "digest": "sha256:5eed", "status": "new"});
        let (status, update) = send(app, hook(body.to_string().into_bytes())).await;
        assert_eq!(status, StatusCode::OK, "{update}");
        ids.push(update["id"].as_i64().unwrap());
    }
    // Every text field at its limit, and the metadata's.
    for &(field, limit) in FIELD_LIMITS {
        let mut body = json!({"image": format!("seed/{field}:1"), "hostname": "limits"});
        body[field] = json!("a".repeat(limit));
        let (status, update) = send(app, hook(serde_json::to_vec(&body).unwrap())).await;
        assert_eq!(status, StatusCode::OK, "{field} at its limit {limit}: {update}");
    }
    let body = json!({"image": "seed/metadata:1", "metadata": {"k".repeat(255): "v".repeat(8192)}});
    assert_eq!(send(app, hook(serde_json::to_vec(&body).unwrap())).await.0, StatusCode::OK);
    // Deep nesting in a field nobody reads is skipped without recursion.
    let deep = format!(r#"{{"image":"seed/deep:1","extra":{}{}}}"#, "[".repeat(20_000), "]".repeat(20_000));
    let (status, answer) = send(app, hook(deep.into_bytes())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // A body of exactly 64 KiB.
    let mut body = json!({"image": "seed/size:1", "padding": ""}).to_string();
    let padding = 64 * 1024 - body.len();
    body = body.replace(r#""padding":"""#, &format!(r#""padding":"{}""#, "p".repeat(padding)));
    assert_eq!(body.len(), 64 * 1024);
    let (status, answer) = send(app, hook(body.into_bytes())).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let (status, web) = send(app, common::requests::with_json(Method::POST, "/api/tags", json!({"name": "web"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{web}");
    let long = json!({"name": "t".repeat(64)});
    let (status, other) = send(app, common::requests::with_json(Method::POST, "/api/tags", long)).await;
    assert_eq!(status, StatusCode::CREATED, "a name of exactly 64 characters: {other}");
    let assign = json!({"image": "docker.io/library/nginx:1.27", "tag_id": web["id"]});
    assert_eq!(
        send(app, common::requests::with_json(Method::PUT, "/api/tag-assignments", assign)).await.0,
        StatusCode::OK
    );
    let ack =
        common::requests::with_json(Method::PATCH, &format!("/api/updates/{}", ids[1]), json!({"acknowledged": true}));
    assert_eq!(send(app, ack).await.0, StatusCode::OK);
    (ids[0], ids[1], web["id"].as_i64().unwrap(), other["id"].as_i64().unwrap())
}

/// The wrong JSON types for a field, by name.
fn wrong_values() -> Vec<(&'static str, Value)> {
    vec![
        ("a number", json!(5)),
        ("a fraction", json!(1.5)),
        ("a boolean", json!(true)),
        ("an array", json!(["x"])),
        ("an object", json!({"x": "y"})),
    ]
}

fn webhook_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let text_fields = [
        "diun_version",
        "hostname",
        "status",
        "provider",
        "image",
        "hub_link",
        "mime_type",
        "digest",
        "created",
        "platform",
    ];
    // Every field with every wrong type.
    for field in text_fields {
        for (kind, value) in wrong_values() {
            cases.push(
                Case::webhook(format!("webhook {field} as {kind}"), webhook_with(field, Some(value))).field(field),
            );
        }
    }
    for (kind, value) in
        [("a string", json!("web")), ("a number", json!(5)), ("a boolean", json!(true)), ("an array", json!(["web"]))]
    {
        cases.push(
            Case::webhook(format!("webhook metadata as {kind}"), webhook_with("metadata", Some(value)))
                .field("metadata"),
        );
    }
    for (kind, value) in wrong_values().into_iter().chain([("null", Value::Null)]) {
        let body = webhook_with("metadata", Some(json!({"ctn_names": value})));
        cases.push(Case::webhook(format!("webhook metadata value as {kind}"), body).field("metadata.ctn_names"));
    }
    // Required, and not blank.
    for (kind, value) in
        [("absent", None), ("null", Some(Value::Null)), ("empty", Some(json!(""))), ("blank", Some(json!(" \t ")))]
    {
        cases.push(
            Case::webhook(format!("webhook image {kind}"), webhook_with("image", value))
                .expect(StatusCode::BAD_REQUEST, "missing_field")
                .field("image"),
        );
    }
    // Values of the right type that mean nothing.
    for (field, value) in [
        ("status", "gone"),
        ("status", "NEW"),
        ("created", "yesterday"),
        ("created", "2026-13-01T00:00:00Z"),
        ("created", "2026-11-20 08:15:00"),
    ] {
        cases.push(
            Case::webhook(format!("webhook {field} {value:?}"), webhook_with(field, Some(json!(value)))).field(field),
        );
    }
    // Every text field at limit + 1 (the limit itself was accepted while seeding).
    for &(field, limit) in FIELD_LIMITS {
        let body = webhook_with(field, Some(json!("a".repeat(limit + 1))));
        cases.push(
            Case::webhook(format!("webhook {field} at {} bytes", limit + 1), body)
                .expect(StatusCode::BAD_REQUEST, "field_too_long")
                .field(field),
        );
        // Counted in bytes: two-byte characters reach the limit at half as many.
        let body = webhook_with(field, Some(json!("é".repeat(limit / 2 + 1))));
        cases.push(
            Case::webhook(format!("webhook {field} over its limit in two-byte characters"), body)
                .expect(StatusCode::BAD_REQUEST, "field_too_long")
                .field(field),
        );
    }
    let key = "k".repeat(256);
    cases.push(
        Case::webhook("webhook metadata key at 256 bytes", webhook_with("metadata", Some(json!({key.clone(): "v"}))))
            .expect(StatusCode::BAD_REQUEST, "field_too_long")
            .field(format!("metadata.{key}")),
    );
    cases.push(
        Case::webhook(
            "webhook metadata value at 8193 bytes",
            webhook_with("metadata", Some(json!({"k": "v".repeat(8193)}))),
        )
        .expect(StatusCode::BAD_REQUEST, "field_too_long")
        .field("metadata.k"),
    );
    // Control characters in every field that names something, and NUL anywhere.
    for &(field, _) in FIELD_LIMITS {
        for control in ["\n", "\r", "\t", "\u{1b}[2K", "\u{7f}", "\u{85}", "\u{0}"] {
            let body = webhook_with(field, Some(json!(format!("x{control}y"))));
            cases.push(Case::webhook(format!("webhook {field} with {control:?}"), body).field(field));
        }
    }
    for control in ["\n", "\u{1b}", "\u{0}"] {
        let body = webhook_with("metadata", Some(json!({format!("ctn{control}names"): "web"})));
        let field = format!("metadata.ctn{}names", control.escape_debug());
        cases.push(Case::webhook(format!("webhook metadata key with {control:?}"), body).field(field));
    }
    let body = webhook_with("metadata", Some(json!({"ctn_names": "a\u{0}b"})));
    cases.push(Case::webhook("webhook metadata value with NUL", body).field("metadata.ctn_names"));

    // Bodies that are not a JSON object, or not JSON at all.
    let syntax = |what: &str, body: Vec<u8>| Case::webhook(what, body).expect(StatusCode::BAD_REQUEST, "invalid_json");
    cases.push(syntax("webhook empty body", Vec::new()));
    cases.push(syntax("webhook truncated", br#"{"image":"corpus/x:1""#.to_vec()));
    cases.push(syntax("webhook trailing bytes", br#"{"image":"corpus/x:1"} {}"#.to_vec()));
    cases.push(syntax("webhook single quotes", br#"{'image':'corpus/x:1'}"#.to_vec()));
    cases.push(syntax("webhook trailing comma", br#"{"image":"corpus/x:1",}"#.to_vec()));
    cases.push(syntax("webhook comment", b"{\"image\":\"corpus/x:1\" /* hi */}".to_vec()));
    cases.push(syntax("webhook NaN", br#"{"image":"corpus/x:1","created":NaN}"#.to_vec()));
    cases.push(syntax("webhook raw NUL byte", b"{\"image\":\"corpus/x:1\0\"}".to_vec()));
    cases.push(syntax("webhook raw newline in a string", b"{\"image\":\"corpus/x:1\nINFO forged\"}".to_vec()));
    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend_from_slice(br#"{"image":"corpus/x:1"}"#);
    cases.push(syntax("webhook UTF-8 BOM", bom));
    cases.push(syntax("webhook invalid UTF-8", b"{\"image\":\"corpus/x\xff\xfe:1\"}".to_vec()));
    cases.push(syntax("webhook overlong UTF-8", b"{\"image\":\"corpus/\xc0\xaf:1\"}".to_vec()));
    cases.push(syntax("webhook lone surrogate", br#"{"image":"corpus/\ud800:1"}"#.to_vec()));
    cases.push(syntax("webhook UTF-16", "{\"image\":\"x\"}".encode_utf16().flat_map(u16::to_le_bytes).collect()));
    // Deep nesting where a value is read (in an unknown field it is skipped
    // without recursion: see the seeding).
    for field in ["image", "created", "metadata"] {
        let other = if field == "image" { "hostname" } else { "image" };
        let deep = format!(r#"{{"{other}":"corpus/x:1","{field}":{}1{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
        cases.push(Case::webhook(format!("webhook {field} nested 10,000 deep"), deep.into_bytes()).field(field));
    }
    let deep = format!(r#"{{"image":"corpus/x:1","metadata":{}"v"{}}}"#, r#"{"a":"#.repeat(200), "}".repeat(200));
    cases.push(Case::webhook("webhook metadata objects nested 200 deep", deep.into_bytes()).field("metadata.a"));
    cases.push(syntax("webhook form-encoded", b"image=corpus%2Fx%3A1&hostname=nas".to_vec()));
    cases.push(
        syntax("webhook form-encoded, said so", b"image=corpus%2Fx%3A1".to_vec())
            .header("content-type", "application/x-www-form-urlencoded"),
    );
    cases.push(syntax("webhook XML said to be JSON", b"<notification><image>x</image></notification>".to_vec()));
    cases.push(
        syntax(
            "webhook multipart",
            b"--b\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nx\r\n--b--\r\n".to_vec(),
        )
        .header("content-type", "multipart/form-data; boundary=b"),
    );
    for (what, body) in [
        ("an array", "[{\"image\":\"corpus/x:1\"}]"),
        ("a string", "\"corpus/x:1\""),
        ("a number", "1"),
        ("null", "null"),
        ("true", "true"),
    ] {
        cases.push(Case::webhook(format!("webhook body {what}"), body.as_bytes().to_vec()));
    }
    // Duplicate keys: which one would win is anybody's guess.
    for field in ["image", "hostname", "digest"] {
        let body = format!(r#"{{"image":"corpus/x:1","hostname":"h","digest":"d","{field}":"other"}}"#);
        cases.push(Case::webhook(format!("webhook duplicate {field}"), body.into_bytes()).field(field));
    }
    let body = r#"{"image":"corpus/x:1","metadata":{"k":"a","k":"b"}}"#;
    cases.push(Case::webhook("webhook duplicate metadata key", body.as_bytes().to_vec()).field("metadata.k"));
    // Over 64 KiB (exactly 64 KiB was accepted while seeding), declared or not.
    let big = webhook_with("padding", Some(json!("p".repeat(64 * 1024))));
    cases.push(Case::webhook("webhook over 64 KiB", big).expect(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));
    let mut just_over = json!({"image": "seed/size:1", "padding": ""}).to_string();
    let padding = 64 * 1024 + 1 - just_over.len();
    just_over = just_over.replace(r#""padding":"""#, &format!(r#""padding":"{}""#, "p".repeat(padding)));
    cases.push(
        Case::webhook("webhook at 64 KiB + 1", just_over.into_bytes())
            .expect(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
    );
    cases.push(
        Case::webhook("webhook declaring 1 GiB", br#"{"image":"corpus/x:1"}"#.to_vec())
            .header("content-length", "1073741824")
            .expect(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
    );
    // Wrong secrets, with a body that would otherwise be stored.
    let good = webhook_with("image", Some(json!("corpus/secret:1")));
    let secrets = [
        Some("wrong"),
        Some(""),
        Some(&SECRET[..SECRET.len() - 1]),
        Some(&format!("{SECRET}x")),
        Some(&format!("{SECRET} ")),
        Some(&format!(" {SECRET}")),
        Some(&SECRET.to_uppercase()),
        Some(&format!("bearer {SECRET}")),
        Some(&format!("Bearer  {SECRET}")),
        Some(&format!("Token {SECRET}")),
        Some("Basic Y29ycHVzOmNvcnB1cy1zM2NyZXQ="),
        None,
    ]
    .map(|s| s.map(str::to_owned));
    for secret in secrets {
        let mut case = Case::webhook(format!("webhook with secret {secret:?}"), good.clone())
            .without_header("authorization")
            .expect(StatusCode::UNAUTHORIZED, "unauthorized");
        if let Some(secret) = &secret {
            case = case.header("authorization", secret);
        }
        cases.push(case);
    }
    let mut get = Case::webhook("GET webhook with a wrong secret", good.clone())
        .header("authorization", "wrong")
        .expect(StatusCode::UNAUTHORIZED, "unauthorized");
    get.method = Method::GET;
    cases.push(get);
    let in_query = Case::webhook("webhook with the secret in the query string", good)
        .without_header("authorization")
        .expect(StatusCode::UNAUTHORIZED, "unauthorized");
    cases.push(Case { path: format!("/webhook?secret={SECRET}"), ..in_query });
    cases
}

/// `ids`, or `ids[n]` when `value` is a list whose element `n` is not an id.
fn element_at_fault(field: &str, value: &Value) -> String {
    match value.as_array().and_then(|list| list.iter().position(|v| !v.is_i64())) {
        Some(n) if field == "ids" => format!("{field}[{n}]"),
        _ => field.to_owned(),
    }
}

fn api_cases(update: i64, acknowledged: i64, web: i64, other_tag: i64) -> Vec<Case> {
    let mut cases = Vec::new();
    let one = format!("/api/updates/{update}");
    let body = |value: Value| serde_json::to_vec(&value).unwrap();

    // PATCH /api/updates/{id}
    let not_boolean = wrong_values().into_iter().filter(|(_, value)| !value.is_boolean());
    for (kind, value) in not_boolean.chain([("a string", json!("true")), ("null", Value::Null)]) {
        cases.push(
            Case::new(
                format!("PATCH update acknowledged as {kind}"),
                Method::PATCH,
                &one,
                body(json!({"acknowledged": value})),
            )
            .field("acknowledged"),
        );
    }
    cases.push(Case::new("PATCH update without acknowledged", Method::PATCH, &one, "{}").field("acknowledged"));
    cases.push(
        Case::new(
            "PATCH update with an unknown field",
            Method::PATCH,
            &one,
            body(json!({"acknowledged": true, "pinned": true})),
        )
        .field("pinned"),
    );
    cases.push(
        Case::new("PATCH update duplicate key", Method::PATCH, &one, r#"{"acknowledged":true,"acknowledged":false}"#)
            .field("acknowledged"),
    );
    cases.push(
        Case::new(
            "PATCH acknowledged update duplicate key",
            Method::PATCH,
            format!("/api/updates/{acknowledged}"),
            r#"{"acknowledged":false,"acknowledged":true}"#,
        )
        .field("acknowledged"),
    );
    for (kind, raw) in
        [("an array", "[true]"), ("a boolean", "true"), ("null", "null"), ("a string", "\"true\""), ("a number", "1")]
    {
        cases.push(Case::new(format!("PATCH update body {kind}"), Method::PATCH, &one, raw));
    }
    let json_error = |what: &str, method: Method, path: &str, raw: &[u8]| {
        Case::new(what, method, path, raw.to_vec()).expect(StatusCode::BAD_REQUEST, "invalid_json")
    };
    cases.push(json_error("PATCH update empty body", Method::PATCH, &one, b""));
    cases.push(json_error("PATCH update truncated", Method::PATCH, &one, br#"{"acknowledged":tr"#));
    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend_from_slice(br#"{"acknowledged":true}"#);
    cases.push(json_error("PATCH update UTF-8 BOM", Method::PATCH, &one, &bom));
    cases.push(
        json_error("PATCH update form-encoded", Method::PATCH, &one, b"acknowledged=true")
            .header("content-type", "application/x-www-form-urlencoded"),
    );
    let deep = format!(r#"{{"acknowledged":{}true{}}}"#, "[".repeat(5000), "]".repeat(5000));
    cases.push(Case::new("PATCH update nested 5,000 deep", Method::PATCH, &one, deep).field("acknowledged"));
    cases.push(
        Case::new(
            "PATCH update that does not exist",
            Method::PATCH,
            "/api/updates/987654321",
            body(json!({"acknowledged": true})),
        )
        .expect(StatusCode::NOT_FOUND, "not_found"),
    );
    for id in ["abc", "1.5", "-", "99999999999999999999", "%00"] {
        cases.push(
            Case::new(
                format!("PATCH update id {id:?}"),
                Method::PATCH,
                format!("/api/updates/{id}"),
                body(json!({"acknowledged": true})),
            )
            .expect(StatusCode::NOT_FOUND, "not_found"),
        );
    }
    cases.push(
        Case::new("PUT on an update", Method::PUT, &one, body(json!({"acknowledged": true})))
            .expect(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
    );
    cases.push(
        Case::new("DELETE an update that does not exist", Method::DELETE, "/api/updates/987654321", "")
            .expect(StatusCode::NOT_FOUND, "not_found"),
    );

    // POST /api/updates/acknowledge
    let ack = "/api/updates/acknowledge";
    for (field, values) in [
        (
            "ids",
            vec![
                json!("1"),
                json!(1),
                json!([1, "2"]),
                json!([1.5]),
                json!({"1": true}),
                json!(true),
                json!([update, null]),
            ],
        ),
        (
            "tag_id",
            vec![
                json!("1"),
                json!(1.5),
                json!(true),
                json!([web]),
                json!({"id": web}),
                json!(9_223_372_036_854_775_808u64),
            ],
        ),
        ("all", vec![json!("true"), json!(1), json!([true]), json!({"all": true})]),
        ("filter", vec![json!("web"), json!(1), json!(true), json!([web])]),
    ] {
        for value in values {
            cases.push(
                Case::new(format!("acknowledge {field} = {value}"), Method::POST, ack, body(json!({field: value})))
                    .field(element_at_fault(field, &value)),
            );
        }
    }
    for (filter, field) in [
        (json!({"tag": true}), "filter.tag"),
        (json!({"tag": "web"}), "filter.tag"),
        (json!({"tag": [web]}), "filter.tag"),
        (json!({"tag": 1.5}), "filter.tag"),
        (json!({"host": 5}), "filter.host"),
        (json!({"q": ["nginx"]}), "filter.q"),
        (json!({"status": "pending"}), "filter.status"),
    ] {
        cases.push(
            Case::new(format!("acknowledge filter {filter}"), Method::POST, ack, body(json!({"filter": filter})))
                .field(field),
        );
    }
    let invalid_request = |what: &str, method: Method, path: &str, raw: Value| {
        Case::new(what, method, path, body(raw)).expect(StatusCode::BAD_REQUEST, "invalid_request")
    };
    cases.push(invalid_request("acknowledge with no selector", Method::POST, ack, json!({})));
    cases.push(invalid_request("acknowledge all false", Method::POST, ack, json!({"all": false})));
    cases.push(invalid_request("acknowledge all null", Method::POST, ack, json!({"all": null})));
    cases.push(invalid_request("acknowledge ids and all", Method::POST, ack, json!({"ids": [update], "all": true})));
    cases.push(invalid_request("acknowledge tag and filter", Method::POST, ack, json!({"tag_id": web, "filter": {}})));
    cases.push(
        Case::new("acknowledge unknown field", Method::POST, ack, body(json!({"everything": true})))
            .field("everything"),
    );
    cases.push(Case::new("acknowledge duplicate all", Method::POST, ack, r#"{"all":false,"all":true}"#).field("all"));
    for raw in ["[null,null,true]", "[[1]]", " \n[]", "true", "null", "\"all\""] {
        cases.push(Case::new(format!("acknowledge body {raw:?}"), Method::POST, ack, raw));
    }
    // `filter.tag` is read as any JSON value: there the depth is bounded.
    let deep = format!(r#"{{"filter":{{"tag":{}1{}}}}}"#, "[".repeat(5000), "]".repeat(5000));
    cases.push(json_error("acknowledge filter.tag nested 5,000 deep", Method::POST, ack, deep.as_bytes()));
    cases.push(json_error("acknowledge number out of range", Method::POST, ack, br#"{"ids":[1e400]}"#));
    cases.push(
        json_error("acknowledge text/plain not JSON", Method::POST, ack, b"all=true")
            .header("content-type", "text/plain"),
    );

    // POST /api/updates/unacknowledge
    let unack = "/api/updates/unacknowledge";
    for (field, value) in [
        ("ids", json!("1")),
        ("ids", json!([true])),
        ("ids", json!({"id": acknowledged})),
        ("acknowledged_at", json!("yesterday")),
        ("acknowledged_at", json!(5)),
        ("acknowledged_at", json!("2026-12-02 08:00:00")),
        ("acknowledged_at", json!(["2026-12-02T08:00:00Z"])),
        ("acknowledged_at", json!(true)),
    ] {
        cases.push(
            Case::new(format!("unacknowledge {field} = {value}"), Method::POST, unack, body(json!({field: value})))
                .field(element_at_fault(field, &value)),
        );
    }
    cases.push(invalid_request("unacknowledge with no selector", Method::POST, unack, json!({})));
    cases.push(invalid_request(
        "unacknowledge both",
        Method::POST,
        unack,
        json!({"ids": [acknowledged], "acknowledged_at": "2026-12-02T08:00:00Z"}),
    ));
    cases.push(Case::new("unacknowledge unknown field", Method::POST, unack, body(json!({"all": true}))).field("all"));
    for raw in [format!("[[{acknowledged}]]"), "[null]".to_owned(), "null".to_owned()] {
        cases.push(Case::new(format!("unacknowledge body {raw}"), Method::POST, unack, raw));
    }

    // POST /api/tags and PATCH /api/tags/{id}
    for (method, path) in [(Method::POST, "/api/tags".to_owned()), (Method::PATCH, format!("/api/tags/{other_tag}"))] {
        let verb = if method == Method::POST { "create tag" } else { "rename tag" };
        for (kind, value) in wrong_values().into_iter().chain([("null", Value::Null)]) {
            cases.push(
                Case::new(format!("{verb} name as {kind}"), method.clone(), &path, body(json!({"name": value})))
                    .field("name"),
            );
        }
        for (what, name) in [
            ("empty", "".to_owned()),
            ("blank", " \t ".to_owned()),
            ("65 characters", "t".repeat(65)),
            ("65 two-byte characters", "é".repeat(65)),
            ("a newline", "a\nb".to_owned()),
            ("NUL", "a\u{0}b".to_owned()),
            ("an escape sequence", "\u{1b}[31mred".to_owned()),
            ("DEL", "a\u{7f}".to_owned()),
        ] {
            cases.push(
                Case::new(format!("{verb} name {what}"), method.clone(), &path, body(json!({"name": name})))
                    .field("name"),
            );
        }
        cases.push(Case::new(format!("{verb} without name"), method.clone(), &path, "{}").field("name"));
        cases.push(
            Case::new(
                format!("{verb} unknown field"),
                method.clone(),
                &path,
                body(json!({"name": "x", "color": "red"})),
            )
            .field("color"),
        );
        cases.push(
            Case::new(format!("{verb} duplicate name"), method.clone(), &path, r#"{"name":"x","name":"y"}"#)
                .field("name"),
        );
        for raw in [r#"["x"]"#, r#""x""#, "5", "null"] {
            cases.push(Case::new(format!("{verb} body {raw}"), method.clone(), &path, raw));
        }
        cases.push(json_error(&format!("{verb} invalid UTF-8"), method.clone(), &path, b"{\"name\":\"a\xffb\"}"));
        cases.push(
            json_error(&format!("{verb} form-encoded"), method.clone(), &path, b"name=evil")
                .header("content-type", "application/x-www-form-urlencoded"),
        );
        let big = body(json!({"name": "x".repeat(64 * 1024)}));
        cases.push(
            Case::new(format!("{verb} over 64 KiB"), method.clone(), &path, big)
                .expect(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        );
        for taken in ["web", "WEB", " Web "] {
            cases.push(
                Case::new(format!("{verb} {taken:?}, taken"), method.clone(), &path, body(json!({"name": taken})))
                    .expect(StatusCode::CONFLICT, "conflict"),
            );
        }
    }
    cases.push(
        Case::new("rename a tag that does not exist", Method::PATCH, "/api/tags/987654321", body(json!({"name": "x"})))
            .expect(StatusCode::NOT_FOUND, "not_found"),
    );
    cases.push(
        Case::new("rename tag id abc", Method::PATCH, "/api/tags/abc", body(json!({"name": "x"})))
            .expect(StatusCode::NOT_FOUND, "not_found"),
    );
    cases.push(
        Case::new("delete a tag that does not exist", Method::DELETE, "/api/tags/987654321", "")
            .expect(StatusCode::NOT_FOUND, "not_found"),
    );
    cases.push(
        Case::new("delete tag id -1x", Method::DELETE, "/api/tags/-1x", "").expect(StatusCode::NOT_FOUND, "not_found"),
    );

    // PUT and DELETE /api/tag-assignments
    let assignments = "/api/tag-assignments";
    let image = "docker.io/library/redis:7";
    for (kind, value) in wrong_values() {
        cases.push(
            Case::new(
                format!("assign image as {kind}"),
                Method::PUT,
                assignments,
                body(json!({"image": value, "tag_id": web})),
            )
            .field("image"),
        );
        if !value.is_i64() {
            let assign = body(json!({"image": image, "tag_id": value}));
            cases.push(Case::new(format!("assign tag_id as {kind}"), Method::PUT, assignments, assign).field("tag_id"));
        }
        cases.push(
            Case::new(format!("unassign image as {kind}"), Method::DELETE, assignments, body(json!({"image": value})))
                .field("image"),
        );
    }
    for (kind, value) in [("a string", json!(image)), ("a number", json!(5)), ("an object", json!({"image": image}))] {
        cases.push(
            Case::new(
                format!("assign images as {kind}"),
                Method::PUT,
                assignments,
                body(json!({"images": value, "tag_id": web})),
            )
            .field("images"),
        );
        cases.push(
            Case::new(
                format!("unassign images as {kind}"),
                Method::DELETE,
                assignments,
                body(json!({"images": value})),
            )
            .field("images"),
        );
    }
    for (what, images, code, field) in [
        ("a number", json!([image, 5]), "invalid_field", "images[1]"),
        ("a blank one", json!([image, " "]), "missing_field", "images[1]"),
        ("a newline", json!([image, image, "a\nb"]), "invalid_field", "images[2]"),
        ("NUL", json!(["a\u{0}b"]), "invalid_field", "images[0]"),
        ("513 bytes", json!(["i".repeat(513)]), "field_too_long", "images[0]"),
        ("1001 of them", json!(vec![image; 1001]), "invalid_field", "images"),
    ] {
        let assign = body(json!({"images": images, "tag_id": web}));
        let case = Case::new(format!("assign images with {what}"), Method::PUT, assignments, assign);
        cases.push(case.expect(StatusCode::BAD_REQUEST, code).field(field));
    }
    cases.push(
        Case::new("assign without tag_id", Method::PUT, assignments, body(json!({"image": image}))).field("tag_id"),
    );
    cases.push(
        Case::new("assign tag_id null", Method::PUT, assignments, body(json!({"image": image, "tag_id": null})))
            .field("tag_id"),
    );
    cases.push(invalid_request("assign neither image nor images", Method::PUT, assignments, json!({"tag_id": web})));
    cases.push(invalid_request(
        "assign both image and images",
        Method::PUT,
        assignments,
        json!({"image": image, "images": [image], "tag_id": web}),
    ));
    cases.push(invalid_request("unassign neither", Method::DELETE, assignments, json!({})));
    cases.push(
        Case::new("assign blank image", Method::PUT, assignments, body(json!({"image": "  ", "tag_id": web})))
            .expect(StatusCode::BAD_REQUEST, "missing_field")
            .field("image"),
    );
    cases.push(
        Case::new(
            "assign image of 513 bytes",
            Method::PUT,
            assignments,
            body(json!({"image": "i".repeat(513), "tag_id": web})),
        )
        .expect(StatusCode::BAD_REQUEST, "field_too_long")
        .field("image"),
    );
    cases.push(
        Case::new(
            "assign image with a newline",
            Method::PUT,
            assignments,
            body(json!({"image": "a\r\nb", "tag_id": web})),
        )
        .field("image"),
    );
    cases.push(
        Case::new("unassign image with NUL", Method::DELETE, assignments, body(json!({"image": "a\u{0}b"})))
            .field("image"),
    );
    cases.push(
        Case::new(
            "assign to a tag that does not exist",
            Method::PUT,
            assignments,
            body(json!({"image": image, "tag_id": 987654321})),
        )
        .expect(StatusCode::NOT_FOUND, "not_found"),
    );
    cases.push(
        Case::new(
            "assign unknown field",
            Method::PUT,
            assignments,
            body(json!({"image": image, "tag_id": web, "host": "nas"})),
        )
        .field("host"),
    );
    cases.push(
        Case::new(
            "assign duplicate tag_id",
            Method::PUT,
            assignments,
            format!(r#"{{"image":"{image}","tag_id":{web},"tag_id":{other_tag}}}"#),
        )
        .field("tag_id"),
    );
    for raw in [format!(r#"["{image}", {web}]"#), format!("[{web}]"), "\"x\"".to_owned()] {
        cases.push(Case::new(format!("assign body {raw}"), Method::PUT, assignments, raw.clone()));
        cases.push(Case::new(format!("unassign body {raw}"), Method::DELETE, assignments, raw));
    }
    cases.push(json_error("unassign empty body", Method::DELETE, assignments, b""));

    // GET /api/updates and /summary: bad query strings.
    let query = |what: &str, path: String, field: Option<&str>| {
        let case = Case::new(what, Method::GET, path, "").expect(StatusCode::BAD_REQUEST, "invalid_query");
        match field {
            Some(field) => case.field(field),
            None => case,
        }
    };
    for limit in ["0", "1001", "-1", "ten", "1.5", "1e3", "0x10", "%00", "99999999999999999999", "1%200"] {
        cases.push(query(&format!("list limit={limit}"), format!("/api/updates?limit={limit}"), Some("limit")));
    }
    for cursor in ["zz", "%00", "eyJ9", &"A".repeat(5000)] {
        cases.push(query("list bad cursor", format!("/api/updates?cursor={cursor}"), Some("cursor")));
    }
    for value in ["maybe", "1", "TRUE", "yes"] {
        cases.push(query(
            &format!("list acknowledged={value}"),
            format!("/api/updates?acknowledged={value}"),
            Some("acknowledged"),
        ));
    }
    for value in ["web", "1.5", "-", "none,1"] {
        cases.push(query(&format!("list tag={value}"), format!("/api/updates?tag={value}"), Some("tag")));
        cases.push(query(&format!("summary tag={value}"), format!("/api/updates/summary?tag={value}"), Some("tag")));
    }
    cases.push(query("list unknown parameter", "/api/updates?status=new".into(), None));
    cases.push(query("summary unknown parameter", "/api/updates/summary?limit=5".into(), None));
    cases.push(query("list limit twice", "/api/updates?limit=1&limit=2".into(), None));
    cases
}

/// Every spelling of `/api/...` a router or a proxy might take for it (as in
/// `tests/hardening.rs`): percent-encoded, doubled slashes, dot segments, other case.
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
        format!("{base}/api/{rest}"),
    ];
    if !base.is_empty() {
        let encoded_base: String = base.bytes().map(|b| format!("%{b:02X}")).collect();
        paths.push(format!("{}{}", encoded_base.replace("%2F", "/"), route));
        paths.push(format!("/{base}{route}"));
    }
    paths
}

fn cross_site_cases(update: i64, web: i64) -> Vec<Case> {
    let mut cases = Vec::new();
    let attacks = [
        (Method::POST, "/api/updates/acknowledge".to_owned(), r#"{"all":true}"#.to_owned()),
        (Method::POST, "/api/tags".to_owned(), r#"{"name":"evil"}"#.to_owned()),
        (Method::DELETE, format!("/api/updates/{update}"), String::new()),
        (Method::DELETE, format!("/api/tags/{web}"), String::new()),
        (
            Method::PUT,
            "/api/tag-assignments".to_owned(),
            format!(r#"{{"image":"docker.io/library/redis:7","tag_id":{web}}}"#),
        ),
    ];
    for base in ["", "/diun"] {
        for (n, (method, route, body)) in attacks.iter().enumerate() {
            for (k, path) in spellings(base, route).into_iter().enumerate() {
                // The two first attacks in every spelling, the others in a few.
                if n >= 2 && k % 4 != 0 {
                    continue;
                }
                let header =
                    if k % 2 == 0 { ("sec-fetch-site", "cross-site") } else { ("origin", "https://evil.example") };
                let mut case = Case::new(format!("cross-site {method} {path}"), method.clone(), path, body.clone())
                    .header("content-type", "text/plain")
                    .header(header.0, header.1)
                    .expect(StatusCode::FORBIDDEN, "forbidden");
                case.under_base = !base.is_empty();
                cases.push(case);
            }
        }
        let patch = format!("{base}/%61pi/updates/{update}");
        let mut case = Case::new(format!("cross-site PATCH {patch}"), Method::PATCH, patch, r#"{"acknowledged":true}"#)
            .header("sec-fetch-site", "cross-site")
            .expect(StatusCode::FORBIDDEN, "forbidden");
        case.under_base = !base.is_empty();
        cases.push(case);
    }
    cases
}

async fn corpus(s: TestStore) {
    let app = app!(s, secret: SECRET);
    let mut state = diun_server::AppState::new(s.store.clone());
    state.webhook_secret = Some(diun_server::settings::Secret::new(SECRET));
    state.base_path = "/diun".into();
    let app_under_base = actix_web::test::init_service(diun_server::app(state)).await;

    let (update, acknowledged, web, other_tag) = seed(&app).await;
    let mut before = snapshot(&app).await;
    assert!(before["updates"].as_array().unwrap().len() >= 10, "{before}");

    let mut cases = webhook_cases();
    let webhook = cases.len();
    cases.extend(api_cases(update, acknowledged, web, other_tag));
    let api = cases.len() - webhook;
    cases.extend(cross_site_cases(update, web));
    let cross_site = cases.len() - webhook - api;

    let mut failures = Vec::new();
    for case in &cases {
        let answer = if case.under_base {
            send(&app_under_base, case.request()).await
        } else {
            send(&app, case.request()).await
        };
        let (status, body) = &answer;
        let mut wrong = Vec::new();
        if *status != case.status {
            wrong.push(format!("status {status}, expected {}", case.status));
        }
        if body["error"] != case.code {
            wrong.push(format!("error {}, expected {:?}", body["error"], case.code));
        }
        if body["message"].as_str().is_none_or(|m| m.trim().is_empty()) {
            wrong.push("no message".to_owned());
        }
        match &case.field {
            Field::Named(field) if body["field"] != *field.as_str() => {
                wrong.push(format!("field {}, expected {field:?}", body["field"]))
            }
            Field::Absent if !body["field"].is_null() => wrong.push(format!("field {}, expected none", body["field"])),
            _ => {}
        }
        let after = snapshot(&app).await;
        if after != before {
            wrong.push(format!("the stored data changed: {after}"));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{} ({} {}): {}\n    answer: {body}",
                case.what,
                case.method,
                case.path,
                wrong.join("; ")
            ));
            // Judge the later cases against what is stored now.
            before = after;
        }
    }
    println!(
        "bad-input corpus: {} cases run ({webhook} webhook, {api} API, {cross_site} cross-site), {} failed",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert!(cases.len() >= 150, "only {} cases", cases.len());
}

on_every_backend!(corpus);
