//! Who may use the dashboard and its API. All off by default.
//!
//! When any method is configured, the UI, `/api/*` (and `/metrics` when it is
//! protected) need one of: HTTP Basic with a configured user, a user name in
//! a header set by a trusted reverse proxy, or an API token (Bearer). The
//! webhook (it has its own secret), `/healthz` and `/readyz` stay open.
//! `/feed.atom` also takes a feed token in its URL (`?token=`), for feed
//! readers that cannot send a header: a kind of token of its own, which
//! opens that one route (spelled exactly so) and nothing else.
//! Browser requests that change state are refused when they come from
//! another site, whether or not authentication is on.

mod csrf;
mod limiter;
mod password;
mod proxy;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, AUTHORIZATION};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

pub use limiter::FailureLimiter;
pub use password::{hash_password, PasswordHash};
pub use proxy::TrustedProxies;

use crate::error::ApiError;
use crate::paths;
use crate::settings::Secret;
use crate::state::AppState;

/// How long a verified password is remembered, so that the slow hash is not
/// recomputed for every request a browser makes with Basic credentials.
const VERIFIED_FOR: Duration = Duration::from_secs(300);

/// At most this many password checks run at once. Each argon2 check with the
/// default parameters takes 19 MiB and a core for tens of milliseconds; 120 at
/// once took the process to 1.36 GB. Beyond the cap a sign-in is answered 503
/// at once, with `Retry-After`.
pub const MAX_CONCURRENT_PASSWORD_CHECKS: usize = 4;

/// Who may see `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Anyone who can reach the server (the usual Prometheus set-up).
    Public,
    /// The same people as the API.
    Protected,
    /// Nobody: the route answers 404.
    Off,
}

/// The configured ways in, and the state that protects them.
#[derive(Debug)]
pub struct AccessControl {
    users: HashMap<String, PasswordHash>,
    tokens: Vec<Secret>,
    /// Tokens that open `GET /feed.atom` only, given in its query string.
    feed_tokens: Vec<Secret>,
    proxy_header: Option<HeaderName>,
    trusted_proxies: TrustedProxies,
    failures: FailureLimiter,
    verified: Mutex<HashMap<[u8; 32], Instant>>,
    /// Permits for password checks; see [`MAX_CONCURRENT_PASSWORD_CHECKS`].
    checking: Semaphore,
    /// Checked instead for a user name nobody has; see [`PasswordHash::decoy`].
    decoy: Option<PasswordHash>,
}

impl Default for AccessControl {
    fn default() -> Self {
        AccessControl::new(
            HashMap::new(),
            Vec::new(),
            None,
            TrustedProxies::default(),
            FailureLimiter::new(5, Duration::from_secs(300)),
        )
    }
}

/// Builds an [`AccessControl`] one way in at a time; made by
/// [`AccessControl::builder`].
///
/// ```
/// use diun_server::auth::{hash_password, AccessControl, PasswordHash, TrustedProxies};
/// use diun_server::Secret;
///
/// let hash = PasswordHash::parse(&hash_password("correct horse").unwrap()).unwrap();
/// let access = AccessControl::builder()
///     .user("admin", hash)
///     .token(Secret::new("a-long-random-api-token"))
///     .proxy_header("X-Forwarded-User".parse().unwrap(), TrustedProxies::parse("10.0.0.0/8").unwrap())
///     .build();
/// assert!(access.is_enabled());
/// assert!(!AccessControl::builder().build().is_enabled(), "no way in configured: open");
/// ```
#[derive(Debug, Default)]
pub struct AccessControlBuilder {
    users: HashMap<String, PasswordHash>,
    tokens: Vec<Secret>,
    proxy: Option<(HeaderName, TrustedProxies)>,
    failures: Option<FailureLimiter>,
}

impl AccessControlBuilder {
    /// Lets `name` in with HTTP Basic and the password `hash` was made from.
    pub fn user(mut self, name: impl Into<String>, hash: PasswordHash) -> Self {
        self.users.insert(name.into(), hash);
        self
    }

    /// Lets in requests carrying `Authorization: Bearer <token>`.
    pub fn token(mut self, token: Secret) -> Self {
        self.tokens.push(token);
        self
    }

    /// Lets in requests whose `header` names a user, when they come from one
    /// of `trusted` (a reverse proxy that signs people in).
    pub fn proxy_header(mut self, header: HeaderName, trusted: TrustedProxies) -> Self {
        self.proxy = Some((header, trusted));
        self
    }

    /// How many failed sign-ins an address may make, and in what window,
    /// before it must wait; 5 per 5 minutes unless told otherwise.
    pub fn failure_limit(mut self, limiter: FailureLimiter) -> Self {
        self.failures = Some(limiter);
        self
    }

