//! The route table: every path the server answers, in one place.

use actix_web::{web, Resource};

use crate::handlers::{self, health, tags, updates, webhook};
use crate::telemetry;

/// A resource that answers a method it lacks with a JSON 405.
fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(handlers::method_not_allowed))
}

/// Registers every route, relative to the base path.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        // Diun's webhook notifier sends GET unless told otherwise.
        resource("/webhook").route(web::post().to(webhook::receive)).route(web::get().to(webhook::receive)),
    )
    .service(resource("/healthz").route(web::get().to(health::healthz)))
    .service(resource("/readyz").route(web::get().to(health::readyz)))
    .service(resource("/metrics").route(web::get().to(telemetry::scrape)))
    .service(resource("/api/info").route(web::get().to(health::info)))
    .service(resource("/api/updates").route(web::get().to(updates::list)))
    // Before `/api/updates/{id}`, which would otherwise take "acknowledge" as an id.
    .service(resource("/api/updates/acknowledge").route(web::post().to(updates::acknowledge)))
    .service(
        resource("/api/updates/{id}")
            .route(web::get().to(updates::get))
            .route(web::patch().to(updates::patch))
            .route(web::delete().to(updates::delete)),
    )
    .service(resource("/api/updates/{id}/events").route(web::get().to(updates::events)))
    .service(resource("/api/tags").route(web::get().to(tags::list)).route(web::post().to(tags::create)))
    .service(resource("/api/tags/{id}").route(web::patch().to(tags::rename)).route(web::delete().to(tags::delete)))
    .service(
        resource("/api/tag-assignments").route(web::put().to(tags::assign)).route(web::delete().to(tags::unassign)),
    );
}
