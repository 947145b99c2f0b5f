//! Requests through the real application, and checks of their answers.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use serde_json::Value;

/// Sends one request and returns the status and the JSON body (`Null` when empty).
pub async fn send<S, B>(app: &S, req: TestRequest) -> (StatusCode, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(app, req.to_request()).await;
    let status = response.status();
    let bytes = test::read_body(response).await;
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("a JSON body") };
    (status, body)
}

pub fn post(path: &str, body: impl Into<Vec<u8>>) -> TestRequest {
    TestRequest::post().uri(path).set_payload(body.into())
}

pub fn with_json(method: Method, path: &str, body: Value) -> TestRequest {
    TestRequest::default().method(method).uri(path).set_json(body)
}

pub fn get(path: &str) -> TestRequest {
    TestRequest::get().uri(path)
}

/// Asserts an error answer: status, `error` code, and a non-empty message.
pub fn assert_error(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"], code, "{}", answer.1);
    assert!(answer.1["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", answer.1);
}

#[macro_export]
macro_rules! app {
    ($store:expr) => {
        actix_web::test::init_service(diun_server::app(diun_server::AppState::new($store.store.clone()))).await
    };
    ($store:expr, secret: $secret:expr) => {{
        let mut state = diun_server::AppState::new($store.store.clone());
        state.webhook_secret = Some(diun_server::settings::Secret::new($secret));
        actix_web::test::init_service(diun_server::app(state)).await
    }};
    ($store:expr, base: $base:expr) => {{
        let mut state = diun_server::AppState::new($store.store.clone());
        state.base_path = $base.to_owned();
        actix_web::test::init_service(diun_server::app(state)).await
    }};
}
