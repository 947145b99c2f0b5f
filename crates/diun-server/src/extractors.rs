//! How malformed JSON bodies, paths and query strings are answered: with the
//! same JSON error body as everything else; and the shape every API body must have.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::handlers::webhook::MAX_BODY_BYTES;
use crate::paths;
use crate::state::AppState;

/// A body stream handed back to the request after it was read here.
type BoxedPayloadStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, actix_web::error::PayloadError>>>>;

/// A JSON body of the API, read like `web::Json` (any Content-Type; the
/// size is bounded by [`require_object_bodies`]) but refused with an error
/// that names the field at fault: `acknowledged`, `filter.host`, `ids[1]`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    /// The body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(_: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let mut payload = payload.take();
        Box::pin(async move {
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|err| ApiError::bad_request("invalid_json", format!("the body cannot be read: {err}")))?;
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(
                        ApiError::PayloadTooLarge(format!("the body is larger than {MAX_BODY_BYTES} bytes")).into()
                    );
                }
                body.extend_from_slice(&chunk);
            }
            Ok(JsonBody(parse_body(&body)?))
        })
    }
}

/// Parses an API body; a value that does not fit names its field.
fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let syntax =
        |err: serde_json::Error| ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {err}"));
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if !inner.is_data() {
            return syntax(inner);
        }
        let message = format!("the body does not fit this route: {inner}");
        ApiError::BadRequest { code: "invalid_field", message, field: field_at_fault(&path, &inner.to_string()) }
    })?;
    deserializer.end().map_err(syntax)?;
    Ok(value)
}

/// The field a serde error is about: its path, or for a missing, unknown or
/// repeated field (reported on the object that holds it) that field's name
/// below the path. `None` for the body as a whole.
pub(crate) fn field_at_fault(path: &str, message: &str) -> Option<String> {
    let named = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let path = (path != ".").then_some(path);
    match (path, named) {
        (Some(path), Some(name)) if path.rsplit('.').next() != Some(name) => Some(format!("{path}.{name}")),
        (Some(path), _) => Some(path.to_owned()),
        (None, name) => name.map(str::to_owned),
    }
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
    // `name=evil` starts like `null`: bytes that are not JSON are named as such by the extractor.
    serde_json::from_slice::<serde::de::IgnoredAny>(body).ok()?;
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
