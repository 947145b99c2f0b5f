//! Prometheus metrics: what the server counts, and `GET /metrics`.
//!
//! Counters and histograms live in the process; the gauges of pending and
//! acknowledged updates are read from the database at scrape time, so every
//! replica reports the same truth.
//!
//! Every label value comes from a bounded set, since anyone who can reach the
//! server can make requests: HTTP methods from a fixed list, routes from the
//! route table, hosts from the current data only.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::auth::MetricsAccess;
use crate::error::ApiError;
use crate::routes;
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
const REMINDER_RUNS: &str = "diun_dashboard_reminder_runs_total";
const REMINDER_DELIVERIES: &str = "diun_dashboard_reminder_deliveries_total";
const REMINDER_RETRIES: &str = "diun_dashboard_reminder_retries_total";

/// Buckets from 0.5 ms to 10 s: webhook and API calls take milliseconds,
/// and a slow database shows up at the top end.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process-wide Prometheus recorder, installed on first use; `None`
/// when the process had another recorder already (an embedding program's):
/// the dashboard's metrics then go to that one, and nothing panics.
pub fn install_recorder() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_duration_seconds".into()), BUCKETS)
                .expect("the buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => {
                    describe();
                    Some(handle)
                }
                Err(_) => {
                    log::info!("another metrics recorder is installed: the dashboard's metrics go to it");
                    describe();
                    None
                }
            }
        })
        .as_ref()
}

/// Describes the dashboard's metrics to the installed recorder, once.
pub fn describe() {
    static DESCRIBED: std::sync::Once = std::sync::Once::new();
    DESCRIBED.call_once(|| {
        describe_histogram!(HTTP_DURATION, Unit::Seconds, "HTTP requests by route pattern, method and status.");
        describe_histogram!(STORE_DURATION, Unit::Seconds, "Database operations by name.");
        describe_counter!(WEBHOOKS_ACCEPTED, "Webhook notifications stored.");
        describe_counter!(WEBHOOKS_REJECTED, "Webhook notifications refused, by reason (the error code).");
        describe_gauge!(ACKNOWLEDGED, "Acknowledged updates.");
        describe_gauge!(TAGS, "Tags.");
        describe_counter!(
            REMINDER_RUNS,
            "Scheduled reminder slots, by outcome: sent, nothing_due, other_replica (another replica sent it), failed."
        );
        describe_counter!(REMINDER_DELIVERIES, "Reminder deliveries by target kind and outcome (sent, failed).");
        describe_counter!(
            REMINDER_RETRIES,
            "Reminder delivery tries that failed and were tried again, by target kind."
        );
        describe_gauge!(BUILD_INFO, "Always 1; the labels say which build runs.");
        gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    });
}

/// Middleware: times every request under its route pattern (`/api/updates/{id}`),
/// never its concrete path, so that the number of series stays bounded.
pub async fn time_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let response = next.call(req).await?;
    let route = route_label(response.request());
    let status = response.status().as_u16().to_string();
    histogram!(HTTP_DURATION, "route" => route, "method" => method, "status" => status)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// The method, or `other` for any of the endless methods a client may invent.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route pattern the request matched, under the base path, when it is one
/// of the route table's; `unmatched` for anything else (the dashboard's pages,
/// unknown paths).
fn route_label(req: &actix_web::HttpRequest) -> String {
    static PATTERNS: OnceLock<BTreeSet<String>> = OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| routes::route_list().into_iter().map(|(_, path)| path).collect());
    let base_path = req.app_data::<web::Data<AppState>>().map(|state| state.base_path.as_str()).unwrap_or_default();
    match req.match_pattern() {
        Some(pattern) if pattern.strip_prefix(base_path).is_some_and(|path| patterns.contains(path)) => pattern,
        _ => "unmatched".to_owned(),
    }
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

/// Counts a scheduled reminder slot by outcome (a fixed set of words).
pub fn count_reminder_run(outcome: &'static str) {
    counter!(REMINDER_RUNS, "outcome" => outcome).increment(1);
}

/// Counts one reminder delivery, after its last try.
pub fn count_reminder_delivery(kind: &'static str, sent: bool) {
    let outcome = if sent { "sent" } else { "failed" };
    counter!(REMINDER_DELIVERIES, "target" => kind, "outcome" => outcome).increment(1);
}

/// Counts a failed reminder try that will be tried again.
pub fn count_reminder_retry(kind: &'static str) {
    counter!(REMINDER_RETRIES, "target" => kind).increment(1);
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
    let stats = call_store(&state.store, "stats", |store| store.stats()).await?;
    gauge!(ACKNOWLEDGED).set(stats.acknowledged as f64);
    gauge!(TAGS).set(stats.tags as f64);
    // Without a recorder of ours (another was installed first), only what the database says.
    let mut page = install_recorder().map(PrometheusHandle::render).unwrap_or_default();
    if !page.is_empty() && !page.ends_with('\n') {
        page.push('\n');
    }
    page.push_str(&pending_by_host(&stats.pending_by_host));
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(page))
}

/// The per-host gauge, written from this scrape's data rather than kept in
/// the recorder, which would remember every host ever seen: a host whose
/// updates were deleted or all handled is simply absent.
fn pending_by_host(pending: &BTreeMap<String, i64>) -> String {
    let mut text = format!(
        "# HELP {PENDING} Pending (unacknowledged) updates per Diun host; hosts with none are absent.\n\
         # TYPE {PENDING} gauge\n"
    );
    for (host, count) in pending {
        // The text format's label escapes: backslash, double quote, newline.
        let host = host.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
        let _ = writeln!(text, "{PENDING}{{host=\"{host}\"}} {count}");
    }
    text
}
