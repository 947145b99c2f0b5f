//! Cross-site request forgery: a page on another site must not be able to
//! make a logged-in browser change anything here.
//!
//! Browsers say where a request comes from (`Sec-Fetch-Site`, else `Origin`);
//! scripts and Diun send neither and are not affected.

use actix_web::dev::ServiceRequest;

/// True when a browser sent this request on behalf of another site.
pub fn is_cross_site(req: &ServiceRequest) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        // "none" is the user typing the address or using a bookmark.
        return !matches!(site, "same-origin" | "none");
    }
    match header("origin") {
        None => false,
        Some(origin) => {
            let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest.trim_end_matches('/'));
            origin_host != req.connection_info().host()
        }
    }
}
