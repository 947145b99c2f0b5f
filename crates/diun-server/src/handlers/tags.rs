//! `/api/tags` and `/api/tag-assignments`: user-made groups of images.

use actix_web::{web, HttpResponse};
use diun_core::{image_reference, Tag, TagName, TagRef};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::handlers::{no_content, now};
use crate::state::AppState;
use crate::store_call::call_store;

/// The body that creates or renames a tag.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    /// Trimmed; 1 to 64 characters, no control characters; unique ignoring case.
    #[schema(example = "media")]
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
#[utoipa::path(
    get,
    path = "/api/tags",
    operation_id = "list_tags",
    summary = "List tags by name, with their image counts",
    tag = "tags",
    responses(
        (status = 200, description = "Every tag by name, with its image count", body = Vec<Tag>),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn list(state: web::Data<AppState>) -> Result<web::Json<Vec<Tag>>, ApiError> {
    Ok(web::Json(call_store(&state.store, "list_tags", |store| store.list_tags()).await?))
}

/// `POST /api/tags`: 201 with the tag.
#[utoipa::path(
    post,
    path = "/api/tags",
    operation_id = "create_tag",
    summary = "Create a tag",
    tag = "tags",
    request_body = TagBody,
    responses(
        (status = 201, description = "The new tag", body = Tag),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn create(state: web::Data<AppState>, body: web::Json<TagBody>) -> Result<HttpResponse, ApiError> {
    let name = tag_name(&body)?;
    let tag = call_store(&state.store, "create_tag", move |store| store.create_tag(&name, now())).await?;
    Ok(HttpResponse::Created().json(tag))
}

/// `PATCH /api/tags/{id}`: renames.
#[utoipa::path(
    patch,
    path = "/api/tags/{id}",
    operation_id = "rename_tag",
    summary = "Rename a tag",
    tag = "tags",
    params(("id" = i64, Path, description = "The tag's id")),
    request_body = TagBody,
    responses(
        (status = 200, description = "The renamed tag", body = Tag),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn rename(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<TagBody>,
) -> Result<web::Json<Tag>, ApiError> {
    let (id, name) = (id.into_inner(), tag_name(&body)?);
    Ok(web::Json(call_store(&state.store, "rename_tag", move |store| store.rename_tag(id, &name)).await?))
}

/// `DELETE /api/tags/{id}`: the images it held become untagged.
#[utoipa::path(
    delete,
    path = "/api/tags/{id}",
    operation_id = "delete_tag",
    summary = "Delete a tag; its images become untagged",
    tag = "tags",
    params(("id" = i64, Path, description = "The tag's id")),
    responses(
        (status = 204, description = "The tag is gone; its images are untagged"),
        (status = 404, response = crate::openapi::NotFound),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn delete(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    call_store(&state.store, "delete_tag", move |store| store.delete_tag(id)).await?;
    Ok(no_content())
}

/// The body of `PUT /api/tag-assignments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The image reference, as in the webhook.
    #[schema(example = "docker.io/library/nginx:1.27")]
    image: String,
    /// The tag to put it under.
    tag_id: i64,
}

/// The body of `DELETE /api/tag-assignments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnassignBody {
    /// The image reference, as in the webhook.
    #[schema(example = "docker.io/library/nginx:1.27")]
    image: String,
}

/// The answer of an assignment.
#[derive(Debug, Serialize, ToSchema)]
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
#[utoipa::path(
    put,
    path = "/api/tag-assignments",
    operation_id = "assign_tag",
    summary = "Put an image (on every host) under a tag",
    tag = "tags",
    request_body = AssignBody,
    responses(
        (status = 200, description = "The image and the tag it now carries", body = Assignment),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
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
#[utoipa::path(
    delete,
    path = "/api/tag-assignments",
    operation_id = "unassign_tag",
    summary = "Take an image out of its tag",
    tag = "tags",
    request_body = UnassignBody,
    responses(
        (status = 204, description = "The image has no tag now"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn unassign(state: web::Data<AppState>, body: web::Json<UnassignBody>) -> Result<HttpResponse, ApiError> {
    let image = image_ref(&body.image)?;
    call_store(&state.store, "unassign_tag", move |store| store.unassign_tag(&image)).await?;
    Ok(no_content())
}
