//! `/api/updates`: list, read, acknowledge and delete updates.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diun_core::page::cursor;
use diun_core::{
    AckSelector, PageRequest, Summary, TagFilter, UnackSelector, Update, UpdateEvent, UpdateFilter, UpdateState,
    DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::extractors::JsonBody;
use crate::handlers::representation::{cached_json, shared_json};
use crate::handlers::{no_content, now};
use crate::state::AppState;
use crate::store_call::{call_store, call_store_now};

/// The query string of `GET /api/updates`. Values are read as text and
/// checked here, so that every error names its parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only updates in this state: `pending` (not acknowledged, muted or
    /// snoozed), `snoozed`, `muted`, `acknowledged`, or `all` (the default).
    #[param(example = "pending")]
    state: Option<String>,
    /// An alias of `state`: `false` is `state=pending`, `true` is `state=acknowledged`.
    #[param(value_type = Option<bool>)]
    acknowledged: Option<String>,
    /// Only updates of this image reference (exact match), on every host.
    image: Option<String>,
    /// A tag id: the updates whose image carries it; `none`: untagged images.
    #[param(example = "none")]
    tag: Option<String>,
    /// Only updates from this Diun host (exact match).
    host: Option<String>,
    /// Free text: every word must appear, ignoring case, in the image, the
    /// host, or a container, service, pod, job or task name.
    q: Option<String>,
    /// How many updates the page holds: 1 to 1000, 100 when absent.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page, asked with the same filters.
    cursor: Option<String>,
}

/// The query string of `GET /api/updates/summary`: the filters of the list, but status.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    /// A tag id: the updates whose image carries it; `none`: untagged images.
    #[param(example = "none")]
    tag: Option<String>,
    /// Only updates from this Diun host (exact match).
    host: Option<String>,
    /// Free text, as in the list.
    q: Option<String>,
}

pub(crate) fn bad_query(field: &str, message: String) -> ApiError {
    ApiError::BadRequest { code: "invalid_query", message, field: Some(field.into()) }
}

/// The state a `state` (or its alias `acknowledged`) parameter names; blank
/// and `all` mean any.
pub(crate) fn state_of(state: Option<&str>, acknowledged: Option<&str>) -> Result<Option<UpdateState>, ApiError> {
    let alias = match acknowledged.map(str::trim) {
        None | Some("") => None,
        Some("true") => Some(UpdateState::Acknowledged),
        Some("false") => Some(UpdateState::Pending),
        Some(other) => {
            return Err(bad_query("acknowledged", format!("`acknowledged` must be true or false, not {other:?}")))
        }
    };
    let state = match state.map(str::trim) {
        None | Some("") | Some("all") => None,
        Some(text) => Some(UpdateState::parse(text).ok_or_else(|| {
            bad_query("state", format!("`state` must be pending, snoozed, muted, acknowledged or all, not {text:?}"))
        })?),
    };
    match (state, alias) {
        (Some(_), Some(_)) => Err(bad_query("state", "give `state` or its alias `acknowledged`, not both".into())),
        (state, alias) => Ok(state.or(alias)),
    }
}

/// The filter the query parameters describe; blank values mean "any".
pub(crate) fn filter_of(
    state: Option<UpdateState>,
    tag: Option<&str>,
    host: Option<String>,
    q: Option<String>,
    image: Option<String>,
) -> Result<UpdateFilter, ApiError> {
    let tag = match tag.map(str::trim) {
        None | Some("") => None,
        Some("none") => Some(TagFilter::Untagged),
        Some(id) => Some(TagFilter::Id(
            id.parse().map_err(|_| bad_query("tag", format!("`tag` must be a tag id or \"none\", not {id:?}")))?,
        )),
    };
    let non_empty = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    Ok(UpdateFilter {
        state,
        tag,
        host: non_empty(host),
        query: non_empty(q),
        image: non_empty(image),
        pending_before: None,
    })
}

