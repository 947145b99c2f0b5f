//! Configuration: defaults, then an optional TOML file, then `DIUN_DASHBOARD_*` variables.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use actix_web::http::header::HeaderName;
use config::{Config, ConfigError, Environment, File, FileFormat};
use diun_core::StoreOptions;
use serde::Deserialize;

use crate::auth::{AccessControl, FailureLimiter, MetricsAccess, PasswordHash, TrustedProxies};
use crate::links::DashboardLinks;
use crate::reminders::{Reminders, RetryPolicy, Schedule, Target};

/// The prefix of every environment variable the server reads.
pub const ENV_PREFIX: &str = "DIUN_DASHBOARD";

/// Everything the server can be told, after defaults, file and environment.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `DIUN_DASHBOARD_LISTEN`: the address and port to listen on.
    pub listen: String,
    /// `DIUN_DASHBOARD_DATABASE_URL`: `sqlite://PATH`, a file path, or `postgres://…`;
    /// a secret, since a PostgreSQL URL may carry the password.
    pub database_url: Secret,
    /// `DIUN_DASHBOARD_WEBHOOK_SECRET`: what the webhook's `Authorization` header must carry.
    pub webhook_secret: Option<Secret>,
    /// `DIUN_DASHBOARD_HISTORY_LIMIT`: notifications kept per update.
    pub history_limit: u32,
    /// `DIUN_DASHBOARD_BASE_PATH`: the path prefix when served behind a proxy under a sub-path.
    pub base_path: String,
    /// `DIUN_DASHBOARD_POOL_SIZE`: the most database connections.
    pub pool_size: u32,
    /// `DIUN_DASHBOARD_POOL_TIMEOUT_SECONDS`: how long a request waits for a connection.
    pub pool_timeout_seconds: u64,
    /// `DIUN_DASHBOARD_SHUTDOWN_TIMEOUT_SECONDS`: how long in-flight requests may finish on SIGTERM.
    pub shutdown_timeout_seconds: u64,
    /// `DIUN_DASHBOARD_AUTH_USERS`: `name=HASH` pairs separated by `;`, for HTTP Basic.
    pub auth_users: Option<Secret>,
    /// `DIUN_DASHBOARD_API_TOKENS`: Bearer tokens for scripts, separated by `,`.
    pub api_tokens: Option<Secret>,
    /// `DIUN_DASHBOARD_AUTH_PROXY_HEADER`: a header carrying the user name set by a reverse proxy.
    pub auth_proxy_header: Option<String>,
    /// `DIUN_DASHBOARD_TRUSTED_PROXIES`: addresses or CIDR ranges of the proxies to believe.
    pub trusted_proxies: String,
    /// `DIUN_DASHBOARD_AUTH_FAILURE_LIMIT`: failed sign-ins allowed per address and window.
    pub auth_failure_limit: u32,
    /// `DIUN_DASHBOARD_AUTH_FAILURE_WINDOW_SECONDS`: the window of that limit.
    pub auth_failure_window_seconds: u64,
    /// `DIUN_DASHBOARD_METRICS`: `public`, `protected` (like the API) or `off`.
    pub metrics: String,
    /// `DIUN_DASHBOARD_RETENTION_DAYS`: remove updates acknowledged longer ago than this; 0 keeps them.
    pub retention_days: u32,
    /// `DIUN_DASHBOARD_RETENTION_INTERVAL_MINUTES`: how often retention runs.
    pub retention_interval_minutes: u64,
    /// `DIUN_DASHBOARD_BODY_TIMEOUT_SECONDS`: how long a request body may take to arrive (408 beyond).
    pub body_timeout_seconds: u64,
    /// `DIUN_DASHBOARD_MAX_CONNECTIONS`: the most client connections open at once.
    pub max_connections: usize,
    /// `DIUN_DASHBOARD_SSE_MAX_STREAMS`: the most `GET /api/events` streams open at once (503 beyond).
    pub sse_max_streams: usize,
    /// `DIUN_DASHBOARD_SSE_HEARTBEAT_SECONDS` (undocumented, for tests): the
    /// interval of heartbeat comments on `GET /api/events`.
    pub sse_heartbeat_seconds: u64,
    /// `DIUN_DASHBOARD_PUBLIC_URL`: the dashboard's address as its users open
    /// it (base path included), for links in reminders and the feed.
    pub public_url: Option<String>,
    /// `DIUN_DASHBOARD_FEED_TOKENS`: tokens, separated by `,`, that open
    /// `GET /feed.atom?token=…` and nothing else.
    pub feed_tokens: Option<Secret>,
    /// `DIUN_DASHBOARD_REMINDER_SCHEDULE`: `off`, `daily HH:MM` or `weekly DAY HH:MM`.
    pub reminder_schedule: String,
    /// `DIUN_DASHBOARD_REMINDER_TIMEZONE`: the IANA zone of the schedule's time.
    pub reminder_timezone: String,
    /// `DIUN_DASHBOARD_REMINDER_AFTER_DAYS`: remind of updates pending for longer than this.
    pub reminder_after_days: u32,
    /// `DIUN_DASHBOARD_REMINDER_TARGETS`: target URLs, separated by spaces or
    /// new lines (a list in the file); secrets, since they carry tokens.
    pub reminder_targets: Option<SecretList>,
    /// `DIUN_DASHBOARD_REMINDER_ATTEMPTS`: tries per target and reminder, the first included.
    pub reminder_attempts: u32,
    /// `DIUN_DASHBOARD_REMINDER_RETRY_SECONDS`: the wait before the second
    /// try; it doubles for each later one.
    pub reminder_retry_seconds: u64,
}