    /// The access control; open to anyone when no way in was given.
    pub fn build(self) -> AccessControl {
        let (header, trusted) = self.proxy.map_or((None, TrustedProxies::default()), |(h, t)| (Some(h), t));
        let failures = self.failures.unwrap_or_else(|| FailureLimiter::new(5, Duration::from_secs(300)));
        AccessControl::new(self.users, self.tokens, header, trusted, failures)
    }
}

/// How a request proved who it is.
enum Credentials {
    Bearer(String),
    Basic {
        user: String,
        password: String,
    },
    /// An `Authorization` header of neither form: a failed attempt.
    Malformed,
    None,
}

impl AccessControl {
    /// A builder, with no way in configured yet.
    pub fn builder() -> AccessControlBuilder {
        AccessControlBuilder::default()
    }

    /// Access control with these users, tokens and proxy settings.
    pub fn new(
        users: HashMap<String, PasswordHash>,
        tokens: Vec<Secret>,
        proxy_header: Option<HeaderName>,
        trusted_proxies: TrustedProxies,
        failures: FailureLimiter,
    ) -> Self {
        // Mirrors one user's hash (the first by name, so the choice is stable).
        let decoy = users
            .iter()
            .min_by_key(|(name, _)| name.as_str())
            .and_then(|(_, hash)| hash.decoy().map_err(|err| log::error!("no decoy password hash: {err}")).ok());
        AccessControl {
            users,
            tokens,
            feed_tokens: Vec::new(),
            proxy_header,
            trusted_proxies,
            failures,
            verified: Mutex::new(HashMap::new()),
            checking: Semaphore::new(MAX_CONCURRENT_PASSWORD_CHECKS),
            decoy,
        }
    }

    /// Adds feed tokens: each opens `GET /feed.atom?token=…` and nothing else.
    /// They do not turn access control on by themselves: without a user, an
    /// API token or a proxy header everything, the feed included, is open.
    pub fn with_feed_tokens(mut self, tokens: Vec<Secret>) -> Self {
        self.feed_tokens = tokens;
        self
    }

    /// Whether any method is configured; without one everything is open.
    pub fn is_enabled(&self) -> bool {
        !self.users.is_empty() || !self.tokens.is_empty() || self.proxy_header.is_some()
    }

    /// Decides whether the request may reach a protected route.
    async fn admit(&self, req: &ServiceRequest) -> Result<(), ApiError> {
        let client = self.trusted_proxies.client_address(req).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        if let Some(header) = &self.proxy_header {
            if let Some(user) = req.headers().get(header).and_then(|v| v.to_str().ok()).filter(|u| !u.trim().is_empty())
            {
                let peer = req.peer_addr().map(|addr| addr.ip());
                if peer.is_some_and(|peer| self.trusted_proxies.contains(peer)) {
                    log::debug!("{} admitted by the {header} header of a trusted proxy", user.escape_debug());
                    return Ok(());
                }
                log::warn!("ignored the {header} header from {client}: not a trusted proxy");
            }
        }
        let credentials = credentials(req);
        if matches!(credentials, Credentials::None) {
            return Err(self.login_required("this dashboard needs you to sign in"));
        }
        // A valid token gets in even while the address is locked out: a token is
        // not a password that can be guessed, and a script sharing an address
        // (a NAT, a proxy) with someone who mistyped must not stop for minutes.
        if let Credentials::Bearer(token) = &credentials {
            if self.is_token(token) {
                return Ok(());
            }
        }
        // Counted before checking, so that simultaneous guesses cannot all slip under the limit.
        if let Err(wait) = self.failures.attempt(client) {
            return Err(ApiError::TooManyRequests { retry_after: wait.as_secs().max(1) });
        }
        let admitted = match credentials {
            // A valid token was let in above.
            Credentials::Bearer(_) => false,
            Credentials::Basic { user, password } => match self.check_password(user, password).await {
                Ok(matches) => matches,
                Err(busy) => {
                    self.failures.forgive(client);
                    return Err(busy);
                }
            },
            Credentials::Malformed | Credentials::None => false,
        };
        if admitted {
            self.failures.succeed(client);
            Ok(())
        } else {
            log::warn!("failed sign-in from {client}");
            Err(self.login_required("wrong user name, password or token"))
        }
    }

    /// Decides whether the request may read the feed: with a feed token in
    /// the query string, that token alone decides; without one, as for the API.
    async fn admit_feed(&self, req: &ServiceRequest) -> Result<(), ApiError> {
        let Some(token) = query_token(req) else { return self.admit(req).await };
        if self.feed_tokens.iter().any(|t| bool::from(t.expose().as_bytes().ct_eq(token.as_bytes()))) {
            return Ok(());
        }
        let client = self.trusted_proxies.client_address(req).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        // A wrong feed token is a failed sign-in like any other: guessing is rate-limited.
        if let Err(wait) = self.failures.attempt(client) {
            return Err(ApiError::TooManyRequests { retry_after: wait.as_secs().max(1) });
        }
        log::warn!("wrong feed token from {client}");
        Err(self.login_required("wrong feed token"))
    }