/// The page size a `limit` parameter asks for.
pub(crate) fn limit_of(limit: Option<&str>) -> Result<u32, ApiError> {
    match limit.map(str::trim) {
        None | Some("") => Ok(DEFAULT_PAGE_SIZE),
        Some(text) => text.parse().ok().filter(|n| (1..=MAX_PAGE_SIZE).contains(n)).ok_or_else(|| {
            bad_query("limit", format!("`limit` must be a whole number from 1 to {MAX_PAGE_SIZE}, not {text:?}"))
        }),
    }
}

impl ListQuery {
    fn into_request(self) -> Result<(UpdateFilter, PageRequest), ApiError> {
        let state = state_of(self.state.as_deref(), self.acknowledged.as_deref())?;
        let filter = filter_of(state, self.tag.as_deref(), self.host, self.q, self.image)?;
        let limit = limit_of(self.limit.as_deref())?;
        let page = match self.cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => PageRequest::first(limit),
            Some(text) => PageRequest::after(
                limit,
                cursor::decode(text, &filter).map_err(|err| bad_query("cursor", err.to_string()))?,
            ),
        }?;
        Ok((filter, page))
    }
}

/// One page of `GET /api/updates`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdateList {
    /// The updates, most recently seen first.
    pub updates: Vec<Update>,
    /// Pass it as `cursor` (with the same filters) for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /api/updates`.
#[utoipa::path(
    get,
    path = "/api/updates",
    operation_id = "list_updates",
    summary = "One page of updates, most recently seen first",
    description = "Pages walk a snapshot taken at the first page: following `next_cursor` never skips or repeats \
        an update that existed then, while webhooks keep arriving. Answers carry an `ETag`; `If-None-Match` with \
        the current one answers 304. Large answers are compressed (gzip or brotli) when the client accepts it.",
    tag = "updates",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of updates and the cursor of the next", body = UpdateList),
        (status = 304, description = "Nothing changed since the `ETag` given in `If-None-Match`"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filter, page) = query.into_inner().into_request()?;
    cached_json(&req, &state.store, "list_updates", move |store| {
        let page_of = store.list_updates(&filter, &page)?;
        Ok(UpdateList {
            next_cursor: page_of.next.map(|next| cursor::encode(&next, &filter)),
            updates: page_of.updates,
        })
    })
    .await
}

/// `GET /api/updates/summary`.
#[utoipa::path(
    get,
    path = "/api/updates/summary",
    operation_id = "summarize_updates",
    summary = "Counts of the updates: pending, acknowledged, per tag, per host, and the oldest pending",
    description = "Computed by the database. Carries an `ETag` like the list.",
    tag = "updates",
    params(SummaryQuery),
    responses(
        (status = 200, description = "The counts of the updates the filters match", body = Summary),
        (status = 304, description = "Nothing changed since the `ETag` given in `If-None-Match`"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn summary(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SummaryQuery>,
) -> Result<HttpResponse, ApiError> {
    let SummaryQuery { tag, host, q } = query.into_inner();
    let filter = filter_of(None, tag.as_deref(), host, q, None)?;
    // Every dashboard shows the unfiltered summary: one read per change serves them all.
    let cache = (filter == UpdateFilter::default()).then(|| std::sync::Arc::clone(&state.summary_cache));
    shared_json(&req, &state.store, "summary", cache, move |store| store.summary(&filter)).await
}

/// `GET /api/updates/{id}`.
#[utoipa::path(
    get,
    path = "/api/updates/{id}",
    operation_id = "get_update",
    summary = "One update",
    tag = "updates",
    params(("id" = i64, Path, description = "The update's id")),
    responses(
        (status = 200, description = "The update", body = Update),
        (status = 404, response = crate::openapi::NotFound),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn get(state: web::Data<AppState>, id: web::Path<i64>) -> Result<web::Json<Update>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(call_store(&state.store, "get_update", move |store| store.get_update(id)).await?))
}

/// `GET /api/updates/{id}/events`.
#[utoipa::path(
    get,
    path = "/api/updates/{id}/events",
    operation_id = "list_update_events",
    summary = "An update's history, newest first",
    tag = "updates",
    params(("id" = i64, Path, description = "The update's id")),
    responses(
        (status = 200, description = "The update's history, newest first", body = Vec<UpdateEvent>),
        (status = 404, response = crate::openapi::NotFound),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn events(state: web::Data<AppState>, id: web::Path<i64>) -> Result<web::Json<Vec<UpdateEvent>>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(call_store(&state.store, "list_events", move |store| store.list_events(id)).await?))
}

