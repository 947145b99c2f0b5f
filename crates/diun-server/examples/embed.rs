//! A program with its own actix-web application, its own routes and its own
//! Prometheus metrics, that mounts Diun Dashboard under `/diun`.
//!
//! ```text
//! cargo run -p diun-server --example embed                          # 127.0.0.1:8090, a temp database
//! cargo run -p diun-server --example embed -- 0.0.0.0:8090 diun.db
//! ```
//!
//! - `GET /` is the host's own page, `GET /metrics` its own Prometheus
//!   endpoint, which carries the dashboard's `diun_dashboard_*` metrics too
//!   ([`MetricsRecorder::Host`]).
//! - `POST /diun/webhook` takes Diun's notifications (with the secret in
//!   `DIUN_WEBHOOK_SECRET`, `change-me` unless set);
//!   `/diun/api/updates` and the rest of the API need
//!   `Authorization: Bearer $DIUN_API_TOKEN` (`change-me-too` unless set).
//!
//! It prints `listening on http://ADDRESS` once it serves.

use std::error::Error;
use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use diun_core::{Store, StoreOptions};
use diun_server::auth::AccessControl;
use diun_server::{Dashboard, MetricsRecorder, Secret};
use diun_store_sqlite::SqliteStore;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

fn main() -> Result<(), Box<dyn Error>> {
    env_logger::init_from_env(env_logger::Env::default().default_filter_or("warn"));
    let mut args = std::env::args().skip(1);
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    // Kept alive until the end: the temporary database lives in it.
    let temp_dir = tempfile::tempdir()?;
    let database = args.next().unwrap_or_else(|| temp_dir.path().join("diun.db").display().to_string());

    // The host's own metrics: it installs the process's recorder itself.
    let metrics = PrometheusBuilder::new().install_recorder()?;

    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&database, &StoreOptions::default())?);
    let secret = |name: &str, default: &str| Secret::new(std::env::var(name).unwrap_or_else(|_| default.to_owned()));
    let dashboard = Dashboard::builder(store)
        .base_path("/diun")
        .webhook_secret(secret("DIUN_WEBHOOK_SECRET", "change-me"))
        .access(AccessControl::builder().token(secret("DIUN_API_TOKEN", "change-me-too")).build())
        // The dashboard's metrics go to the host's recorder, served at the host's /metrics.
        .metrics_recorder(MetricsRecorder::Host)
        .build()?;

    let server = HttpServer::new({
        let dashboard = dashboard.clone();
        move || {
            App::new()
                .app_data(web::Data::new(metrics.clone()))
                .route("/", web::get().to(home))
                .route("/metrics", web::get().to(scrape))
                .service(dashboard.scope())
        }
    })
    .workers(2)
    .bind(&listen)?;
    for address in server.addrs() {
        println!("listening on http://{address}");
    }
    actix_web::rt::System::new().block_on(server.run())?;
    dashboard.close_event_streams();
    Ok(())
}

/// The host's own page.
async fn home() -> HttpResponse {
    metrics::counter!("host_home_requests_total").increment(1);
    HttpResponse::Ok().content_type("text/plain").body("the host's own page; the dashboard is at /diun/\n")
}

/// The host's own metrics endpoint, with the dashboard's metrics in it.
async fn scrape(handle: web::Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(handle.render())
}