/// Secrets given as one string (split on white space) or, in the file, as a list.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum SecretList {
    /// One string of white-space separated values (an environment variable).
    Joined(Secret),
    /// A list (the configuration file).
    List(Vec<Secret>),
}

impl SecretList {
    /// The values, trimmed, empty ones left out.
    pub fn values(&self) -> Vec<&str> {
        match self {
            SecretList::Joined(joined) => joined.expose().split_whitespace().collect(),
            SecretList::List(list) => list.iter().map(|s| s.expose().trim()).filter(|s| !s.is_empty()).collect(),
        }
    }
}

impl fmt::Debug for SecretList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretList({} values, hidden)", self.values().len())
    }
}

/// A value that must never be printed: `Debug` and `Display` hide it.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for comparison only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A setting that cannot be used; the message names it.
#[derive(Debug, PartialEq, Eq)]
pub struct SettingsError(pub String);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

/// The environment variable that sets `key`.
pub fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}_{}", key.to_uppercase())
}

impl Settings {
    /// Loads the settings: defaults, then `file` if given, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load_from(file, Environment::with_prefix(ENV_PREFIX))
    }

    /// Like [`Settings::load`], with the environment given as pairs; for tests.
    pub fn load_with_env(file: Option<&Path>, vars: &[(&str, &str)]) -> Result<Self, SettingsError> {
        let source = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Self::load_from(file, Environment::with_prefix(ENV_PREFIX).source(Some(source)))
    }

    fn load_from(file: Option<&Path>, environment: Environment) -> Result<Self, SettingsError> {
        let mut builder = Config::builder()
            .set_default("listen", "0.0.0.0:8080")
            .and_then(|b| b.set_default("database_url", "sqlite://./data/diun-dashboard.db"))
            .and_then(|b| b.set_default("history_limit", 100))
            .and_then(|b| b.set_default("base_path", ""))
            .and_then(|b| b.set_default("pool_size", 8))
            .and_then(|b| b.set_default("pool_timeout_seconds", 5))
            .and_then(|b| b.set_default("shutdown_timeout_seconds", 30))
            .and_then(|b| b.set_default("sse_heartbeat_seconds", 15))
            .and_then(|b| b.set_default("body_timeout_seconds", 10))
            .and_then(|b| b.set_default("max_connections", 1024))
            .and_then(|b| b.set_default("sse_max_streams", 256))
            .and_then(|b| b.set_default("trusted_proxies", ""))
            .and_then(|b| b.set_default("auth_failure_limit", 5))
            .and_then(|b| b.set_default("auth_failure_window_seconds", 300))
            .and_then(|b| b.set_default("metrics", "public"))
            .and_then(|b| b.set_default("retention_days", 0))
            .and_then(|b| b.set_default("retention_interval_minutes", 60))
            .and_then(|b| b.set_default("reminder_schedule", "off"))
            .and_then(|b| b.set_default("reminder_timezone", "UTC"))
            .and_then(|b| b.set_default("reminder_after_days", 3))
            .and_then(|b| b.set_default("reminder_attempts", 4))
            .and_then(|b| b.set_default("reminder_retry_seconds", 30))
            .map_err(describe)?;
        if let Some(path) = file {
            if !path.is_file() {
                return Err(SettingsError(format!("the configuration file {} does not exist", path.display())));
            }
            builder = builder.add_source(File::from(path).format(FileFormat::Toml));
        }
        let settings: Settings =
            builder.add_source(environment).build().and_then(Config::try_deserialize).map_err(describe)?;
        settings.validate()
    }

    fn validate(mut self) -> Result<Self, SettingsError> {
        self.listen_address()?;
        if self.history_limit == 0 {
            return Err(invalid("history_limit", "must be at least 1"));
        }
        if self.pool_size == 0 {
            return Err(invalid("pool_size", "must be at least 1"));
        }
        if self.body_timeout_seconds == 0 {
            return Err(invalid("body_timeout_seconds", "must be at least 1"));
        }
        if self.max_connections == 0 {
            return Err(invalid("max_connections", "must be at least 1"));
        }
        if self.sse_max_streams == 0 {
            return Err(invalid("sse_max_streams", "must be at least 1"));
        }
        if self.sse_heartbeat_seconds == 0 {
            return Err(invalid("sse_heartbeat_seconds", "must be at least 1"));
        }
        if self.webhook_secret.as_ref().is_some_and(|s| s.expose().trim().is_empty()) {
            self.webhook_secret = None;
        }
        self.base_path = normalise_base_path(&self.base_path)?;
        self.metrics_access()?;
        self.access_control()?;
        if self.retention_interval_minutes == 0 {
            return Err(invalid("retention_interval_minutes", "must be at least 1"));
        }
        self.public_url = self.public_url.as_deref().map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned);
        if let Some(public_url) = &self.public_url {
            let parsed = url::Url::parse(public_url);
            if !parsed.is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some()) {
                return Err(invalid(
                    "public_url",
                    "must be an http:// or https:// address such as https://diun.example.com",
                ));
            }
        }
        self.reminders()?;
        Ok(self)
    }

    /// Who may read `/metrics`.
    pub fn metrics_access(&self) -> Result<MetricsAccess, SettingsError> {
        match self.metrics.trim() {
            "public" => Ok(MetricsAccess::Public),
            "protected" => Ok(MetricsAccess::Protected),
            "off" => Ok(MetricsAccess::Off),
            other => Err(invalid("metrics", &format!("must be public, protected or off, not {other:?}"))),
        }
    }

    /// The configured ways to sign in.
    pub fn access_control(&self) -> Result<AccessControl, SettingsError> {
        let mut users = HashMap::new();
        let pairs = self.auth_users.as_ref().map(|s| s.expose()).unwrap_or_default();
        for pair in pairs.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, hash) = pair
                .split_once('=')
                .ok_or_else(|| invalid("auth_users", "each entry must be NAME=HASH, separated by ';'"))?;
            let hash =
                PasswordHash::parse(hash).map_err(|err| invalid("auth_users", &format!("user {name:?}: {err}")))?;
            users.insert(name.trim().to_owned(), hash);
        }
        let tokens = self
            .api_tokens
            .as_ref()
            .map(|s| s.expose().split(',').map(str::trim).filter(|t| !t.is_empty()).map(Secret::new).collect())
            .unwrap_or_default();
        let proxy_header = match self.auth_proxy_header.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
            None => None,
            Some(name) => Some(
                HeaderName::try_from(name)
                    .map_err(|_| invalid("auth_proxy_header", &format!("{name:?} is not a header name")))?,
            ),
        };
        let trusted = TrustedProxies::parse(&self.trusted_proxies).map_err(|err| invalid("trusted_proxies", &err))?;
        if proxy_header.is_some() && self.trusted_proxies.trim().is_empty() {
            return Err(invalid(
                "trusted_proxies",
                "must list the proxy addresses when DIUN_DASHBOARD_AUTH_PROXY_HEADER is set",
            ));
        }
        let failures =
            FailureLimiter::new(self.auth_failure_limit, Duration::from_secs(self.auth_failure_window_seconds.max(1)));
        Ok(AccessControl::new(users, tokens, proxy_header, trusted, failures))
    }

    /// The reminder settings, checked: schedule, zone, targets, retries.
    pub fn reminders(&self) -> Result<Reminders, SettingsError> {
        let schedule = match self.reminder_schedule.trim() {
            "" | "off" => None,
            text => Some(Schedule::parse(text, &self.reminder_timezone).map_err(|err| {
                let key = if err.contains("IANA") { "reminder_timezone" } else { "reminder_schedule" };
                invalid(key, &err)
            })?),
        };
        let targets = self
            .reminder_targets
            .as_ref()
            .map(SecretList::values)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(n, text)| {
                Target::parse(text).map_err(|err| invalid("reminder_targets", &format!("target {}: {err}", n + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if self.reminder_attempts == 0 {
            return Err(invalid("reminder_attempts", "must be at least 1"));
        }
        Ok(Reminders {
            schedule,
            after_days: self.reminder_after_days,
            targets,
            links: self.dashboard_links(),
            retry: RetryPolicy {
                attempts: self.reminder_attempts,
                first_backoff: Duration::from_secs(self.reminder_retry_seconds),
            },
        })
    }

    /// Links into the dashboard at its public address.
    pub fn dashboard_links(&self) -> DashboardLinks {
        DashboardLinks::new(self.public_url.clone())
    }

    /// The feed tokens, each of which opens `GET /feed.atom` only.
    pub fn feed_token_list(&self) -> Vec<Secret> {
        self.feed_tokens
            .as_ref()
            .map(|s| s.expose().split(',').map(str::trim).filter(|t| !t.is_empty()).map(Secret::new).collect())
            .unwrap_or_default()
    }

    /// The parsed `listen` address.
    pub fn listen_address(&self) -> Result<SocketAddr, SettingsError> {
        self.listen.parse().map_err(|_| {
            invalid("listen", &format!("{:?} is not an address and port such as 0.0.0.0:8080", self.listen))
        })
    }

    /// The options handed to the store.
    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            history_limit: self.history_limit,
            pool_size: self.pool_size,
            connection_timeout: Duration::from_secs(self.pool_timeout_seconds.max(1)),
        }
    }

    /// How long a request body may take to arrive.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_seconds)
    }

    /// How long a request may wait on the database before it is answered 503.
    pub fn store_deadline(&self) -> Duration {
        crate::limits::store_deadline(self.store_options().connection_timeout)
    }

    /// The interval of heartbeat comments on `GET /api/events`.
    pub fn sse_heartbeat(&self) -> Duration {
        Duration::from_secs(self.sse_heartbeat_seconds)
    }
}