/// The body of `PATCH /api/updates/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUpdate {
    /// `true` acknowledges the update; `false` makes it pending again.
    acknowledged: bool,
}

/// `PATCH /api/updates/{id}`: acknowledge, or undo with `false`.
#[utoipa::path(
    patch,
    path = "/api/updates/{id}",
    operation_id = "set_acknowledged",
    summary = "Acknowledge an update, or make it pending again",
    tag = "updates",
    params(("id" = i64, Path, description = "The update's id")),
    request_body = PatchUpdate,
    responses(
        (status = 200, description = "The update as it is now", body = Update),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn patch(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: JsonBody<PatchUpdate>,
) -> Result<web::Json<Update>, ApiError> {
    let (id, acknowledged) = (id.into_inner(), body.acknowledged);
    Ok(web::Json(
        call_store_now(&state.store, "set_acknowledged", move |store| store.set_acknowledged(id, acknowledged, now()))
            .await?,
    ))
}

/// The body of `POST /api/updates/acknowledge`: exactly one of the five.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"image": "docker.io/library/nginx:1.27"}))]
pub struct AcknowledgeBody {
    /// These updates.
    ids: Option<Vec<i64>>,
    /// Every update whose image carries this tag.
    tag_id: Option<i64>,
    /// `true`: every update.
    all: Option<bool>,
    /// Every update these filters match, as in `GET /api/updates`.
    filter: Option<BodyFilter>,
    /// Every update of this image reference, on every host.
    image: Option<String>,
}

/// The filters of `GET /api/updates`, in a body.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BodyFilter {
    /// A tag id, or `"none"` for untagged images.
    #[schema(value_type = Option<String>, example = "none")]
    tag: Option<serde_json::Value>,
    /// Only updates from this Diun host (exact match).
    host: Option<String>,
    /// Free text, as in the list.
    q: Option<String>,
    /// Only updates in this state: `pending`, `snoozed` or `muted` (others
    /// mean every state not acknowledged).
    #[schema(example = "pending")]
    state: Option<String>,
    /// Only updates of this image reference (exact match).
    image: Option<String>,
}

impl BodyFilter {
    /// The filter, its errors naming `filter.<field>`.
    pub(crate) fn into_filter(self) -> Result<UpdateFilter, ApiError> {
        let tag = match &self.tag {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(ApiError::BadRequest {
                    code: "invalid_field",
                    message: "`filter.tag` must be a tag id or \"none\"".into(),
                    field: Some("filter.tag".into()),
                })
            }
        };
        let in_body = |err| match err {
            ApiError::BadRequest { message, field, .. } => {
                ApiError::BadRequest { code: "invalid_field", message, field: field.map(|f| format!("filter.{f}")) }
            }
            other => other,
        };
        let state = state_of(self.state.as_deref(), None).map_err(in_body)?;
        filter_of(state, tag.as_deref(), self.host, self.q, self.image).map_err(in_body)
    }
}

/// The image reference a body names, checked as a webhook's would be.
pub(crate) fn image_of(image: &str) -> Result<String, ApiError> {
    diun_core::image_reference(image).map_err(ApiError::from)
}

impl AcknowledgeBody {
    fn into_selector(self) -> Result<AckSelector, ApiError> {
        match (self.ids, self.tag_id, self.all, self.filter, self.image) {
            (Some(ids), None, None, None, None) => Ok(AckSelector::Ids(ids)),
            (None, Some(tag_id), None, None, None) => Ok(AckSelector::Tag(tag_id)),
            (None, None, Some(true), None, None) => Ok(AckSelector::All),
            (None, None, Some(false), None, None) => {
                Err(ApiError::bad_request("invalid_request", "`all` must be true when it is the selector"))
            }
            (None, None, None, Some(filter), None) => Ok(AckSelector::Filter(filter.into_filter()?)),
            (None, None, None, None, Some(image)) => Ok(AckSelector::Image(image_of(&image)?)),
            _ => Err(ApiError::bad_request(
                "invalid_request",
                "give exactly one of `ids` (a list of update ids), `tag_id`, `all: true`, `filter` or `image`",
            )),
        }
    }
}

