//! Prometheus metrics: what the server counts, and `GET /metrics`.
//!
//! Counters and histograms live in the process; the gauges of pending and
//! acknowledged updates are read from the database at scrape time, so every
//! replica reports the same truth.

use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::auth::MetricsAccess;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store_call::call_store;

const HTTP_DURATION: &str = "diun_dashboard_http_request_duration_seconds";
const STORE_DURATION: &str = "diun_dashboard_store_operation_duration_seconds";
const WEBHOOKS_ACCEPTED: &str = "diun_dashboard_webhooks_accepted_total";
const WEBHOOKS_REJECTED: &str = "diun_dashboard_webhooks_rejected_total";
const PENDING: &str = "diun_dashboard_pending_updates";
const ACKNOWLEDGED: &str = "diun_dashboard_acknowledged_updates";
const TAGS: &str = "diun_dashboard_tags";
const BUILD_INFO: &str = "diun_dashboard_build_info";

/// Buckets from 0.5 ms to 10 s: webhook and API calls take milliseconds,
/// and a slow database shows up at the top end.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process-wide recorder, installed on first use.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_duration_seconds".into()), BUCKETS)
            .expect("the buckets are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed");
        describe_histogram!(HTTP_DURATION, Unit::Seconds, "HTTP requests by route pattern, method and status.");
        describe_histogram!(STORE_DURATION, Unit::Seconds, "Database operations by name.");
        describe_counter!(WEBHOOKS_ACCEPTED, "Webhook notifications stored.");
        describe_counter!(WEBHOOKS_REJECTED, "Webhook notifications refused, by reason (the error code).");
        describe_gauge!(PENDING, "Pending (unacknowledged) updates per Diun host.");
        describe_gauge!(ACKNOWLEDGED, "Acknowledged updates.");
        describe_gauge!(TAGS, "Tags.");
        describe_gauge!(BUILD_INFO, "Always 1; the labels say which build runs.");
        gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        handle
    })
}

/// Middleware: times every request under its route pattern (`/api/updates/{id}`),
/// never its concrete path, so that the number of series stays bounded.
pub async fn time_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let response = next.call(req).await?;
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16().to_string();
    histogram!(HTTP_DURATION, "route" => route, "method" => method, "status" => status)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// Times one store operation.
pub fn record_store_duration(operation: &'static str, started: Instant) {
    histogram!(STORE_DURATION, "operation" => operation).record(started.elapsed().as_secs_f64());
}

/// Counts a webhook by outcome.
pub fn count_webhook(outcome: Result<(), &ApiError>) {
    match outcome {
        Ok(()) => counter!(WEBHOOKS_ACCEPTED).increment(1),
        Err(err) => counter!(WEBHOOKS_REJECTED, "reason" => err.code()).increment(1),
    }
}

/// `GET /metrics`: the Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    summary = "Prometheus metrics",
    tag = "health",
    responses(
        (
            status = 200,
            description = "The Prometheus text exposition format",
            content_type = "text/plain; version=0.0.4; charset=utf-8",
            body = String
        ),
        (status = 404, response = crate::openapi::NotFound),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
pub async fn scrape(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.metrics == MetricsAccess::Off {
        return Err(ApiError::NotFound("metrics are switched off (DIUN_DASHBOARD_METRICS=off)".into()));
    }
    let handle = recorder();
    let stats = call_store(&state.store, "stats", |store| store.stats()).await?;
    // A host whose updates were all handled must drop to 0, not keep its last value.
    static HOSTS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut hosts = HOSTS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for host in hosts.iter().filter(|h| !stats.pending_by_host.contains_key(*h)) {
        gauge!(PENDING, "host" => host.clone()).set(0.0);
    }
    for (host, count) in &stats.pending_by_host {
        gauge!(PENDING, "host" => host.clone()).set(*count as f64);
        hosts.insert(host.clone());
    }
    drop(hosts);
    gauge!(ACKNOWLEDGED).set(stats.acknowledged as f64);
    gauge!(TAGS).set(stats.tags as f64);
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(handle.render()))
}
