//! `POST /webhook` (and `GET`, Diun's default method): receives one notification.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use chrono::{DateTime, Utc};
use diun_core::{Notification, Update, UpdateStatus};
use futures_util::StreamExt;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::handlers::now;
use crate::state::AppState;
use crate::telemetry::count_webhook;

/// The largest webhook body accepted. Diun's are under 2 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The JSON body Diun's webhook notifier sends, as this server reads it.
///
/// Only `image` is required; `null` counts as absent, and unknown fields are
/// ignored. Text fields have length limits (`image` 512 bytes, `hub_link`
/// 2048, the others at most 255) and must not contain NUL. For the API
/// document only: the handler reads the raw body and
/// [`Notification::from_json`] checks it, whatever the Content-Type says.
#[derive(ToSchema)]
#[schema(example = json!({
    "diun_version": "4.33.0",
    "hostname": "nas",
    "status": "update",
    "provider": "docker",
    "image": "docker.io/library/nginx:1.27",
    "hub_link": "https://hub.docker.com/_/nginx",
    "mime_type": "application/vnd.oci.image.index.v1+json",
    "digest": "sha256:a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",
    "created": "2026-11-20T08:15:00Z",
    "platform": "linux/amd64",
    "metadata": {"ctn_names": "web", "ctn_state": "running"}
}))]
// Only utoipa reads it: the type documents the body (the parser is diun_core's).
#[allow(dead_code)]
pub struct WebhookBody {
    /// The version of the Diun that sent it.
    pub diun_version: Option<String>,
    /// The Diun host that watched the image; with `image`, the identity of an update.
    pub hostname: Option<String>,
    /// New image or new digest; `update` when absent or blank.
    pub status: Option<UpdateStatus>,
    /// The Diun provider that found the image (`docker`, `kubernetes`, `file`…).
    pub provider: Option<String>,
    /// The full image reference; must not be blank.
    pub image: String,
    /// A link to the image's registry page.
    pub hub_link: Option<String>,
    /// The manifest's media type.
    pub mime_type: Option<String>,
    /// The manifest digest, `sha256:…`.
    pub digest: Option<String>,
    /// When the image was built (RFC 3339); absent, `null` or blank when unknown.
    pub created: Option<DateTime<Utc>>,
    /// `os/arch[/variant]`.
    pub platform: Option<String>,
    /// Provider and user labels, text values only.
    pub metadata: Option<BTreeMap<String, String>>,
}

/// Checks the secret, reads and validates the body, and stores the notification.
///
/// Diun never retries, so the answer must be honest: 200 only once the
/// notification is stored, and a 4xx that names the problem otherwise.
#[utoipa::path(
    method(post, get),
    path = "/webhook",
    operation_id = "receive_webhook",
    summary = "Receive one Diun notification",
    tag = "webhook",
    description = "Diun's webhook notifier sends GET unless told otherwise; \
                   both methods take the same JSON body, whatever the Content-Type.",
    request_body(content = WebhookBody, description = "The notification, at most 64 KiB"),
    responses(
        (status = 200, description = "The notification is stored; the update it made or changed", body = Update),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    ),
    security((), ("webhook_secret" = []))
)]
pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<Update>, ApiError> {
    let outcome = store_notification(&state, &req, payload).await;
    count_webhook(outcome.as_ref().map(|_| ()));
    outcome
}

async fn store_notification(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<Update>, ApiError> {
    authorize(state, req)?;
    let body = read_body(req, payload).await?;
    let notification = Notification::from_json(&body)?;
    let update = state.webhooks.record(notification, now()).await?;
    // Escaped: what a sender wrote must not be able to start a log line of its own.
    log::info!(
        "webhook: {} on {} ({}, {})",
        update.image.escape_debug(),
        update.hostname.escape_debug(),
        update.status,
        short(&update.digest).escape_debug()
    );
    Ok(web::Json(update))
}

fn short(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    // By characters: a digest is whatever the sender wrote, not always hex.
    hex.char_indices().nth(12).map_or(hex, |(end, _)| &hex[..end])
}

/// Accepts the secret itself or `Bearer <secret>`; compares in constant time.
fn authorize(state: &AppState, req: &HttpRequest) -> Result<(), ApiError> {
    let Some(secret) = &state.webhook_secret else { return Ok(()) };
    let given = req.headers().get(header::AUTHORIZATION).map(|v| v.as_bytes()).unwrap_or_default();
    let token = given.strip_prefix(b"Bearer ").unwrap_or(given);
    if bool::from(token.ct_eq(secret.expose().as_bytes())) {
        Ok(())
    } else if given.is_empty() {
        Err(ApiError::Unauthorized("this webhook needs an Authorization header carrying the secret".into()))
    } else {
        Err(ApiError::Unauthorized("the Authorization header does not carry the right secret".into()))
    }
}

/// Reads the body up to [`MAX_BODY_BYTES`], whatever the Content-Type says.
async fn read_body(req: &HttpRequest, mut payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    let too_large = || ApiError::PayloadTooLarge(format!("the body is larger than {MAX_BODY_BYTES} bytes"));
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|err| ApiError::bad_request("invalid_body", format!("the body could not be read: {err}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    if body.is_empty() {
        return Err(ApiError::bad_request("invalid_json", "the body is empty; Diun sends the notification as JSON"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn digests_are_shortened_by_characters() {
        assert_eq!(short("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short("abc"), "abc");
        // Byte 12 falls inside an "é": slicing by bytes would panic while logging.
        assert_eq!(short("aéééééééééééééé"), "aééééééééééé");
    }
}
