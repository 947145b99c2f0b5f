//! Configuration: defaults, then an optional TOML file, then `DIUN_DASHBOARD_*` variables.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use config::{Config, ConfigError, Environment, File, FileFormat};
use diun_core::StoreOptions;
use serde::Deserialize;

/// The prefix of every environment variable the server reads.
pub const ENV_PREFIX: &str = "DIUN_DASHBOARD";

/// Everything the server can be told, after defaults, file and environment.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `DIUN_DASHBOARD_LISTEN`: the address and port to listen on.
    pub listen: String,
    /// `DIUN_DASHBOARD_DATABASE_URL`: `sqlite://PATH`, a file path, or `postgres://…`.
    pub database_url: String,
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
        if self.webhook_secret.as_ref().is_some_and(|s| s.expose().trim().is_empty()) {
            self.webhook_secret = None;
        }
        self.base_path = normalise_base_path(&self.base_path)?;
        Ok(self)
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
}

/// `""`, `"/"` → `""`; `"diun/"` → `"/diun"`. Refuses characters that have no place in a path prefix.
fn normalise_base_path(raw: &str) -> Result<String, SettingsError> {
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
        assert_eq!(s.database_url, "sqlite://./data/diun-dashboard.db");
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
        let s = Settings::load_with_env(None, &[("DIUN_DASHBOARD_WEBHOOK_SECRET", "hunter2")]).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
