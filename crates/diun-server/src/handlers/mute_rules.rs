//! `/api/mute-rules`: rules that keep matching notifications from ever becoming pending.

use actix_web::{web, HttpRequest, HttpResponse};
use diun_core::{MuteRule, NewMuteRule, UpdateStatus, ValidationError};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extractors::JsonBody;
use crate::handlers::representation::cached_json;
use crate::handlers::{no_content, now};
use crate::state::AppState;
use crate::store_call::call_store_now;

/// The body of `POST /api/mute-rules`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"pattern": "ghcr.io/acme/*:nightly", "hostname": "nas", "comment": "nightly builds"}))]
pub struct MuteRuleBody {
    /// A glob on the image reference as Diun reports it: `*` within one path
    /// segment, `**` across segments, `?` one character, `[a-z]` a set.
    pattern: String,
    /// Only notifications from this Diun host; every host when absent or null.
    hostname: Option<String>,
    /// Only notifications of this status, `new` or `update`; both when absent or null.
    #[schema(example = "update")]
    status: Option<String>,
    /// Why the rule exists; at most 500 characters.
    #[serde(default)]
    comment: String,
}

impl MuteRuleBody {
    fn into_rule(self) -> Result<NewMuteRule, ApiError> {
        let status =
            match self.status.as_deref().map(str::trim) {
                None => None,
                Some(text) => Some(UpdateStatus::parse(text).ok_or_else(|| {
                    ValidationError::invalid("status", format!("must be new or update, not {text:?}"))
                })?),
            };
        Ok(NewMuteRule::new(&self.pattern, self.hostname.as_deref(), status, &self.comment)?)
    }
}

/// `GET /api/mute-rules`.
#[utoipa::path(
    get,
    path = "/api/mute-rules",
    operation_id = "list_mute_rules",
    summary = "Every mute rule, oldest first, with how many updates each holds",
    tag = "mute rules",
    responses(
        (status = 200, description = "The rules, oldest first", body = Vec<MuteRule>),
        (status = 304, description = "Nothing changed since the `ETag` given in `If-None-Match`"),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    cached_json::<Vec<MuteRule>, _>(&req, &state.store, "list_mute_rules", |store| store.list_mute_rules()).await
}

/// `POST /api/mute-rules`: 201 with the rule.
#[utoipa::path(
    post,
    path = "/api/mute-rules",
    operation_id = "create_mute_rule",
    summary = "Create a mute rule; it mutes the open updates it covers at once, and every matching notification from now on",
    description = "Muted updates are still stored with their history, and listed with `state=muted`. The oldest \
        rule covering an update mutes it; acknowledged updates are left alone.",
    tag = "mute rules",
    request_body = MuteRuleBody,
    responses(
        (status = 201, description = "The new rule, with how many updates it muted", body = MuteRule),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn create(state: web::Data<AppState>, body: JsonBody<MuteRuleBody>) -> Result<HttpResponse, ApiError> {
    let rule = body.into_inner().into_rule()?;
    let created =
        call_store_now(&state.store, "create_mute_rule", move |store| store.create_mute_rule(&rule, now())).await?;
    Ok(HttpResponse::Created().json(created))
}

/// `DELETE /api/mute-rules/{id}`.
#[utoipa::path(
    delete,
    path = "/api/mute-rules/{id}",
    operation_id = "delete_mute_rule",
    summary = "Delete a mute rule: its updates come back as they are (or to another rule covering them)",
    tag = "mute rules",
    params(("id" = i64, Path, description = "The rule's id")),
    responses(
        (status = 204, description = "The rule is gone"),
        (status = 404, response = crate::openapi::NotFound),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn delete(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    call_store_now(&state.store, "delete_mute_rule", move |store| store.delete_mute_rule(id)).await?;
    Ok(no_content())
}
