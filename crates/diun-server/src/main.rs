//! `diun-dashboard`: the server binary.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpServer;
use clap::{Parser, Subcommand};
use diun_server::settings::{Settings, SettingsError};
use diun_server::{app, auth, backend, events, healthcheck, retention, AppState};

/// Receives Diun's webhook notifications and serves a dashboard to triage them.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML configuration file; environment variables override it.
    #[arg(long, env = "DIUN_DASHBOARD_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print an argon2id hash of a password, for DIUN_DASHBOARD_AUTH_USERS.
    ///
    /// The password is read from the terminal without echo, or from the
    /// first line of standard input when it is not a terminal.
    HashPassword,
    /// Exit 0 when `/readyz` of the configured listen address answers 200.
    ///
    /// For container health checks: reads the same settings as the server
    /// (a wildcard listen address is asked on loopback) and prints one line
    /// saying why when the server is not ready.
    Healthcheck {
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 5, value_name = "SECONDS")]
        timeout: u64,
    },
    /// Copy the running dashboard's SQLite database to a new file, PATH.
    ///
    /// The server keeps serving: the copy is one read transaction (SQLite's
    /// VACUUM INTO), checked before it is put in place. For PostgreSQL, use
    /// pg_dump.
    Backup {
        /// The new file; it must not exist.
        path: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let result = match cli.command {
        Some(Command::HashPassword) => print_password_hash(),
        Some(Command::Healthcheck { timeout }) => {
            // One line on failure, nothing else: a container runtime keeps it as the reason.
            return match healthcheck(&cli, Duration::from_secs(timeout.max(1))) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("diun-dashboard: healthcheck: {err}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Command::Backup { ref path }) => backup(&cli, path),
        None => run(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            log::error!("{err}");
            eprintln!("diun-dashboard: {err}");
            ExitCode::FAILURE
        }
    }
}

fn healthcheck(cli: &Cli, timeout: Duration) -> Result<(), SettingsError> {
    let settings = Settings::load(cli.config.as_deref())?;
    let address = healthcheck::target(settings.listen_address()?);
    healthcheck::check(address, &settings.base_path, timeout).map_err(SettingsError)
}

fn run(cli: &Cli) -> Result<(), SettingsError> {
    let settings = Settings::load(cli.config.as_deref())?;
    let address = settings.listen_address()?;
    let store = backend::open_store(settings.database_url.expose(), &settings.store_options())?;
    if settings.webhook_secret.is_none() {
        log::warn!("DIUN_DASHBOARD_WEBHOOK_SECRET is not set: anyone who can reach this server can post notifications");
    }
    if settings.retention_days > 0 {
        let every = Duration::from_secs(settings.retention_interval_minutes * 60);
        retention::spawn(store.clone(), settings.retention_days, every);
    }
    let mut state = AppState::with_event_heartbeat(store, settings.sse_heartbeat());
    state.webhook_secret = settings.webhook_secret.clone();
    state.base_path = settings.base_path.clone();
    state.access = Arc::new(settings.access_control()?);
    state.metrics = settings.metrics_access()?;
    state.body_timeout = settings.body_timeout();
    state.store_deadline = settings.store_deadline();
    state.events.set_max_streams(settings.sse_max_streams);
    if !state.access.is_enabled() {
        log::info!("the dashboard and its API are open to anyone who can reach them (no DIUN_DASHBOARD_AUTH_* set)");
    }
    let event_hub = state.events.clone();
    let server = HttpServer::new(move || app(state.clone()))
        // SIGTERM and SIGINT stop accepting, then let in-flight requests finish this long.
        .shutdown_timeout(settings.shutdown_timeout_seconds)
        // actix-web counts connections per worker; the setting is the total.
        .max_connections(settings.max_connections.div_ceil(workers()).max(1))
        .bind(address)
        .map_err(|err| SettingsError(format!("DIUN_DASHBOARD_LISTEN: cannot listen on {address}: {err}")))?;
    log::info!("listening on http://{address}{}/ (webhook at {}/webhook)", settings.base_path, settings.base_path);
    actix_web::rt::System::new()
        .block_on(async move {
            actix_web::rt::spawn(events::close_on_stop_signal(event_hub));
            server.run().await
        })
        .map_err(|err| SettingsError(format!("the server stopped with an error: {err}")))?;
    log::info!("stopped");
    Ok(())
}

fn backup(cli: &Cli, path: &std::path::Path) -> Result<(), SettingsError> {
    let settings = Settings::load(cli.config.as_deref())?;
    let url = settings.database_url.expose();
    match backend::Backend::from_url(url)? {
        backend::Backend::Postgres => {
            Err(SettingsError("the database is PostgreSQL: back it up with pg_dump (see the README)".into()))
        }
        #[cfg(feature = "sqlite")]
        backend::Backend::Sqlite => {
            let timeout = settings.store_options().connection_timeout.max(Duration::from_secs(30));
            let report = diun_store_sqlite::backup(url, path, timeout)
                .map_err(|err| SettingsError(format!("backup failed: {err}")))?;
            eprintln!(
                "backed up {} updates ({} KiB) to {} in {} ms",
                report.updates,
                report.bytes.div_ceil(1024),
                report.path.display(),
                report.elapsed.as_millis()
            );
            Ok(())
        }
        #[cfg(not(feature = "sqlite"))]
        backend::Backend::Sqlite => {
            let _ = path;
            Err(SettingsError("this build has no SQLite support (the `sqlite` cargo feature)".into()))
        }
    }
}

/// How many workers actix-web starts by default: one per available CPU.
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn print_password_hash() -> Result<(), SettingsError> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|err| SettingsError(err.to_string()))?;
        let second = rpassword::prompt_password("Again: ").map_err(|err| SettingsError(err.to_string()))?;
        if first != second {
            return Err(SettingsError("the two passwords differ".into()));
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|err| SettingsError(err.to_string()))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        return Err(SettingsError("the password is empty".into()));
    }
    println!("{}", auth::hash_password(&password).map_err(SettingsError)?);
    Ok(())
}
