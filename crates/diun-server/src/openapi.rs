//! The OpenAPI document of the HTTP API, generated from the handlers'
//! `#[utoipa::path]` annotations and the types' `ToSchema` derives.
//!
//! Served at `GET /api/openapi.json`, and shown by Swagger UI at `/api/docs/`.

use std::sync::OnceLock;

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{OpenApi as Document, Ref, Server};
use utoipa::{Modify, OpenApi, ToResponse};

use crate::error::ErrorBody;
use crate::handlers::{docs, health, images, mute_rules, snooze, tags, updates, webhook};
use crate::telemetry;

/// Every documented route, schema and reusable response.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Diun Dashboard",
        description = "Receives Diun's webhook notifications and serves them to triage. JSON everywhere; times \
                       are RFC 3339 in UTC. Every error answers with the `ErrorBody` JSON; a known path asked \
                       with a method it does not take answers 405 (`method_not_allowed`), and a fault of the \
                       server 500 (`internal`)."
    ),
    paths(
        webhook::receive,
        health::healthz,
        health::readyz,
        telemetry::scrape,
        health::info,
        docs::openapi_json,
        updates::list,
        updates::summary,
        updates::acknowledge,
        updates::unacknowledge,
        snooze::snooze,
        snooze::unsnooze,
        updates::get,
        updates::patch,
        updates::delete,
        updates::events,
        crate::events::stream,
        images::list,
        mute_rules::list,
        mute_rules::create,
        mute_rules::delete,
        tags::list,
        tags::create,
        tags::rename,
        tags::delete,
        tags::assign,
        tags::unassign,
        crate::feed::atom,
    ),
    components(
        schemas(ErrorBody),
        responses(BadRequest, Unauthorized, NotFound, Conflict, PayloadTooLarge, Unavailable, SignInRequired, CrossSite, TooManySignIns)
    ),
    modifiers(&WebhookSecret, &AccessControlDocs, &UniqueOperationIds),
    tags(
        (name = "webhook", description = "Where Diun sends its notifications"),
        (name = "updates", description = "One update per image and Diun host, and its history"),
        (name = "tags", description = "User-made groups of images"),
        (name = "mute rules", description = "Rules that keep matching notifications from ever becoming pending"),
        (name = "health", description = "Liveness, readiness, metrics and facts about this server"),
        (name = "docs", description = "This document"),
    )
)]
pub struct ApiDoc;

/// The document as served under `base_path` (`""` or `"/diun"`): its server
/// is the base path, so that clients and "Try it out" reach the routes
/// through the same proxy prefix.
pub fn document(base_path: &str) -> Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    let mut document = DOCUMENT.get_or_init(ApiDoc::openapi).clone();
    if !base_path.is_empty() {
        document.servers = Some(vec![Server::new(base_path)]);
    }
    document
}

/// The webhook's optional secret, as `Authorization: Bearer <secret>` (the bare secret works too).
struct WebhookSecret;

impl Modify for WebhookSecret {
    fn modify(&self, document: &mut Document) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("The webhook secret (DIUN_DASHBOARD_WEBHOOK_SECRET), when one is set."))
            .build();
        document
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("webhook_secret", SecurityScheme::Http(scheme));
    }
}

/// The optional access control of the UI and `/api/*` (see the README): each
/// such operation may need sign-in, may be refused from another site when it
/// changes state, and may be rate-limited after failed sign-ins.
struct AccessControlDocs;

impl Modify for AccessControlDocs {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        let basic = HttpBuilder::new()
            .scheme(HttpAuthScheme::Basic)
            .description(Some("A user of DIUN_DASHBOARD_AUTH_USERS, when users are configured."))
            .build();
        let token = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("A token of DIUN_DASHBOARD_API_TOKENS, when tokens are configured."))
            .build();
        components.add_security_scheme("basic", SecurityScheme::Http(basic));
        components.add_security_scheme("api_token", SecurityScheme::Http(token));
        let feed_token = ApiKey::Query(ApiKeyValue::with_description(
            "token",
            "A token of DIUN_DASHBOARD_FEED_TOKENS: it opens GET /feed.atom and no other route.",
        ));
        components.add_security_scheme("feed_token", SecurityScheme::ApiKey(feed_token));
        // No requirement at all is a valid choice too: access control is off by default.
        let requirements = vec![
            SecurityRequirement::default(),
            SecurityRequirement::new("basic", Vec::<String>::new()),
            SecurityRequirement::new("api_token", Vec::<String>::new()),
        ];
        let mut feed_requirements = requirements.clone();
        feed_requirements.push(SecurityRequirement::new("feed_token", Vec::<String>::new()));
        for (path, item) in document.paths.paths.iter_mut() {
            let feed = path == "/feed.atom";
            if !path.starts_with("/api/") && !feed {
                continue;
            }
            for (method, operation) in operations_mut(item) {
                operation.security = Some(if feed { feed_requirements.clone() } else { requirements.clone() });
                let responses = &mut operation.responses.responses;
                responses.insert("401".into(), Ref::from_response_name("SignInRequired").into());
                responses.insert("429".into(), Ref::from_response_name("TooManySignIns").into());
                if method != "get" {
                    responses.insert("403".into(), Ref::from_response_name("CrossSite").into());
                }
            }
        }
    }
}

