//! `/api/images`: one image across hosts, grouped by the database, page by page.

use actix_web::{web, HttpRequest, HttpResponse};
use diun_core::image_group::cursor;
use diun_core::{ImageGroup, ImagePageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::handlers::representation::cached_json;
use crate::handlers::updates::{bad_query, filter_of, limit_of, state_of};
use crate::state::AppState;

/// The query string of `GET /api/images`: the filters of `GET /api/updates`,
/// applied to the updates before they are grouped.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImagesQuery {
    /// Only updates in this state: `pending`, `snoozed`, `muted`, `acknowledged`, or `all` (the default).
    #[param(example = "pending")]
    state: Option<String>,
    /// A tag id: the images carrying it; `none`: untagged images.
    #[param(example = "none")]
    tag: Option<String>,
    /// Only updates from this Diun host (exact match).
    host: Option<String>,
    /// Free text, as in `GET /api/updates`.
    q: Option<String>,
    /// How many images the page holds: 1 to 1000, 100 when absent.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page, asked with the same filters.
    cursor: Option<String>,
}

/// One page of `GET /api/images`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImageList {
    /// The images, the most recently seen first, then by reference.
    pub images: Vec<ImageGroup>,
    /// Pass it as `cursor` (with the same filters) for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /api/images`.
#[utoipa::path(
    get,
    path = "/api/images",
    operation_id = "list_images",
    summary = "One page of images, each once with the hosts running it and its counts per state",
    description = "An image appears when at least one of its updates matches the filters; its counts, hosts \
        (sorted, at most 50; `host_count` counts all), newest digest and times are over those updates. \
        Ordered by `last_seen_at` (newest first), then by reference. An image seen again while a client \
        pages moves to the top (the event stream announces it). Carries an `ETag` like `GET /api/updates`.",
    tag = "updates",
    params(ImagesQuery),
    responses(
        (status = 200, description = "A page of images and the cursor of the next", body = ImageList),
        (status = 304, description = "Nothing changed since the `ETag` given in `If-None-Match`"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ImagesQuery>,
) -> Result<HttpResponse, ApiError> {
    let ImagesQuery { state: wanted, tag, host, q, limit, cursor: after } = query.into_inner();
    let filter = filter_of(state_of(wanted.as_deref(), None)?, tag.as_deref(), host, q, None)?;
    let limit = limit_of(limit.as_deref())?;
    let page = match after.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => ImagePageRequest::first(limit),
        Some(text) => ImagePageRequest::after(
            limit,
            cursor::decode(text, &filter).map_err(|err| bad_query("cursor", err.to_string()))?,
        ),
    }?;
    cached_json(&req, &state.store, "list_images", move |store| {
        let page_of = store.list_images(&filter, &page)?;
        Ok(ImageList { next_cursor: page_of.next.map(|next| cursor::encode(&next, &filter)), images: page_of.images })
    })
    .await
}
