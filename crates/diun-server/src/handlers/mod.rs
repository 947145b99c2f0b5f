//! Request handlers, one module per resource. Each is a small free function:
//! extract, call the store, answer.

pub mod docs;
pub mod health;
pub mod images;
pub mod mute_rules;
pub(crate) mod representation;

pub use representation::RevisionCache as SummaryCache;
pub mod snooze;
pub mod tags;
pub mod updates;
pub mod webhook;

use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, SubsecRound, Utc};

use crate::error::ApiError;

/// The answer for a path no route knows.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!("no route for {} {}", req.method(), req.path())))
}

/// The answer for a known path asked with a method it does not take.
pub async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// 204 No Content.
pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// The current time to the millisecond: every backend stores that much, so
/// the API shows the same instant whichever database is behind it.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}
