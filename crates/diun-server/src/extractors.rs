//! How malformed JSON bodies, paths and query strings are answered: with the
//! same JSON error body as everything else.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::web;

use crate::error::ApiError;
use crate::handlers::webhook::MAX_BODY_BYTES;

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
