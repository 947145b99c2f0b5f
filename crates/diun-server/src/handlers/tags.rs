//! `/api/tags` and `/api/tag-assignments`: user-made groups of images.

use actix_web::{web, HttpRequest, HttpResponse};
use diun_core::{image_reference, Tag, TagName, TagRef};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extractors::JsonBody;
use crate::handlers::representation::cached_json;
use crate::handlers::{no_content, now};
use crate::state::AppState;
use crate::store_call::call_store_now;

/// The body that creates or renames a tag.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    /// Trimmed; 1 to 64 characters, no control characters; unique ignoring case.
    #[schema(example = "media")]
    name: String,
}

fn tag_name(body: &TagBody) -> Result<TagName, ApiError> {
    // The error names the field `name`, as this body calls it.
    Ok(TagName::parse(&body.name)?)
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
        (status = 304, description = "Nothing changed since the `ETag` given in `If-None-Match`"),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    cached_json::<Vec<Tag>, _>(&req, &state.store, "list_tags", |store| store.list_tags()).await
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
pub async fn create(state: web::Data<AppState>, body: JsonBody<TagBody>) -> Result<HttpResponse, ApiError> {
    let name = tag_name(&body)?;
    let tag = call_store_now(&state.store, "create_tag", move |store| store.create_tag(&name, now())).await?;
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
    body: JsonBody<TagBody>,
) -> Result<web::Json<Tag>, ApiError> {
    let (id, name) = (id.into_inner(), tag_name(&body)?);
    Ok(web::Json(call_store_now(&state.store, "rename_tag", move |store| store.rename_tag(id, &name)).await?))
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
    call_store_now(&state.store, "delete_tag", move |store| store.delete_tag(id)).await?;
    Ok(no_content())
}

/// The body of `PUT /api/tag-assignments`: one `image`, or up to 1000 `images`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The image reference, as in the webhook.
    #[schema(example = "docker.io/library/nginx:1.27")]
    image: Option<String>,
    /// Several image references, moved together in one transaction.
    images: Option<Vec<String>>,
    /// The tag to put it under.
    tag_id: i64,
}

/// The body of `DELETE /api/tag-assignments`: one `image`, or up to 1000 `images`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnassignBody {
    /// The image reference, as in the webhook.
    #[schema(example = "docker.io/library/nginx:1.27")]
    image: Option<String>,
    /// Several image references, taken out of their tags together.
    images: Option<Vec<String>>,
}

/// The answer of an assignment of one `image`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assignment {
    /// The image reference.
    pub image: String,
    /// The tag it now carries.
    pub tag: TagRef,
}

/// The answer of an assignment of several `images`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assignments {
    /// How many of the images changed tag (the others had it already).
    pub changed: u64,
    /// The tag they now carry.
    pub tag: TagRef,
}

/// The most images one bulk assignment takes.
const MAX_IMAGES: usize = 1000;

/// Either one image (`Ok(Err(image))`) or several, each checked like the webhook's.
fn one_or_many(image: Option<String>, images: Option<Vec<String>>) -> Result<Result<Vec<String>, String>, ApiError> {
    match (image, images) {
        (Some(image), None) => Ok(Err(image_ref(&image)?)),
        (None, Some(images)) if images.len() > MAX_IMAGES => Err(ApiError::BadRequest {
            code: "invalid_field",
            message: format!("`images` holds at most {MAX_IMAGES} image references, not {}", images.len()),
            field: Some("images".into()),
        }),
        (None, Some(images)) => Ok(Ok(images
            .iter()
            .enumerate()
            .map(|(n, image)| {
                image_ref(image).map_err(|err| match err {
                    ApiError::BadRequest { code, message, .. } => {
                        ApiError::BadRequest { code, message, field: Some(format!("images[{n}]")) }
                    }
                    other => other,
                })
            })
            .collect::<Result<_, _>>()?)),
        _ => Err(ApiError::bad_request("invalid_request", "give exactly one of `image` or `images`")),
    }
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
        (status = 200, description = "The image and the tag it now carries (for `images`: how many changed, and the tag)", body = Assignment),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::PayloadTooLarge),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn assign(state: web::Data<AppState>, body: JsonBody<AssignBody>) -> Result<HttpResponse, ApiError> {
    let AssignBody { image, images, tag_id } = body.into_inner();
    match one_or_many(image, images)? {
        Err(image) => {
            let stored = image.clone();
            let tag =
                call_store_now(&state.store, "assign_tag", move |store| store.assign_tag(&stored, tag_id)).await?;
            Ok(HttpResponse::Ok().json(Assignment { image, tag }))
        }
        Ok(images) => {
            let (changed, tag) = call_store_now(&state.store, "set_image_tags", move |store| {
                let changed = store.set_image_tags(&images, Some(tag_id))?;
                let tag = store.list_tags()?.into_iter().find(|tag| tag.id == tag_id);
                Ok((changed, tag))
            })
            .await?;
            // Deleted in between: the images went with it.
            let tag = tag.ok_or_else(|| ApiError::NotFound(format!("tag {tag_id} was not found")))?;
            Ok(HttpResponse::Ok().json(Assignments { changed, tag: TagRef { id: tag.id, name: tag.name } }))
        }
    }
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
pub async fn unassign(state: web::Data<AppState>, body: JsonBody<UnassignBody>) -> Result<HttpResponse, ApiError> {
    let UnassignBody { image, images } = body.into_inner();
    match one_or_many(image, images)? {
        Err(image) => {
            call_store_now(&state.store, "unassign_tag", move |store| store.unassign_tag(&image)).await.map(drop)
        }
        Ok(images) => call_store_now(&state.store, "set_image_tags", move |store| store.set_image_tags(&images, None))
            .await
            .map(drop),
    }?;
    Ok(no_content())
}
