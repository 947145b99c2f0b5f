//! `/api/tags` and `/api/tag-assignments`: user-made groups of images.

use actix_web::{web, HttpResponse};
use diun_core::{image_reference, Tag, TagName, TagRef};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::handlers::{no_content, now};
use crate::state::AppState;
use crate::store_call::call_store;

/// The body that creates or renames a tag.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    name: String,
}

fn tag_name(body: &TagBody) -> Result<TagName, ApiError> {
    TagName::parse(&body.name).map_err(|err| ApiError::BadRequest {
        code: "invalid_field",
        message: err.to_string(),
        field: Some("name".into()),
    })
}

/// `GET /api/tags`.
pub async fn list(state: web::Data<AppState>) -> Result<web::Json<Vec<Tag>>, ApiError> {
    Ok(web::Json(call_store(&state.store, "list_tags", |store| store.list_tags()).await?))
}

/// `POST /api/tags`: 201 with the tag.
pub async fn create(state: web::Data<AppState>, body: web::Json<TagBody>) -> Result<HttpResponse, ApiError> {
    let name = tag_name(&body)?;
    let tag = call_store(&state.store, "create_tag", move |store| store.create_tag(&name, now())).await?;
    Ok(HttpResponse::Created().json(tag))
}

/// `PATCH /api/tags/{id}`: renames.
pub async fn rename(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<TagBody>,
) -> Result<web::Json<Tag>, ApiError> {
    let (id, name) = (id.into_inner(), tag_name(&body)?);
    Ok(web::Json(call_store(&state.store, "rename_tag", move |store| store.rename_tag(id, &name)).await?))
}

/// `DELETE /api/tags/{id}`: the images it held become untagged.
pub async fn delete(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    call_store(&state.store, "delete_tag", move |store| store.delete_tag(id)).await?;
    Ok(no_content())
}

/// The body of `PUT /api/tag-assignments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    image: String,
    tag_id: i64,
}

/// The body of `DELETE /api/tag-assignments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnassignBody {
    image: String,
}

/// The answer of an assignment.
#[derive(Debug, Serialize)]
pub struct Assignment {
    /// The image reference.
    pub image: String,
    /// The tag it now carries.
    pub tag: TagRef,
}

/// An image reference as the webhook would accept it.
fn image_ref(raw: &str) -> Result<String, ApiError> {
    Ok(image_reference(raw)?)
}

/// `PUT /api/tag-assignments`: puts an image (on every host) under a tag.
pub async fn assign(
    state: web::Data<AppState>,
    body: web::Json<AssignBody>,
) -> Result<web::Json<Assignment>, ApiError> {
    let AssignBody { image, tag_id } = body.into_inner();
    let image = image_ref(&image)?;
    let stored = image.clone();
    let tag = call_store(&state.store, "assign_tag", move |store| store.assign_tag(&stored, tag_id)).await?;
    Ok(web::Json(Assignment { image, tag }))
}

/// `DELETE /api/tag-assignments`: the image loses its tag (204 even if it had none).
pub async fn unassign(state: web::Data<AppState>, body: web::Json<UnassignBody>) -> Result<HttpResponse, ApiError> {
    let image = image_ref(&body.image)?;
    call_store(&state.store, "unassign_tag", move |store| store.unassign_tag(&image)).await?;
    Ok(no_content())
}
