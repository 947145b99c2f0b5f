//! `/api/updates`: list, read, acknowledge and delete updates.

use actix_web::{web, HttpResponse};
use diun_core::{AckSelector, TagFilter, Update, UpdateEvent, UpdateFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::handlers::{no_content, now};
use crate::state::AppState;
use crate::store_call::call_store;

/// The query string of `GET /api/updates`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `false`: pending updates only; `true`: acknowledged ones only.
    acknowledged: Option<bool>,
    /// A tag id: the updates whose image carries it; `none`: untagged images.
    #[param(example = "none")]
    tag: Option<String>,
    /// Only updates from this Diun host (exact match).
    host: Option<String>,
    /// Only images containing this text, ignoring case.
    q: Option<String>,
}

impl ListQuery {
    fn into_filter(self) -> Result<UpdateFilter, ApiError> {
        let tag = match self.tag.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("none") => Some(TagFilter::Untagged),
            Some(id) => Some(TagFilter::Id(id.parse().map_err(|_| ApiError::BadRequest {
                code: "invalid_query",
                message: format!("`tag` must be a tag id or \"none\", not {id:?}"),
                field: Some("tag".into()),
            })?)),
        };
        let non_empty = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(UpdateFilter { acknowledged: self.acknowledged, tag, host: non_empty(self.host), query: non_empty(self.q) })
    }
}

/// `GET /api/updates`.
#[utoipa::path(
    get,
    path = "/api/updates",
    operation_id = "list_updates",
    summary = "List updates, most recently seen first",
    tag = "updates",
    params(ListQuery),
    responses(
        (status = 200, description = "The matching updates, most recently seen first", body = Vec<Update>),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<Update>>, ApiError> {
    let filter = query.into_inner().into_filter()?;
    Ok(web::Json(call_store(&state.store, "list_updates", move |store| store.list_updates(&filter)).await?))
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
    body: web::Json<PatchUpdate>,
) -> Result<web::Json<Update>, ApiError> {
    let (id, acknowledged) = (id.into_inner(), body.acknowledged);
    Ok(web::Json(
        call_store(&state.store, "set_acknowledged", move |store| store.set_acknowledged(id, acknowledged, now()))
            .await?,
    ))
}

/// The body of `POST /api/updates/acknowledge`: exactly one of the three.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ids": [1, 2]}))]
pub struct AcknowledgeBody {
    /// These updates.
    ids: Option<Vec<i64>>,
    /// Every update whose image carries this tag.
    tag_id: Option<i64>,
    /// `true`: every update.
    all: Option<bool>,
}

impl AcknowledgeBody {
    fn into_selector(self) -> Result<AckSelector, ApiError> {
        match (self.ids, self.tag_id, self.all) {
            (Some(ids), None, None) => Ok(AckSelector::Ids(ids)),
            (None, Some(tag_id), None) => Ok(AckSelector::Tag(tag_id)),
            (None, None, Some(true)) => Ok(AckSelector::All),
            (None, None, Some(false)) => {
                Err(ApiError::bad_request("invalid_request", "`all` must be true when it is the selector"))
            }
            _ => Err(ApiError::bad_request(
                "invalid_request",
                "give exactly one of `ids` (a list of update ids), `tag_id` or `all: true`",
            )),
        }
    }
}

/// The answer of a bulk acknowledgment.
#[derive(Debug, Serialize, ToSchema)]
pub struct Acknowledged {
    /// How many pending updates became acknowledged.
    pub acknowledged: u64,
}

/// `POST /api/updates/acknowledge`.
#[utoipa::path(
    post,
    path = "/api/updates/acknowledge",
    operation_id = "acknowledge_updates",
    summary = "Acknowledge updates by ids, by tag, or all",
    tag = "updates",
    request_body = AcknowledgeBody,
    responses(
        (status = 200, description = "How many pending updates became acknowledged", body = Acknowledged),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn acknowledge(
    state: web::Data<AppState>,
    body: web::Json<AcknowledgeBody>,
) -> Result<web::Json<Acknowledged>, ApiError> {
    let selector = body.into_inner().into_selector()?;
    let acknowledged =
        call_store(&state.store, "acknowledge", move |store| store.acknowledge(&selector, now())).await?;
    Ok(web::Json(Acknowledged { acknowledged }))
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
    call_store(&state.store, "delete_update", move |store| store.delete_update(id)).await?;
    Ok(no_content())
}
