//! `/api/updates`: list, read, acknowledge and delete updates.

use actix_web::{web, HttpResponse};
use diun_core::{AckSelector, TagFilter, Update, UpdateEvent, UpdateFilter};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::handlers::{no_content, now};
use crate::state::AppState;
use crate::store_call::call_store;

/// The query string of `GET /api/updates`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    acknowledged: Option<bool>,
    tag: Option<String>,
    host: Option<String>,
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
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<Vec<Update>>, ApiError> {
    let filter = query.into_inner().into_filter()?;
    Ok(web::Json(call_store(&state.store, "list_updates", move |store| store.list_updates(&filter)).await?))
}

/// `GET /api/updates/{id}`.
pub async fn get(state: web::Data<AppState>, id: web::Path<i64>) -> Result<web::Json<Update>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(call_store(&state.store, "get_update", move |store| store.get_update(id)).await?))
}

/// `GET /api/updates/{id}/events`.
pub async fn events(state: web::Data<AppState>, id: web::Path<i64>) -> Result<web::Json<Vec<UpdateEvent>>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(call_store(&state.store, "list_events", move |store| store.list_events(id)).await?))
}

/// The body of `PATCH /api/updates/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchUpdate {
    acknowledged: bool,
}

/// `PATCH /api/updates/{id}`: acknowledge, or undo with `false`.
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeBody {
    ids: Option<Vec<i64>>,
    tag_id: Option<i64>,
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
#[derive(Debug, Serialize)]
pub struct Acknowledged {
    /// How many pending updates became acknowledged.
    pub acknowledged: u64,
}

/// `POST /api/updates/acknowledge`.
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
pub async fn delete(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    call_store(&state.store, "delete_update", move |store| store.delete_update(id)).await?;
    Ok(no_content())
}
