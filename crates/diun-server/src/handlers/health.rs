//! Liveness, readiness and what the UI needs to know about this server.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store_call::call_store_now;

/// The answer of the health checks.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` from `/healthz`, `ready` from `/readyz`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// `GET /healthz`: the process is serving.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    summary = "Whether the process is serving",
    tag = "health",
    responses((status = 200, description = "The process is serving", body = Health))
)]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// `GET /readyz`: the database answers too.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    summary = "Whether the process is serving and the database answers",
    tag = "health",
    responses(
        (status = 200, description = "The process is serving and the database answers", body = Health),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    call_store_now(&state.store, "ping", |store| store.ping()).await?;
    Ok(web::Json(Health { status: "ready" }))
}

/// What the dashboard shows about this server.
#[derive(Serialize, ToSchema)]
pub struct ServerInfo {
    /// The server's version.
    pub version: &'static str,
    /// The webhook's path relative to the dashboard's base URL.
    pub webhook_path: &'static str,
    /// Whether the webhook requires an `Authorization` header (never the secret itself).
    pub webhook_secret_set: bool,
}

/// `GET /api/info`.
#[utoipa::path(
    get,
    path = "/api/info",
    operation_id = "server_info",
    summary = "What the dashboard shows about this server",
    tag = "health",
    responses((status = 200, description = "What the dashboard shows about this server", body = ServerInfo))
)]
pub async fn info(state: web::Data<AppState>) -> web::Json<ServerInfo> {
    web::Json(ServerInfo {
        version: env!("CARGO_PKG_VERSION"),
        webhook_path: "webhook",
        webhook_secret_set: state.webhook_secret.is_some(),
    })
}
