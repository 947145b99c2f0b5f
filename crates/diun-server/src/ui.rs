//! The dashboard, built from frontend/ and embedded in the binary.
//!
//! Hashed assets are cached for a year; `index.html` is never cached, and
//! any other GET outside the API falls back to it, for client-side routes.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "$OUT_DIR/ui"]
struct Assets;

/// Serves an embedded file, or `index.html` for any other page.
pub async fn serve(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let path = req.path().strip_prefix(state.base_path.as_str()).unwrap_or(req.path()).trim_start_matches('/');
    let is_page = req.method() == actix_web::http::Method::GET || req.method() == actix_web::http::Method::HEAD;
    if !is_page || path == "api" || path.starts_with("api/") {
        return Err(ApiError::NotFound(format!("no route for {} {}", req.method(), req.path())));
    }
    if !path.is_empty() && path != "index.html" {
        if let Some(file) = Assets::get(path) {
            let cache = if path.starts_with("assets/") {
                // Vite puts a content hash in every name under assets/.
                vec![
                    CacheDirective::Public,
                    CacheDirective::MaxAge(31_536_000),
                    CacheDirective::Extension("immutable".into(), None),
                ]
            } else {
                vec![CacheDirective::Public, CacheDirective::MaxAge(3600)]
            };
            return Ok(HttpResponse::Ok()
                .content_type(file.metadata.mimetype())
                .insert_header(CacheControl(cache))
                .body(file.data.into_owned()));
        }
        if path.starts_with("assets/") {
            return Err(ApiError::NotFound(format!("no file {path}")));
        }
    }
    index(&state.base_path)
}

/// `index.html`, told where it lives so that its relative URLs resolve under a sub-path.
fn index(base_path: &str) -> Result<HttpResponse, ApiError> {
    let file = Assets::get("index.html").ok_or_else(|| {
        log::error!("the embedded dashboard has no index.html");
        ApiError::Internal
    })?;
    let html =
        String::from_utf8_lossy(&file.data).replacen("<base href=\"/\"", &format!("<base href=\"{base_path}/\""), 1);
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(html))
}