    /// Whether `token` is one of the API tokens, compared in constant time.
    fn is_token(&self, token: &str) -> bool {
        self.tokens.iter().any(|t| bool::from(t.expose().as_bytes().ct_eq(token.as_bytes())))
    }

    /// Whether the password is the user's; `Err` when too many checks already run.
    async fn check_password(&self, user: String, password: String) -> Result<bool, ApiError> {
        let key: [u8; 32] =
            Sha256::new().chain_update(&user).chain_update([0]).chain_update(&password).finalize().into();
        {
            let verified = self.verified.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if verified.get(&key).is_some_and(|at| at.elapsed() < VERIFIED_FOR) {
                return Ok(true);
            }
        }
        // Held until the check ends, even for the decoy.
        let Ok(_permit) = self.checking.try_acquire() else { return Err(ApiError::Busy { retry_after: 1 }) };
        let Some(hash) = self.users.get(&user).cloned() else {
            // As slow as a wrong password for a real user, so that timing does not reveal user names.
            if let Some(decoy) = self.decoy.clone() {
                let _ = web::block(move || decoy.verify(&password)).await;
            }
            return Ok(false);
        };
        let matches = web::block(move || hash.verify(&password)).await.unwrap_or(false);
        if matches {
            let mut verified = self.verified.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            verified.retain(|_, at| at.elapsed() < VERIFIED_FOR);
            verified.insert(key, Instant::now());
        }
        Ok(matches)
    }

    fn login_required(&self, message: &str) -> ApiError {
        ApiError::LoginRequired { message: message.to_owned(), basic: !self.users.is_empty() }
    }
}

fn credentials(req: &ServiceRequest) -> Credentials {
    let Some(value) = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return Credentials::None };
    if let Some(token) = value.strip_prefix("Bearer ") {
        return Credentials::Bearer(token.trim().to_owned());
    }
    let decoded = value
        .strip_prefix("Basic ")
        .and_then(|encoded| base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    match decoded.as_deref().and_then(|pair| pair.split_once(':')) {
        Some((user, password)) => Credentials::Basic { user: user.to_owned(), password: password.to_owned() },
        None => Credentials::Malformed,
    }
}

/// The `token` query parameter, when there is one (the last, if repeated).
fn query_token(req: &ServiceRequest) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(key, _)| key == "token")
        .map(|(_, value)| value.into_owned())
        .last()
}

/// Which routes need what.
enum Protection {
    Open,
    SignedIn,
    /// Signed in, or a feed token in the query string.
    Feed,
}

/// Open routes are recognised only as spelled in the route table (see
/// [`crate::paths`]); any other spelling of a path needs sign-in.
fn protection(path: &str, base_path: &str, metrics: MetricsAccess) -> Protection {
    match paths::below_base(path, base_path) {
        Some("/webhook" | "/healthz" | "/readyz") => Protection::Open,
        Some("/metrics") if metrics != MetricsAccess::Protected => Protection::Open,
        Some("/feed.atom") => Protection::Feed,
        _ => Protection::SignedIn,
    }
}

/// Middleware: cross-site checks, then sign-in for protected routes.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        // Without its state the guard cannot tell who may pass: nobody does.
        log::error!("the access guard has no application state; refusing {}", req.method());
        return Ok(refuse(req, ApiError::Internal));
    };
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // A browser cannot send an Authorization header cross-site without CORS, which this server never grants.
    let bearer = matches!(credentials(&req), Credentials::Bearer(_));
    // Every route but the webhook, however the path is spelled: the router
    // decodes `/%61pi/...` to `/api/...`, so guessing the route here from the
    // raw path would let such a request through.
    let webhook = paths::is_webhook(req.path(), &state.base_path);
    if changes_state && !webhook && !bearer && csrf::is_cross_site(&req) {
        return Ok(refuse(req, ApiError::Forbidden("a page on another site cannot change this dashboard".into())));
    }
    if state.access.is_enabled() {
        let admitted = match protection(req.path(), &state.base_path, state.metrics) {
            Protection::Open => Ok(()),
            Protection::SignedIn => state.access.admit(&req).await,
            // Only GET reads the feed: a feed token opens no other method either.
            Protection::Feed if req.method() == Method::GET || req.method() == Method::HEAD => {
                state.access.admit_feed(&req).await
            }
            Protection::Feed => state.access.admit(&req).await,
        };
        if let Err(err) = admitted {
            return Ok(refuse(req, err));
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

fn refuse<B>(req: ServiceRequest, err: ApiError) -> ServiceResponse<EitherBody<B>> {
    req.into_response(err.error_response()).map_into_right_body()
}
