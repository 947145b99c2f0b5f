//! What every handler can reach.

use std::sync::Arc;
use std::time::Duration;

use diun_core::Store;

use crate::auth::{AccessControl, MetricsAccess};
use crate::events::EventHub;
use crate::links::DashboardLinks;
use crate::settings::Secret;
use crate::webhook_queue::WebhookQueue;

/// Shared, read-only state of the running server.
#[derive(Clone)]
pub struct AppState {
    /// Where updates and tags live.
    pub store: Arc<dyn Store>,
    /// Webhooks waiting for the commit that stores them.
    pub webhooks: Arc<WebhookQueue>,
    /// The value the webhook's `Authorization` header must carry; `None` leaves it open.
    pub webhook_secret: Option<Secret>,
    /// The path prefix under a reverse proxy: `""` or `"/diun"`.
    pub base_path: String,
    /// Who may use the UI and the API.
    pub access: Arc<AccessControl>,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// The store's changes, live, for `GET /api/events`.
    pub events: Arc<EventHub>,
    /// How long a request body may take to arrive before the answer is 408.
    pub body_timeout: Duration,
    /// How long a request may wait on the database before the answer is 503.
    pub store_deadline: Duration,
    /// The unfiltered summary, shared by every viewer until the data changes.
    pub summary_cache: Arc<crate::handlers::SummaryCache>,
    /// Links into the dashboard at its public address (`DIUN_DASHBOARD_PUBLIC_URL`),
    /// for the feed; without it the feed links to the address it was asked at.
    pub links: DashboardLinks,
}

impl AppState {
    /// How long a request body may take unless told otherwise.
    pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

    /// State for a store with no secret and no base path.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_event_heartbeat(store, EventHub::DEFAULT_HEARTBEAT)
    }

    /// Like [`AppState::new`], with live event clients getting a heartbeat every `heartbeat`.
    pub fn with_event_heartbeat(store: Arc<dyn Store>, heartbeat: Duration) -> Self {
        AppState {
            events: EventHub::start(&store, heartbeat),
            webhooks: WebhookQueue::start(Arc::clone(&store), diun_core::StoreOptions::default().connection_timeout),
            store,
            webhook_secret: None,
            base_path: String::new(),
            access: Arc::new(AccessControl::default()),
            metrics: MetricsAccess::Public,
            body_timeout: Self::DEFAULT_BODY_TIMEOUT,
            store_deadline: crate::limits::store_deadline(diun_core::StoreOptions::default().connection_timeout),
            summary_cache: Arc::default(),
            links: DashboardLinks::default(),
        }
    }
}
