//! The Diun Dashboard server: receives Diun's webhooks and serves the API.
//!
//! Data flows one way: HTTP → [`handlers`] → [`diun_core::Store`] → SQL.
//! [`app`] builds the whole application, so that the binary and the tests
//! run exactly the same routes.

pub mod auth;
pub mod backend;
pub mod error;
pub mod events;
pub mod extractors;
pub mod feed;
pub mod handlers;
pub mod healthcheck;
pub(crate) mod limits;
pub mod links;
pub mod openapi;
mod paths;
pub mod reminders;
pub mod retention;
pub mod routes;
mod security_headers;
pub mod settings;
pub mod state;
mod store_call;
pub mod telemetry;
pub mod transfer;
#[cfg(feature = "ui")]
mod ui;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{self, Logger};
use actix_web::{web, App};

pub use state::AppState;

/// The whole application: routes under the base path, extractor settings and the access log.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let base_path = state.base_path.clone();
    telemetry::recorder();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(extractors::path_config())
        .app_data(extractors::query_config())
        // Innermost first: a body is looked at only once the guard let the request in.
        .wrap(middleware::from_fn(extractors::require_object_bodies))
        // Bounds reading the body (408) for everything within; routes bound their answer (503).
        .wrap(middleware::from_fn(limits::bound_body_time))
        .wrap(middleware::from_fn(auth::guard))
        .wrap(middleware::from_fn(telemetry::time_requests))
        .wrap(access_log())
        // Outermost, so that refusals and unknown paths carry the headers too.
        .wrap(middleware::from_fn(security_headers::add))
        .service(web::scope(&base_path).configure(routes::routes).default_service(web::to(fallback)))
        .default_service(web::to(handlers::not_found))
}

/// One line per request: method, path without its query string (which may
/// carry a token), status and duration in milliseconds. Method and path are
/// escaped, so that no request can write a line of its own.
fn access_log() -> Logger {
    Logger::new("%{method}xi %{path}xi %s %Dms")
        .custom_request_replace("method", |req| req.method().as_str().escape_debug().to_string())
        .custom_request_replace("path", |req| req.path().escape_debug().to_string())
}

#[cfg(not(feature = "ui"))]
use handlers::not_found as fallback;
/// What answers a path no route knows: the dashboard for pages, else a JSON 404.
#[cfg(feature = "ui")]
use ui::serve as fallback;
