//! `/api/updates/snooze` and `/api/updates/unsnooze`: put updates aside until a time.

use actix_web::web;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use diun_core::AckSelector;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extractors::JsonBody;
use crate::handlers::now;
use crate::handlers::updates::{image_of, BodyFilter};
use crate::state::AppState;
use crate::store_call::call_store_now;

/// How far ahead a snooze may reach.
const LONGEST_SNOOZE_DAYS: i64 = 366;

/// The body of `POST /api/updates/snooze`: `until` and exactly one of `ids`, `image`, `filter`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"until": "2026-12-09T08:00:00Z", "image": "docker.io/library/nginx:1.27"}))]
pub struct SnoozeBody {
    /// When the updates come back: in the future, at most a year ahead.
    until: DateTime<Utc>,
    /// These updates.
    ids: Option<Vec<i64>>,
    /// Every update of this image reference, on every host.
    image: Option<String>,
    /// Every update these filters match, as in `GET /api/updates`.
    filter: Option<BodyFilter>,
}

/// The answer of `POST /api/updates/snooze`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Snoozed {
    /// How many updates (not acknowledged) took the time; one already snoozed until then is not counted.
    pub snoozed: u64,
    /// When they come back.
    pub until: DateTime<Utc>,
}

impl SnoozeBody {
    fn into_request(self, now: DateTime<Utc>) -> Result<(AckSelector, DateTime<Utc>), ApiError> {
        let invalid_until =
            |message: String| ApiError::BadRequest { code: "invalid_field", message, field: Some("until".into()) };
        if self.until <= now {
            return Err(invalid_until(format!("`until` must be in the future, not {}", self.until.to_rfc3339())));
        }
        if self.until > now + Duration::days(LONGEST_SNOOZE_DAYS) {
            return Err(invalid_until("`until` must be at most a year ahead".into()));
        }
        let selector = match (self.ids, self.image, self.filter) {
            (Some(ids), None, None) => AckSelector::Ids(ids),
            (None, Some(image), None) => AckSelector::Image(image_of(&image)?),
            (None, None, Some(filter)) => AckSelector::Filter(filter.into_filter()?),
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_request",
                    "give `until` and exactly one of `ids` (a list of update ids), `image` or `filter`",
                ))
            }
        };
        // Milliseconds, as `now()` keeps: every backend stores that much, so
        // the answer shows what is stored.
        Ok((selector, self.until.trunc_subsecs(3)))
    }
}

/// `POST /api/updates/snooze`.
#[utoipa::path(
    post,
    path = "/api/updates/snooze",
    operation_id = "snooze_updates",
    summary = "Snooze updates until a time, by ids, by image on every host, or by filter",
    description = "A snoozed update leaves the pending list and comes back by itself at `until` (within 15 \
        seconds), or at once when a new digest arrives. Acknowledged updates are left alone.",
    tag = "updates",
    request_body = SnoozeBody,
    responses(
        (status = 200, description = "How many updates took the time", body = Snoozed),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn snooze(state: web::Data<AppState>, body: JsonBody<SnoozeBody>) -> Result<web::Json<Snoozed>, ApiError> {
    let (selector, until) = body.into_inner().into_request(now())?;
    let snoozed = call_store_now(&state.store, "snooze", move |store| store.snooze(&selector, until)).await?;
    Ok(web::Json(Snoozed { snoozed, until }))
}

/// The body of `POST /api/updates/unsnooze`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ids": [1, 2]}))]
pub struct UnsnoozeBody {
    /// These updates.
    ids: Vec<i64>,
}

/// The answer of `POST /api/updates/unsnooze`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Unsnoozed {
    /// How many snoozed updates came back.
    pub unsnoozed: u64,
}

/// `POST /api/updates/unsnooze`: ends snoozes early (the undo of a snooze).
#[utoipa::path(
    post,
    path = "/api/updates/unsnooze",
    operation_id = "unsnooze_updates",
    summary = "End the snooze of updates now",
    tag = "updates",
    request_body = UnsnoozeBody,
    responses(
        (status = 200, description = "How many snoozed updates came back", body = Unsnoozed),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn unsnooze(
    state: web::Data<AppState>,
    body: JsonBody<UnsnoozeBody>,
) -> Result<web::Json<Unsnoozed>, ApiError> {
    let ids = body.into_inner().ids;
    let unsnoozed = call_store_now(&state.store, "unsnooze", move |store| store.unsnooze(&ids)).await?;
    Ok(web::Json(Unsnoozed { unsnoozed }))
}
