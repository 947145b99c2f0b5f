//! The Diun Dashboard server: receives Diun's webhooks and serves the API,
//! the live events stream and the dashboard.
//!
//! # As a library
//!
//! A program that has its own actix-web application mounts the dashboard in
//! it with [`Dashboard`]: a builder for the few choices an embedder makes
//! (the path, the webhook secret, [`auth::AccessControl`], the metrics
//! recorder), and [`Dashboard::scope`] to register. The store is any
//! [`diun_core::Store`]: SQLite, PostgreSQL or the program's own.
//!
//! ```no_run
//! use std::sync::Arc;
//! use actix_web::{web, App, HttpServer};
//! use diun_server::Dashboard;
//! # fn open_store() -> Arc<dyn diun_core::Store> { unimplemented!() }
//!
//! # async fn run() -> std::io::Result<()> {
//! let dashboard = Dashboard::builder(open_store()).base_path("/diun").build().unwrap();
//! HttpServer::new(move || App::new().service(dashboard.scope()).route("/", web::get().to(|| async { "mine" })))
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await
//! # }
//! ```
//!
//! `examples/embed.rs` is a whole program: its own routes and metrics, the
//! dashboard under `/diun` with a token. Inside a scope of the host's own,
//! [`DashboardBuilder::host_scope`] names it (see [`Dashboard`]).
//!
//! Cargo features: `sqlite` and `postgres` (the binary's backends), `ui`
//! (the dashboard's pages, built from `frontend/` and embedded). A copy of
//! this crate from crates.io has no `frontend/`: with `ui`, point
//! `DIUN_DASHBOARD_UI_DIST` at a built dashboard (the build stops and says
//! so otherwise), or leave `ui` out for the API alone.
//!
//! The modules hidden from these docs exist for the `diun-dashboard` binary
//! and this crate's tests; they are not part of the library's interface and
//! may change in any release.
//!
//! Data flows one way: HTTP → handlers → [`diun_core::Store`] → SQL.
#![warn(missing_docs)]

pub mod auth;
#[doc(hidden)]
pub mod backend;
mod dashboard;
mod error;
#[doc(hidden)]
pub mod events;
mod extractors;
mod feed;
mod handlers;
#[doc(hidden)]
pub mod healthcheck;
pub(crate) mod limits;
#[doc(hidden)]
pub mod links;
mod openapi;
mod paths;
#[doc(hidden)]
pub mod reminders;
#[doc(hidden)]
pub mod retention;
#[doc(hidden)]
pub mod routes;
mod security_headers;
#[doc(hidden)]
pub mod settings;
#[doc(hidden)]
pub mod snooze_waker;
mod state;
mod store_call;
#[doc(hidden)]
pub mod telemetry;
#[doc(hidden)]
pub mod transfer;
#[cfg(feature = "ui")]
mod ui;
#[doc(hidden)]
pub mod webhook_queue;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{self, Logger};
use actix_web::{web, App};

pub use dashboard::{ConfigError, Dashboard, DashboardBuilder, MetricsRecorder};
pub use settings::Secret;
#[doc(hidden)]
pub use state::AppState;

/// The whole application of the `diun-dashboard` binary: routes under the
/// base path, extractor settings and the access log. Embedders use
/// [`Dashboard`].
#[doc(hidden)]
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
    telemetry::install_recorder();
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

/// The README, whose Rust snippets (the "Embedding the crates" section) run
/// as this crate's doc tests. Only under `cfg(doctest)`: a packaged crate
/// builds without the file. Blocks marked `sh`, `toml` and the like are not Rust and are skipped.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