/// The answer of a bulk acknowledgment.
#[derive(Debug, Serialize, ToSchema)]
pub struct Acknowledged {
    /// How many pending updates became acknowledged.
    pub acknowledged: u64,
    /// The instant written on each of them: `POST /api/updates/unacknowledge`
    /// with it undoes this acknowledgment.
    pub acknowledged_at: DateTime<Utc>,
}

/// `POST /api/updates/acknowledge`.
#[utoipa::path(
    post,
    path = "/api/updates/acknowledge",
    operation_id = "acknowledge_updates",
    summary = "Acknowledge updates by ids, by tag, by filter, by image on every host, or all",
    description = "Pending, snoozed and muted updates alike become acknowledged, all at one instant: the \
        `acknowledged_at` of the answer, which `POST /api/updates/unacknowledge` takes to undo it (each update \
        comes back as it was, snoozed or muted included).",
    tag = "updates",
    request_body = AcknowledgeBody,
    responses(
        (status = 200, description = "How many pending updates became acknowledged, and when", body = Acknowledged),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn acknowledge(
    state: web::Data<AppState>,
    body: JsonBody<AcknowledgeBody>,
) -> Result<web::Json<Acknowledged>, ApiError> {
    let selector = body.into_inner().into_selector()?;
    let at = now();
    let acknowledged =
        call_store_now(&state.store, "acknowledge", move |store| store.acknowledge(&selector, at)).await?;
    Ok(web::Json(Acknowledged { acknowledged, acknowledged_at: at }))
}

/// The body of `POST /api/updates/unacknowledge`: exactly one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"acknowledged_at": "2026-12-02T08:00:00.123Z"}))]
pub struct UnacknowledgeBody {
    /// These updates.
    ids: Option<Vec<i64>>,
    /// Every update acknowledged at exactly this instant: the `acknowledged_at`
    /// of a bulk acknowledgment's answer, to undo it.
    acknowledged_at: Option<DateTime<Utc>>,
}

/// The answer of `POST /api/updates/unacknowledge`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Unacknowledged {
    /// How many acknowledged updates became pending again.
    pub unacknowledged: u64,
}

/// `POST /api/updates/unacknowledge`: makes updates pending again, in one request.
#[utoipa::path(
    post,
    path = "/api/updates/unacknowledge",
    operation_id = "unacknowledge_updates",
    summary = "Make updates pending again, by ids or by the instant of a bulk acknowledgment (its undo)",
    tag = "updates",
    request_body = UnacknowledgeBody,
    responses(
        (status = 200, description = "How many acknowledged updates became pending again", body = Unacknowledged),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn unacknowledge(
    state: web::Data<AppState>,
    body: JsonBody<UnacknowledgeBody>,
) -> Result<web::Json<Unacknowledged>, ApiError> {
    let selector = match body.into_inner() {
        UnacknowledgeBody { ids: Some(ids), acknowledged_at: None } => UnackSelector::Ids(ids),
        UnacknowledgeBody { ids: None, acknowledged_at: Some(at) } => UnackSelector::AcknowledgedAt(at),
        _ => {
            return Err(ApiError::bad_request(
                "invalid_request",
                "give exactly one of `ids` (a list of update ids) or `acknowledged_at`",
            ))
        }
    };
    let unacknowledged =
        call_store_now(&state.store, "unacknowledge", move |store| store.unacknowledge(&selector)).await?;
    Ok(web::Json(Unacknowledged { unacknowledged }))
}

/// `DELETE /api/updates/{id}`.
#[utoipa::path(
    delete,
    path = "/api/updates/{id}",
    operation_id = "delete_update",
    summary = "Remove an update and its history",
    tag = "updates",
    params(("id" = i64, Path, description = "The update's id")),
    responses(
        (status = 204, description = "The update and its history are gone"),
        (status = 404, response = crate::openapi::NotFound),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn delete(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    call_store_now(&state.store, "delete_update", move |store| store.delete_update(id)).await?;
    Ok(no_content())
}