/// Makes operation ids unique, as OpenAPI requires: a handler documented for
/// several methods (the webhook) gives each its method as a suffix.
struct UniqueOperationIds;

impl Modify for UniqueOperationIds {
    fn modify(&self, document: &mut Document) {
        let mut seen = std::collections::BTreeMap::<String, usize>::new();
        let ids = document.paths.paths.values().flat_map(operations).filter_map(|(_, op)| op.operation_id.clone());
        for id in ids {
            *seen.entry(id).or_default() += 1;
        }
        for item in document.paths.paths.values_mut() {
            for (method, operation) in operations_mut(item) {
                if let Some(id) = operation.operation_id.as_mut().filter(|id| seen[id.as_str()] > 1) {
                    *id = format!("{id}_{method}");
                }
            }
        }
    }
}

fn operations(item: &PathItem) -> impl Iterator<Item = (&'static str, &Operation)> {
    let methods = [("get", &item.get), ("put", &item.put), ("post", &item.post), ("delete", &item.delete)];
    let more = [("options", &item.options), ("head", &item.head), ("patch", &item.patch), ("trace", &item.trace)];
    methods.into_iter().chain(more).filter_map(|(method, op)| op.as_ref().map(|op| (method, op)))
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    let all = [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
        ("head", &mut item.head),
        ("patch", &mut item.patch),
        ("trace", &mut item.trace),
    ];
    all.into_iter().filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

/// The request is malformed. `error` says how (`invalid_json`, `missing_field`,
/// `invalid_field`, `field_too_long`, `invalid_query`, `invalid_request`,
/// `invalid_body`); `field` names the body field at fault, when one is.
// Only utoipa reads it: the type documents a response.
#[allow(dead_code)]
#[derive(ToResponse)]
pub struct BadRequest(pub ErrorBody<'static>);

/// The webhook secret is missing or wrong (`unauthorized`).
// Only utoipa reads it: the type documents a response.
#[allow(dead_code)]
#[derive(ToResponse)]
pub struct Unauthorized(pub ErrorBody<'static>);

/// Sign-in is configured and the request has no valid credentials (`unauthorized`);
/// with users configured, a `WWW-Authenticate: Basic` challenge comes along.
// Only utoipa reads it: the type documents a response.
#[allow(dead_code)]
#[derive(ToResponse)]
pub struct SignInRequired(pub ErrorBody<'static>);

/// A browser request from another site tried to change something (`forbidden`).
// Only utoipa reads it: the type documents a response.
#[allow(dead_code)]
#[derive(ToResponse)]
pub struct CrossSite(pub ErrorBody<'static>);

/// Too many failed sign-ins from this address (`too_many_requests`); `Retry-After` says when to retry.
// Only utoipa reads it: the type documents a response.
#[allow(dead_code)]
#[derive(ToResponse)]
pub struct TooManySignIns(pub ErrorBody<'static>);

/// The thing asked for does not exist (`not_found`).
// Only utoipa reads it: the type documents a response.
#[allow(dead_code)]
#[derive(ToResponse)]
pub struct NotFound(pub ErrorBody<'static>);

/// The change clashes with existing data, such as a tag name taken ignoring case (`conflict`).
// Only utoipa reads it: the type documents a response.
#[allow(dead_code)]
#[derive(ToResponse)]
pub struct Conflict(pub ErrorBody<'static>);

/// The body is larger than 64 KiB (`payload_too_large`).
// Only utoipa reads it: the type documents a response.
#[allow(dead_code)]
#[derive(ToResponse)]
pub struct PayloadTooLarge(pub ErrorBody<'static>);

/// The database cannot be reached; trying again later may work (`unavailable`).
// Only utoipa reads it: the type documents a response.
#[allow(dead_code)]
#[derive(ToResponse)]
pub struct Unavailable(pub ErrorBody<'static>);
