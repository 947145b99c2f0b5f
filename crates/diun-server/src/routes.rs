//! The route table: every path the server answers, in one place.

use actix_web::http::Method;
use actix_web::middleware;
use actix_web::{web, FromRequest, Handler, Responder, Route};

use crate::events;
use crate::feed;
use crate::handlers::{self, docs, health, images, mute_rules, snooze, tags, updates, webhook};
use crate::limits;
use crate::telemetry;

/// Every route, relative to the base path.
fn table() -> RouteTable {
    RouteTable::default()
        // Diun's webhook notifier sends GET unless told otherwise.
        .add(Method::POST, "/webhook", webhook::receive)
        .add(Method::GET, "/webhook", webhook::receive)
        .add(Method::GET, "/healthz", health::healthz)
        .add(Method::GET, "/readyz", health::readyz)
        .add(Method::GET, "/metrics", telemetry::scrape)
        .add(Method::GET, "/api/info", health::info)
        .add(Method::GET, "/api/openapi.json", docs::openapi_json)
        .add(Method::GET, "/api/docs", docs::docs_redirect)
        .add(Method::GET, DOCS_FILES, docs::docs_file)
        .add(Method::GET, "/api/updates", updates::list)
        // Before `/api/updates/{id}`, which would otherwise take these names as ids.
        .add(Method::GET, "/api/updates/summary", updates::summary)
        .add(Method::POST, "/api/updates/acknowledge", updates::acknowledge)
        .add(Method::POST, "/api/updates/unacknowledge", updates::unacknowledge)
        .add(Method::POST, "/api/updates/snooze", snooze::snooze)
        .add(Method::POST, "/api/updates/unsnooze", snooze::unsnooze)
        .add(Method::GET, "/api/updates/{id}", updates::get)
        .add(Method::PATCH, "/api/updates/{id}", updates::patch)
        .add(Method::DELETE, "/api/updates/{id}", updates::delete)
        .add(Method::GET, "/api/updates/{id}/events", updates::events)
        .add(Method::GET, "/api/events", events::stream)
        .add(Method::GET, "/api/images", images::list)
        .add(Method::GET, "/api/mute-rules", mute_rules::list)
        .add(Method::POST, "/api/mute-rules", mute_rules::create)
        .add(Method::DELETE, "/api/mute-rules/{id}", mute_rules::delete)
        .add(Method::GET, "/api/tags", tags::list)
        .add(Method::POST, "/api/tags", tags::create)
        .add(Method::PATCH, "/api/tags/{id}", tags::rename)
        .add(Method::DELETE, "/api/tags/{id}", tags::delete)
        .add(Method::PUT, "/api/tag-assignments", tags::assign)
        .add(Method::DELETE, "/api/tag-assignments", tags::unassign)
        .add(Method::GET, "/feed.atom", feed::atom)
}

/// Swagger UI's files (the page is `/api/docs/`); the one route the OpenAPI document leaves out, with `/api/docs`.
pub const DOCS_FILES: &str = "/api/docs/{file:.*}";

/// Registers every route, relative to the base path.
pub fn routes(cfg: &mut web::ServiceConfig) {
    table().register(cfg);
}

/// Every `(method, path)` that [`routes`] registers, in order; paths are
/// templates such as `/api/updates/{id}`, relative to the base path.
pub fn route_list() -> Vec<(Method, String)> {
    table().list()
}

/// Routes grouped by path in the order first added: each path becomes one
/// resource, which answers a method it lacks with a JSON 405.
#[derive(Default)]
struct RouteTable {
    resources: Vec<(&'static str, Vec<(Method, Route)>)>,
}

impl RouteTable {
    /// Adds `handler` for `method` on `path`.
    fn add<F, Args>(mut self, method: Method, path: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let route = web::method(method.clone()).to(handler);
        match self.resources.iter_mut().find(|(known, _)| *known == path) {
            Some((_, routes)) => routes.push((method, route)),
            None => self.resources.push((path, vec![(method, route)])),
        }
        self
    }

    fn list(&self) -> Vec<(Method, String)> {
        let routes = self.resources.iter().flat_map(|(path, routes)| routes.iter().map(move |(m, _)| (m, path)));
        routes.map(|(method, path)| (method.clone(), (*path).to_owned())).collect()
    }

    fn register(self, cfg: &mut web::ServiceConfig) {
        for (path, routes) in self.resources {
            let resource = web::resource(path).default_service(web::to(handlers::method_not_allowed));
            let resource = routes.into_iter().fold(resource, |resource, (_, route)| resource.route(route));
            // A route waiting on a database that stopped answering answers 503 in time.
            cfg.service(resource.wrap(middleware::from_fn(limits::bound_answer_time)));
        }
    }
}