/// `""`, `"/"` → `""`; `"diun/"` → `"/diun"`. Refuses characters that have no place in a path prefix.
pub(crate) fn normalise_base_path(raw: &str) -> Result<String, SettingsError> {
    let trimmed = raw.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/".contains(c);
    if !trimmed.chars().all(allowed) || trimmed.contains("//") {
        return Err(invalid("base_path", &format!("{raw:?} is not a path prefix such as /diun")));
    }
    Ok(format!("/{trimmed}"))
}

fn invalid(key: &str, reason: &str) -> SettingsError {
    SettingsError(format!("{}: {reason}", env_name(key)))
}

/// Names the setting at fault, as its environment variable, when `config` says which.
fn describe(err: ConfigError) -> SettingsError {
    match &err {
        ConfigError::Type { key: Some(key), .. } => SettingsError(format!("{}: {err}", env_name(key))),
        _ => SettingsError(format!("invalid configuration: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_without_file_or_environment() {
        let s = Settings::load_with_env(None, &[]).unwrap();
        assert_eq!(s.listen, "0.0.0.0:8080");
        assert_eq!(s.database_url.expose(), "sqlite://./data/diun-dashboard.db");
        assert_eq!((s.history_limit, s.webhook_secret.is_none(), s.base_path.as_str()), (100, true, ""));
    }

    #[test]
    fn environment_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nhistory_limit = 7\nwebhook_secret = \"file\"\n").unwrap();
        let s = Settings::load_with_env(Some(&file), &[("DIUN_DASHBOARD_HISTORY_LIMIT", "9")]).unwrap();
        assert_eq!((s.listen.as_str(), s.history_limit), ("127.0.0.1:9000", 9));
        assert_eq!(s.webhook_secret.unwrap().expose(), "file");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = Settings::load_with_env(None, &[("DIUN_DASHBOARD_LISTEN", "nowhere")]).unwrap_err();
        assert!(err.0.starts_with("DIUN_DASHBOARD_LISTEN:"), "{err}");
        let err = Settings::load_with_env(None, &[("DIUN_DASHBOARD_HISTORY_LIMIT", "many")]).unwrap_err();
        assert!(err.0.starts_with("DIUN_DASHBOARD_HISTORY_LIMIT:"), "{err}");
        let err = Settings::load_with_env(None, &[("DIUN_DASHBOARD_BASE_PATH", "/a b")]).unwrap_err();
        assert!(err.0.starts_with("DIUN_DASHBOARD_BASE_PATH:"), "{err}");
        let err = Settings::load_with_env(Some(Path::new("/nonexistent/x.toml")), &[]).unwrap_err();
        assert!(err.0.contains("/nonexistent/x.toml"), "{err}");
    }

    #[test]
    fn base_path_is_normalised() {
        assert_eq!(normalise_base_path("/").unwrap(), "");
        assert_eq!(normalise_base_path("diun/").unwrap(), "/diun");
        assert_eq!(normalise_base_path("/apps/diun").unwrap(), "/apps/diun");
    }

    #[test]
    fn secrets_never_print() {
        let s = Settings::load_with_env(
            None,
            &[
                ("DIUN_DASHBOARD_WEBHOOK_SECRET", "hunter2"),
                ("DIUN_DASHBOARD_DATABASE_URL", "postgres://diun:pg-password-42@db/diun"),
            ],
        )
        .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2") && !printed.contains("pg-password-42"), "{printed}");
        assert_eq!(s.database_url.expose(), "postgres://diun:pg-password-42@db/diun");
    }

    #[test]
    fn reminder_targets_come_from_one_variable_or_a_list_in_the_file() {
        let s = Settings::load_with_env(
            None,
            &[
                ("DIUN_DASHBOARD_REMINDER_SCHEDULE", "weekly fri 17:00"),
                ("DIUN_DASHBOARD_REMINDER_TIMEZONE", "Europe/Paris"),
                ("DIUN_DASHBOARD_REMINDER_TARGETS", "ntfy+https://ntfy.sh/t?token=tk_1\n  slack+https://h.example/x"),
            ],
        )
        .unwrap();
        let reminders = s.reminders().unwrap();
        assert_eq!(reminders.schedule.unwrap().to_string(), "weekly Fri 17:00 Europe/Paris");
        let kinds: Vec<&str> = reminders.targets.iter().map(|t| t.kind()).collect();
        assert_eq!(kinds, vec!["ntfy", "slack"]);
        assert!(!format!("{s:?}").contains("tk_1"), "targets carry tokens and never print");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "reminder_schedule = \"daily 08:00\"\nreminder_targets = [\"webhook+http://10.0.0.2/h\", \"smtps://mail.example?from=a@example.com&to=b@example.com\"]\n",
        )
        .unwrap();
        let reminders = Settings::load_with_env(Some(&file), &[]).unwrap().reminders().unwrap();
        let kinds: Vec<&str> = reminders.targets.iter().map(|t| t.kind()).collect();
        assert_eq!(kinds, vec!["webhook", "email"]);
        assert_eq!(reminders.after_days, 3);
        assert_eq!(reminders.retry, RetryPolicy { attempts: 4, first_backoff: Duration::from_secs(30) });
    }

    #[test]
    fn bad_reminder_settings_name_their_variable() {
        let err = |vars: &[(&str, &str)]| Settings::load_with_env(None, vars).unwrap_err().0;
        assert!(err(&[("DIUN_DASHBOARD_REMINDER_SCHEDULE", "hourly")]).starts_with("DIUN_DASHBOARD_REMINDER_SCHEDULE:"));
        let zone =
            err(&[("DIUN_DASHBOARD_REMINDER_SCHEDULE", "daily 09:00"), ("DIUN_DASHBOARD_REMINDER_TIMEZONE", "Paris")]);
        assert!(zone.starts_with("DIUN_DASHBOARD_REMINDER_TIMEZONE:"), "{zone}");
        let target =
            err(&[("DIUN_DASHBOARD_REMINDER_TARGETS", "webhook+https://ok.example/h gotify+https://g.example")]);
        assert!(target.starts_with("DIUN_DASHBOARD_REMINDER_TARGETS: target 2:"), "{target}");
        assert!(err(&[("DIUN_DASHBOARD_REMINDER_ATTEMPTS", "0")]).starts_with("DIUN_DASHBOARD_REMINDER_ATTEMPTS:"));
        assert!(err(&[("DIUN_DASHBOARD_PUBLIC_URL", "diun.example")]).starts_with("DIUN_DASHBOARD_PUBLIC_URL:"));
        let s = Settings::load_with_env(None, &[("DIUN_DASHBOARD_FEED_TOKENS", " a1, ,b2 ")]).unwrap();
        assert_eq!(s.feed_token_list().len(), 2);
    }
}
