//! The dashboard inside another actix-web application.
//!
//! [`Dashboard::builder`] takes a [`Store`] and the few choices an embedding
//! program makes (where to mount, who may come in, what to do about
//! metrics); [`Dashboard::scope`] is an actix-web [`Scope`] with the webhook,
//! the API, the live events stream and (feature `ui`) the dashboard's pages,
//! to register on the host's [`App`](actix_web::App) beside its own routes.
//!
//! ```no_run
//! use std::sync::Arc;
//! use actix_web::{web, App, HttpServer};
//! use diun_server::{auth::AccessControl, Dashboard, MetricsRecorder, Secret};
//! # fn open_store() -> Arc<dyn diun_core::Store> { unimplemented!() }
//!
//! # async fn run() -> std::io::Result<()> {
//! let dashboard = Dashboard::builder(open_store())
//!     .base_path("/diun")
//!     .webhook_secret(Secret::new("a-long-random-webhook-secret"))
//!     .access(AccessControl::builder().token(Secret::new("a-long-random-api-token")).build())
//!     .metrics_recorder(MetricsRecorder::Host)
//!     .build()
//!     .expect("a valid configuration");
//! HttpServer::new(move || {
//!     App::new()
//!         .route("/", web::get().to(|| async { "the host's own page" }))
//!         .service(dashboard.scope())
//! })
//! .bind(("127.0.0.1", 8080))?
//! .run()
//! .await
//! # }
//! ```
//!
//! Everything under the base path answers as the `diun-dashboard` binary
//! does under the same base path: same routes, same errors, same access
//! control and security headers. Paths outside it are the host's. A host
//! that registers the dashboard inside a scope of its own says which with
//! [`DashboardBuilder::host_scope`] (see [`Dashboard`]).

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware;
use actix_web::web;
use actix_web::Scope;
use diun_core::Store;

use crate::auth::{AccessControl, MetricsAccess};
use crate::events::EventHub;
use crate::settings::Secret;
use crate::state::AppState;
use crate::{extractors, limits, routes, security_headers, telemetry};

/// What the dashboard does about the process's metrics recorder (the
/// [`metrics`](https://docs.rs/metrics) facade allows one per process).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricsRecorder {
    /// Installs a Prometheus recorder unless the process has one already,
    /// and serves it at `{base_path}/metrics`. When another recorder was
    /// installed first, the dashboard logs so and uses it; its own
    /// `/metrics` then shows only the gauges read from the database. Never
    /// panics. What the `diun-dashboard` binary does.
    #[default]
    Install,
    /// Installs nothing: the dashboard's counters and histograms
    /// (`diun_dashboard_*`) go to the recorder the host installed, and reach
    /// the host's own metrics endpoint; `{base_path}/metrics` answers 404.
    Host,
}

