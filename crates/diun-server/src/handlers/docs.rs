//! `/api/openapi.json` and `/api/docs/`: the API's description, and a page to read and try it.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use utoipa_swagger_ui::Config;

use crate::error::ApiError;
use crate::openapi;
use crate::state::AppState;

/// `GET /api/openapi.json`: the OpenAPI document of this API, as served under the base path.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi_document",
    summary = "This OpenAPI document",
    tag = "docs",
    responses((
        status = 200,
        description = "This document (OpenAPI 3.1)",
        content_type = "application/json",
        body = Object
    ))
)]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(openapi::document(&state.base_path))
}

/// `GET /api/docs`: on to `/api/docs/`, whose relative links need the slash.
pub async fn docs_redirect() -> HttpResponse {
    // Relative, so that it stays under whatever base path the proxy added.
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, "docs/")).finish()
}

/// `GET /api/docs/{file}`: Swagger UI, embedded in the binary, reading this server's document.
pub async fn docs_file(state: web::Data<AppState>, file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    // No online validator: it would send this document's address to swagger.io,
    // and its badge is an image from another site, which the page's policy refuses.
    let config = Arc::new(Config::new([format!("{}/api/openapi.json", state.base_path)]).validator_url("none"));
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(found)) => Ok(HttpResponse::Ok().content_type(found.content_type).body(found.bytes.into_owned())),
        Ok(None) => Err(ApiError::NotFound(format!("the API docs have no file {file:?}"))),
        Err(err) => {
            log::error!("Swagger UI could not serve {file:?}: {err}");
            Err(ApiError::Internal)
        }
    }
}
