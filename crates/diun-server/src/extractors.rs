//! How malformed JSON bodies, paths and query strings are answered: with the
//! same JSON error body as everything else; and the shape every API body must have.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{HttpMessage, ResponseError};
use futures_util::StreamExt;

use crate::error::ApiError;
use crate::handlers::webhook::MAX_BODY_BYTES;
use crate::paths;
use crate::state::AppState;

/// A body stream handed back to the request after it was read here.
type BoxedPayloadStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, actix_web::error::PayloadError>>>>;

/// JSON bodies of the API: any Content-Type, at most the webhook's size.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(MAX_BODY_BYTES).content_type_required(false).error_handler(|err, _| {
        match err {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                ApiError::PayloadTooLarge(format!("the body is larger than {MAX_BODY_BYTES} bytes"))
            }
            JsonPayloadError::Deserialize(err) if err.is_data() => {
                ApiError::bad_request("invalid_field", format!("the body does not fit this route: {err}"))
            }
            other => ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {other}")),
        }
        .into()
    })
}

/// Path segments: an id that is not a number names nothing.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err: PathError, req| ApiError::NotFound(format!("{}: {err}", req.path())).into())
}

/// Query strings.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _| {
        ApiError::bad_request("invalid_query", format!("the query string is not valid: {err}")).into()
    })
}

/// Middleware: every API body must be a JSON object.
///
/// serde reads a struct from a JSON array too (`[true]` fills the first
/// field), so without this `POST /api/updates/acknowledge` with
/// `[null,null,true]` would acknowledge everything. Checking here, once,
/// covers every handler that takes a `web::Json` body. The webhook checks its
/// own body ([`diun_core::Notification::from_json`]); safe methods carry no
/// body the API reads. An empty body passes, for routes that take none.
pub async fn require_object_bodies(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let base_path = req.app_data::<web::Data<AppState>>().map(|state| state.base_path.clone()).unwrap_or_default();
    let reads_body = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !reads_body || paths::is_webhook(req.path(), &base_path) {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    let body = match read_body(&mut req).await {
        Ok(body) => body,
        Err(err) => return Ok(req.into_response(err.error_response()).map_into_right_body()),
    };
    if let Some(kind) = json_kind_other_than_object(&body) {
        let err = ApiError::bad_request("invalid_field", format!("the body must be a JSON object, not {kind}"));
        return Ok(req.into_response(err.error_response()).map_into_right_body());
    }
    // Hand the bytes on, as if never read, to the handler's extractor.
    let replay: BoxedPayloadStream = Box::pin(futures_util::stream::once(async move { Ok(body) }));
    req.set_payload(Payload::from(replay));
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

/// The whole body, at most [`MAX_BODY_BYTES`] (413 beyond, as the JSON extractor would).
async fn read_body(req: &mut ServiceRequest) -> Result<Bytes, ApiError> {
    let too_large = || ApiError::PayloadTooLarge(format!("the body is larger than {MAX_BODY_BYTES} bytes"));
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    if declared.is_some_and(|length: usize| length > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|err| ApiError::bad_request("invalid_json", format!("the body cannot be read: {err}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// What JSON value the body holds when it is not an object, judged by its
/// first byte after whitespace (which decides it for valid JSON). `None` for
/// an object, an empty body, or bytes that are not JSON at all: the
/// extractor then names the syntax error.
fn json_kind_other_than_object(body: &[u8]) -> Option<&'static str> {
    let first = body.iter().find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))?;
    match first {
        b'[' => Some("an array"),
        b'"' => Some("a string"),
        b'-' | b'0'..=b'9' => Some("a number"),
        b't' | b'f' => Some("a boolean"),
        b'n' => Some("null"),
        _ => None,
    }
}
