//! `diun-dashboard`: the server binary.

use std::path::PathBuf;
use std::process::ExitCode;

use actix_web::HttpServer;
use clap::Parser;
use diun_server::settings::{Settings, SettingsError};
use diun_server::{app, backend, AppState};

/// Receives Diun's webhook notifications and serves a dashboard to triage them.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// A TOML configuration file; environment variables override it.
    #[arg(long, env = "DIUN_DASHBOARD_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            log::error!("{err}");
            eprintln!("diun-dashboard: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<(), SettingsError> {
    let settings = Settings::load(cli.config.as_deref())?;
    let address = settings.listen_address()?;
    let store = backend::open_store(&settings.database_url, &settings.store_options())?;
    if settings.webhook_secret.is_none() {
        log::warn!("DIUN_DASHBOARD_WEBHOOK_SECRET is not set: anyone who can reach this server can post notifications");
    }
    let state =
        AppState { store, webhook_secret: settings.webhook_secret.clone(), base_path: settings.base_path.clone() };
    let server = HttpServer::new(move || app(state.clone()))
        // SIGTERM and SIGINT stop accepting, then let in-flight requests finish this long.
        .shutdown_timeout(settings.shutdown_timeout_seconds)
        .bind(address)
        .map_err(|err| SettingsError(format!("DIUN_DASHBOARD_LISTEN: cannot listen on {address}: {err}")))?;
    log::info!("listening on http://{address}{}/ (webhook at {}/webhook)", settings.base_path, settings.base_path);
    actix_web::rt::System::new()
        .block_on(server.run())
        .map_err(|err| SettingsError(format!("the server stopped with an error: {err}")))?;
    log::info!("stopped");
    Ok(())
}