/// Why a [`DashboardBuilder`] refused its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The builder method at fault, such as `"base_path"`.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// The dashboard, ready to mount; cheap to clone (one per actix worker).
///
/// # Inside a scope of the host's own
///
/// The base path is always the full path from the root of the site, because
/// the dashboard writes it into what it sends: the page's `<base href>` (and
/// with it every asset, API and live events URL the page uses), the OpenAPI
/// document's server, the API docs' and the feed's links. A host that
/// registers the dashboard inside its own [`web::scope`] says which one with
/// [`DashboardBuilder::host_scope`]; [`Dashboard::scope`] is then the part
/// of the base path below it. The host's scope must be a fixed path (no
/// `{name}` segments), and its middleware runs around the dashboard's.
///
/// ```
/// use std::sync::Arc;
/// use actix_web::{test, web, App};
/// use diun_server::Dashboard;
/// # let store: Arc<dyn diun_core::Store> =
/// #     Arc::new(diun_store_tests::memory::MemoryStore::new(&Default::default()));
///
/// // Served at /tools/diun; registered inside the host's /tools scope.
/// let dashboard = Dashboard::builder(store).base_path("/tools/diun").host_scope("/tools").build().unwrap();
/// # actix_web::rt::System::new().block_on(async {
/// let app = test::init_service(
///     App::new().service(
///         web::scope("/tools")
///             .route("/clock", web::get().to(|| async { "the host's own tool" }))
///             .service(dashboard.scope()),
///     ),
/// )
/// .await;
/// let updates = test::TestRequest::get().uri("/tools/diun/api/updates").to_request();
/// assert_eq!(test::call_service(&app, updates).await.status(), 200);
/// let clock = test::TestRequest::get().uri("/tools/clock").to_request();
/// assert_eq!(test::call_and_read_body(&app, clock).await, "the host's own tool");
/// # });
/// ```
#[derive(Clone)]
pub struct Dashboard {
    state: AppState,
    /// The path [`Dashboard::scope`] answers at: the base path below the host's scope.
    scope_path: String,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard")
            .field("base_path", &self.state.base_path)
            .field("scope_path", &self.scope_path)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Dashboard`]; made by [`Dashboard::builder`].
pub struct DashboardBuilder {
    store: Arc<dyn Store>,
    base_path: String,
    host_scope: String,
    webhook_secret: Option<Secret>,
    access: AccessControl,
    metrics: MetricsAccess,
    recorder: MetricsRecorder,
    event_heartbeat: Duration,
    max_event_streams: usize,
}

impl std::fmt::Debug for DashboardBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardBuilder")
            .field("base_path", &self.base_path)
            .field("host_scope", &self.host_scope)
            .field("metrics", &self.metrics)
            .field("recorder", &self.recorder)
            .finish_non_exhaustive()
    }
}

impl Dashboard {
    /// A builder for a dashboard on `store`, mounted at `/diun`, open to
    /// anyone, with an open webhook and [`MetricsRecorder::Install`].
    pub fn builder(store: Arc<dyn Store>) -> DashboardBuilder {
        DashboardBuilder {
            store,
            base_path: "/diun".to_owned(),
            host_scope: String::new(),
            webhook_secret: None,
            access: AccessControl::default(),
            metrics: MetricsAccess::Public,
            recorder: MetricsRecorder::default(),
            event_heartbeat: EventHub::DEFAULT_HEARTBEAT,
            max_event_streams: EventHub::DEFAULT_MAX_STREAMS,
        }
    }

    /// The path everything is served under, such as `/diun`.
    pub fn base_path(&self) -> &str {
        &self.state.base_path
    }

    /// Every route of the dashboard under its base path, to register with
    /// `.service(..)` at the root of the host's [`App`](actix_web::App), or
    /// inside the host's scope named by [`DashboardBuilder::host_scope`]
    /// (anywhere else its links would lead astray).
    ///
    /// Register it before any host service whose path it would shadow; the
    /// scope answers every path under the base path (unknown ones with a
    /// JSON 404, or the dashboard's page with the `ui` feature).
    pub fn scope(
        &self,
    ) -> Scope<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    > {
        web::scope(&self.scope_path)
            .app_data(web::Data::new(self.state.clone()))
            .app_data(extractors::path_config())
            .app_data(extractors::query_config())
            // Innermost first, as in the binary's application (`crate::app`).
            .wrap(middleware::from_fn(extractors::require_object_bodies))
            .wrap(middleware::from_fn(limits::bound_body_time))
            .wrap(middleware::from_fn(crate::auth::guard))
            .wrap(middleware::from_fn(telemetry::time_requests))
            .wrap(middleware::from_fn(security_headers::add))
            .configure(routes::routes)
            .default_service(web::to(crate::fallback))
    }

    /// Registers [`Dashboard::scope`] on `cfg`, for
    /// [`App::configure`](actix_web::App::configure) or
    /// [`Scope::configure`] (the scope named by [`DashboardBuilder::host_scope`]).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.service(self.scope());
    }

    /// Ends every open live events stream, for a prompt shutdown of the host
    /// (a server waits for open responses before it stops).
    pub fn close_event_streams(&self) {
        self.state.events.close();
    }
}

impl DashboardBuilder {
    /// The path prefix to serve under, from the root of the host's site:
    /// `/diun` or `/apps/diun`, also when the dashboard is registered inside
    /// a scope of the host's (see [`DashboardBuilder::host_scope`]). Must not
    /// be empty: the dashboard would answer every path.
    pub fn base_path(mut self, path: impl Into<String>) -> Self {
        self.base_path = path.into();
        self
    }

    /// The path of the host's own [`web::scope`] that [`Dashboard::scope`]
    /// will be registered in, such as `/tools` for a base path of
    /// `/tools/diun`; the default, `""`, is the root of the host's
    /// [`App`](actix_web::App). The base path must lie below it, with at
    /// least one segment of its own.
    pub fn host_scope(mut self, path: impl Into<String>) -> Self {
        self.host_scope = path.into();
        self
    }

    /// The value the webhook's `Authorization` header must carry; without
    /// one, anyone who can reach the webhook can post notifications.
    pub fn webhook_secret(mut self, secret: Secret) -> Self {
        self.webhook_secret = Some(secret);
        self
    }

    /// Who may use the API and the pages (the webhook, `healthz` and
    /// `readyz` stay open); see [`AccessControl::builder`].
    pub fn access(mut self, access: AccessControl) -> Self {
        self.access = access;
        self
    }

    /// Who may read `{base_path}/metrics`.
    pub fn metrics_access(mut self, metrics: MetricsAccess) -> Self {
        self.metrics = metrics;
        self
    }

    /// What to do about the process's metrics recorder.
    pub fn metrics_recorder(mut self, recorder: MetricsRecorder) -> Self {
        self.recorder = recorder;
        self
    }

    /// How often live events clients get a heartbeat comment.
    pub fn event_heartbeat(mut self, every: Duration) -> Self {
        self.event_heartbeat = every;
        self
    }

    /// The most live events streams open at once; beyond it the answer is 503.
    pub fn max_event_streams(mut self, max: usize) -> Self {
        self.max_event_streams = max;
        self
    }

    /// The dashboard, after checking the configuration. Starts the thread
    /// that forwards the store's change feed to live events clients (it ends
    /// when the dashboard and its clones are dropped).
    pub fn build(self) -> Result<Dashboard, ConfigError> {
        let base_path = crate::settings::normalise_base_path(&self.base_path).map_err(|_| ConfigError {
            field: "base_path",
            reason: format!("{:?} is not a path such as /diun", self.base_path),
        })?;
        if base_path.is_empty() {
            return Err(ConfigError {
                field: "base_path",
                reason: "an embedded dashboard needs a path of its own, such as /diun".into(),
            });
        }
        let host_scope = crate::settings::normalise_base_path(&self.host_scope).map_err(|_| ConfigError {
            field: "host_scope",
            reason: format!("{:?} is not a path such as /tools", self.host_scope),
        })?;
        let scope_path = match crate::paths::below_base(&base_path, &host_scope) {
            Some(below) if !below.is_empty() => below.to_owned(),
            _ => {
                return Err(ConfigError {
                    field: "host_scope",
                    reason: format!("the base path {base_path} is not below the host's scope {host_scope:?}"),
                })
            }
        };
        let metrics = match self.recorder {
            MetricsRecorder::Install => {
                telemetry::install_recorder();
                self.metrics
            }
            MetricsRecorder::Host => {
                telemetry::describe();
                MetricsAccess::Off
            }
        };
        let mut state = AppState::with_event_heartbeat(self.store, self.event_heartbeat);
        state.base_path = base_path;
        state.webhook_secret = self.webhook_secret;
        state.access = Arc::new(self.access);
        state.metrics = metrics;
        state.events.set_max_streams(self.max_event_streams);
        Ok(Dashboard { state, scope_path })
    }
}
