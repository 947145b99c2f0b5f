//! The OpenAPI document against the route table, and the docs page, through the real application.
//!
//! The document does not depend on the backend, so one SQLite store serves every test here.
#![cfg(feature = "sqlite")]

mod common;

use std::collections::BTreeSet;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use common::sqlite_store;
use diun_server::routes::{route_list, DOCS_FILES};
use diun_server::{app, AppState};
use serde_json::Value;

/// The application under `base_path`, on a fresh store.
macro_rules! app {
    ($base:expr) => {{
        let store = sqlite_store();
        let mut state = AppState::new(store.store.clone());
        state.base_path = $base.to_owned();
        (test::init_service(app(state)).await, store)
    }};
}

/// GETs `path`: status, Content-Type and body.
async fn get<S, B>(app: &S, path: &str) -> (StatusCode, String, Vec<u8>)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(app, TestRequest::get().uri(path).to_request()).await;
    let status = response.status();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, test::read_body(response).await.to_vec())
}

async fn fetch_document<S, B>(app: &S, base: &str) -> (String, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (status, content_type, body) = get(app, &format!("{base}/api/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let text = String::from_utf8(body).unwrap();
    let json = serde_json::from_str(&text).expect("the document is JSON");
    (text, json)
}

/// The routes the document must describe: all but the docs page's own.
fn documented_routes() -> BTreeSet<(String, String)> {
    route_list()
        .into_iter()
        .filter(|(_, path)| path != "/api/docs" && path != DOCS_FILES)
        .map(|(method, path)| (method.to_string(), path))
        .collect()
}

#[actix_rt::test]
async fn every_route_is_documented_and_every_documented_operation_is_routed() {
    let (app, _store) = app!("");
    let (text, _) = fetch_document(&app, "").await;
    let spec = oas3::from_json(&text).expect("the document parses as OpenAPI 3.1");
    let documented: BTreeSet<(String, String)> =
        spec.operations().map(|(path, method, _)| (method.to_string(), path)).collect();
    let routed = documented_routes();
    assert!(routed.len() >= 18, "the route table lists the API: {routed:?}");
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    assert!(undocumented.is_empty(), "routes missing from /api/openapi.json: {undocumented:?}");
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(unrouted.is_empty(), "documented operations no route answers: {unrouted:?}");
}

/// Every `$ref` in `value`, with where it was found.
fn refs<'a>(value: &'a Value, at: String, found: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => found.push((at.clone(), target)),
                    _ => refs(inner, format!("{at}/{key}"), found),
                }
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                refs(inner, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[actix_rt::test]
async fn the_document_is_valid_openapi_and_every_ref_resolves() {
    let (app, _store) = app!("");
    let (text, json) = fetch_document(&app, "").await;
    let spec = oas3::from_json(&text).expect("the document parses as OpenAPI 3.1");
    assert_eq!(spec.validate_version().expect("a 3.1 version").minor, 1);

    let mut found = Vec::new();
    refs(&json, String::new(), &mut found);
    assert!(found.len() > 20, "the document shares its schemas and responses by reference");
    for (at, target) in &found {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| panic!("{at}: {target} is not local"));
        assert!(json.pointer(pointer).is_some(), "{at}: {target} resolves to nothing");
    }
    let mut operation_ids = BTreeSet::new();
    for (path, method, operation) in spec.operations() {
        let shown = format!("{method} {path}");
        let id = operation.operation_id.clone().unwrap_or_else(|| panic!("{shown}: no operationId"));
        assert!(operation_ids.insert(id.clone()), "{shown}: operationId {id} is not unique");
        assert!(operation.summary.as_ref().is_some_and(|s| !s.starts_with('`')), "{shown}: {:?}", operation.summary);
        let responses = operation.responses(&spec);
        assert_eq!(responses.len(), operation.responses.as_ref().map_or(0, |r| r.len()), "{shown}: a response ref");
        assert!(responses.keys().any(|status| status.starts_with('2')), "{shown}: no success answer");
        // Each `{name}` of the path template is a documented path parameter, and only those.
        let names: BTreeSet<String> =
            path.split('{').skip(1).map(|rest| rest.split('}').next().unwrap().to_owned()).collect();
        let parameters = operation.parameters(&spec).unwrap_or_else(|err| panic!("{shown}: {err}"));
        let in_path: BTreeSet<String> =
            parameters.iter().filter(|p| p.location == oas3::spec::ParameterIn::Path).map(|p| p.name.clone()).collect();
        assert_eq!(in_path, names, "{shown}");
        operation.request_body(&spec).unwrap_or_else(|err| panic!("{shown}: {err}"));
    }

    let error = &json["components"]["schemas"]["ErrorBody"];
    let required: BTreeSet<&str> = error["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(required, BTreeSet::from(["error", "message"]), "{error}");
    assert!(error["properties"]["field"].is_object(), "{error}");
    let webhook = &json["paths"]["/webhook"]["post"];
    assert_eq!(
        webhook["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/WebhookBody"
    );
    let statuses: BTreeSet<&str> = webhook["responses"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(statuses, BTreeSet::from(["200", "400", "401", "413", "503"]));
    assert!(json["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
        .as_object()
        .unwrap()
        .keys()
        .all(|content_type| content_type.starts_with("text/plain")));
}

#[actix_rt::test]
async fn the_document_names_the_base_path_as_its_server() {
    let (app, _store) = app!("");
    assert_eq!(fetch_document(&app, "").await.1.get("servers"), None, "the default server is /");
    let (app, _store) = app!("/diun");
    let (_, json) = fetch_document(&app, "/diun").await;
    assert_eq!(json["servers"], serde_json::json!([{"url": "/diun"}]));
}

/// The page's local links: `src="./x"` and `href="./x"`.
fn local_links(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for rest in html.split(attribute).skip(1) {
            let link = rest.split('"').next().unwrap();
            if let Some(file) = link.strip_prefix("./") {
                links.push(file.to_owned());
            }
        }
    }
    links
}

async fn the_docs_page_and_its_assets_load(base: &str) {
    let (app, _store) = app!(base);
    let response = test::call_service(&app, TestRequest::get().uri(&format!("{base}/api/docs")).to_request()).await;
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers().get("location").unwrap(), "docs/", "relative, so it keeps the base path");

    let (status, content_type, page) = get(&app, &format!("{base}/api/docs/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = String::from_utf8(page).unwrap();
    let links = local_links(&page);
    for file in ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-initializer.js"] {
        assert!(links.iter().any(|link| link == file), "the page loads {file}: {links:?}");
    }
    for link in &links {
        let (status, content_type, body) = get(&app, &format!("{base}/api/docs/{link}")).await;
        assert_eq!(status, StatusCode::OK, "{link}");
        assert!(!body.is_empty(), "{link}");
        let expected = if link.ends_with(".js") {
            "javascript"
        } else if link.ends_with(".css") {
            "text/css"
        } else {
            "image/"
        };
        assert!(content_type.contains(expected), "{link}: {content_type}");
    }
    let (_, _, initializer) = get(&app, &format!("{base}/api/docs/swagger-initializer.js")).await;
    let initializer = String::from_utf8(initializer).unwrap();
    assert!(initializer.contains(&format!("\"{base}/api/openapi.json\"")), "{initializer}");
    assert_eq!(get(&app, &format!("{base}/api/docs/missing.js")).await.0, StatusCode::NOT_FOUND);
}

#[actix_rt::test]
async fn the_docs_page_and_its_assets_load_at_the_root() {
    the_docs_page_and_its_assets_load("").await;
}

#[actix_rt::test]
async fn the_docs_page_and_its_assets_load_under_a_base_path() {
    the_docs_page_and_its_assets_load("/diun").await;
}
