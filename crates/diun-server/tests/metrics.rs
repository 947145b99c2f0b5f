//! Metrics follow the actions that should change them. In a test binary of
//! its own: the counters are process-wide, and other tests post webhooks too.

#[macro_use]
mod common;

use actix_web::http::{Method, StatusCode};
use actix_web::test;
use common::requests::{get, post, send, with_json};
use common::{sample, TestStore};
use serde_json::json;

/// The value of one series in a Prometheus text page, 0 when absent.
fn metric(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |value| value.trim().parse().expect("a number"))
}

async fn metrics_follow_the_actions(s: TestStore) {
    let app = app!(s);
    let scrape = || async {
        let response = test::call_service(&app, get("/metrics").to_request()).await;
        assert_eq!(response.status(), StatusCode::OK);
        String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
    };
    let before = scrape().await;
    let accepted = "diun_dashboard_webhooks_accepted_total";
    let rejected = r#"diun_dashboard_webhooks_rejected_total{reason="missing_field"}"#;
    let (accepted_before, rejected_before) = (metric(&before, accepted), metric(&before, rejected));

    let (_, update) = send(&app, post("/webhook", sample("docker.json"))).await;
    send(&app, post("/webhook", sample("swarm.json"))).await;
    send(&app, post("/webhook", r#"{"hostname":"nas"}"#)).await;
    let page = scrape().await;
    assert_eq!(metric(&page, accepted) - accepted_before, 2.0, "{page}");
    assert_eq!(metric(&page, rejected) - rejected_before, 1.0, "{page}");
    assert_eq!(metric(&page, r#"diun_dashboard_pending_updates{host="nas"}"#), 1.0, "{page}");
    assert_eq!(metric(&page, r#"diun_dashboard_pending_updates{host="swarm-manager-1"}"#), 1.0);
    assert_eq!(metric(&page, "diun_dashboard_acknowledged_updates"), 0.0);
    assert!(page.contains("diun_dashboard_build_info{version="), "{page}");
    let webhook_bucket =
        r#"diun_dashboard_http_request_duration_seconds_bucket{route="/webhook",method="POST",status="200""#;
    assert!(page.contains(webhook_bucket), "{page}");
    let store_count = r#"diun_dashboard_store_operation_duration_seconds_count{operation="record_notification"}"#;
    assert!(page.contains(store_count), "{page}");

    let path = format!("/api/updates/{}", update["id"]);
    send(&app, with_json(Method::PATCH, &path, json!({"acknowledged": true}))).await;
    send(&app, with_json(Method::POST, "/api/tags", json!({"name": "web"}))).await;
    let page = scrape().await;
    assert_eq!(metric(&page, r#"diun_dashboard_pending_updates{host="nas"}"#), 0.0, "a handled host drops to 0");
    assert_eq!(metric(&page, "diun_dashboard_acknowledged_updates"), 1.0);
    assert_eq!(metric(&page, "diun_dashboard_tags"), 1.0);
}

/// One test, both backends in turn, so that nothing runs beside it.
#[actix_rt::test]
async fn metrics_follow_the_actions_on_every_backend() {
    #[cfg(feature = "sqlite")]
    metrics_follow_the_actions(common::sqlite_store()).await;
    #[cfg(feature = "postgres")]
    if let Some(store) = common::postgres_store() {
        metrics_follow_the_actions(store).await;
    }
}
