//! Headers on every response that keep other sites from framing the
//! dashboard, and browsers from running anything it did not ship.
//!
//! A click inside a frame is same-origin and passes the cross-site check, so
//! framing must be refused outright (`frame-ancestors 'none'`, and
//! `X-Frame-Options` for older browsers).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderName, HeaderValue, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;
use actix_web::web;

use crate::paths;
use crate::state::AppState;

/// The dashboard (and everything else but the API docs): only its own files.
/// The stylesheet draws one icon as a `data:` SVG; React sets inline styles
/// through the DOM, which `style-src` does not govern.
pub const DASHBOARD_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// Swagger UI at `/api/docs/`: its scripts are files too, but it sets
/// `style` attributes and `<style>` elements, and draws icons as `data:` images.
pub const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-ancestors 'none'";

/// Middleware: adds the headers to every response, errors included.
pub async fn add(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let base_path = req.app_data::<web::Data<AppState>>().map(|state| state.base_path.as_str()).unwrap_or_default();
    // Any other spelling of the docs path gets the stricter policy: at worst the page looks plain.
    let docs = paths::below_base(req.path(), base_path).is_some_and(|path| path.starts_with("/api/docs/"));
    let policy = if docs { DOCS_POLICY } else { DASHBOARD_POLICY };
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &'static str); 4] = [
        (CONTENT_SECURITY_POLICY, policy),
        (X_FRAME_OPTIONS, "DENY"),
        // Links out of the dashboard (registry pages) need not learn its address.
        (REFERRER_POLICY, "no-referrer"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(response)
}
