//! Liveness, readiness and what the UI needs to know about this server.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store_call::call_store;

/// `GET /healthz`: the process is serving.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers too.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    call_store(&state.store, "ping", |store| store.ping()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}

/// What the dashboard shows about this server.
#[derive(Serialize)]
pub struct ServerInfo {
    /// The server's version.
    pub version: &'static str,
    /// The webhook's path relative to the dashboard's base URL.
    pub webhook_path: &'static str,
    /// Whether the webhook requires an `Authorization` header (never the secret itself).
    pub webhook_secret_set: bool,
}

/// `GET /api/info`.
pub async fn info(state: web::Data<AppState>) -> web::Json<ServerInfo> {
    web::Json(ServerInfo {
        version: env!("CARGO_PKG_VERSION"),
        webhook_path: "webhook",
        webhook_secret_set: state.webhook_secret.is_some(),
    })
}
