//! `diun-dashboard`: the server binary.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpServer;
use clap::{Parser, Subcommand};
use diun_server::settings::{Settings, SettingsError};
use diun_server::webhook_queue::WebhookQueue;
use diun_server::{app, auth, backend, events, healthcheck, reminders, retention, snooze_waker, transfer, AppState};

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
    /// Write the whole dashboard (updates, acknowledgments, history, tags)
    /// as a JSON Lines stream, the format in the README, to stdout.
    ///
    /// Reads one snapshot; the server may keep running.
    Export {
        /// The database to read instead of the configured one.
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// Write to FILE instead of stdout (put in place only when complete).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Read a stream written by `export` into an empty database, in one
    /// transaction: on any error nothing is written.
    Import {
        /// The database to write instead of the configured one.
        #[arg(long, value_name = "URL")]
        to: Option<String>,
        /// Read FILE instead of stdin.
        #[arg(long, short, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Import into a database that holds data; what it holds wins.
        #[arg(long)]
        merge: bool,
    },
    /// Copy a dashboard from one database to another (SQLite to PostgreSQL
    /// or back), as `export | import` would, in one transaction.
    Copy {
        /// The database to read.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The database to write; it must be empty.
        #[arg(long, value_name = "URL")]
        to: String,
        /// Copy into a database that holds data; what it holds wins.
        #[arg(long)]
        merge: bool,
    },
    /// Print or send the reminder digest as of now: the updates pending for
    /// longer than DIUN_DASHBOARD_REMINDER_AFTER_DAYS.
    #[command(group(clap::ArgGroup::new("mode").required(true).args(["dry_run", "now"])))]
    Remind {
        /// Print the digest that would be sent now, and where to; send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Send it now to every target (with the usual retries), whatever the
        /// schedule; exits non-zero when a target could not be reached.
        #[arg(long)]
        now: bool,
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
        Some(Command::Export { ref from, ref output }) => export(&cli, from.as_deref(), output.as_deref()),
        Some(Command::Import { ref to, ref input, merge }) => import(&cli, to.as_deref(), input.as_deref(), merge),
        Some(Command::Copy { ref from, ref to, merge }) => copy(&cli, from, to, merge),
        Some(Command::Remind { dry_run, .. }) => remind(&cli, dry_run),
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
    reminders::run::spawn(store.clone(), settings.reminders()?);
    snooze_waker::spawn(store.clone(), snooze_waker::WAKE_INTERVAL);
    if settings.retention_days > 0 {
        let every = Duration::from_secs(settings.retention_interval_minutes * 60);
        retention::spawn(store.clone(), settings.retention_days, every);
    }
    let mut state = AppState::with_event_heartbeat(store, settings.sse_heartbeat());
    state.webhook_secret = settings.webhook_secret.clone();
    state.base_path = settings.base_path.clone();
    state.access = Arc::new(settings.access_control()?.with_feed_tokens(settings.feed_token_list()));
    state.links = settings.dashboard_links();
    state.metrics = settings.metrics_access()?;
    state.body_timeout = settings.body_timeout();
    state.store_deadline = settings.store_deadline();
    state.webhooks = WebhookQueue::start(Arc::clone(&state.store), settings.store_options().connection_timeout);
    state.events.set_max_streams(settings.sse_max_streams);
    if !state.access.is_enabled() && !settings.feed_token_list().is_empty() {
        log::warn!("DIUN_DASHBOARD_FEED_TOKENS is set but no sign-in is: the feed, like everything, is open");
    }
    if !state.access.is_enabled() {
        log::info!("the dashboard and its API are open to anyone who can reach them (no DIUN_DASHBOARD_AUTH_* set)");
    }
    let event_hub = state.events.clone();
    let server = HttpServer::new(move || app(state.clone()))
        // SIGTERM and SIGINT stop accepting, then let in-flight requests finish this long.
        .shutdown_timeout(settings.shutdown_timeout_seconds)
        // actix-web counts connections per worker; the setting is the total.
        .max_connections(settings.max_connections.div_ceil(workers()).max(1))
        .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
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

/// Opens the database at `url`, or the configured one.
fn open_store(settings: &Settings, url: Option<&str>) -> Result<Arc<dyn diun_core::Store>, SettingsError> {
    let options = diun_core::StoreOptions {
        // Reads and writes of a whole dashboard wait longer for their locks than a request would.
        connection_timeout: settings.store_options().connection_timeout.max(Duration::from_secs(30)),
        ..settings.store_options()
    };
    match url {
        Some(url) => backend::open_store(url, &options)
            .map_err(|err| SettingsError(err.0.replacen("DIUN_DASHBOARD_DATABASE_URL", &url_label(url), 1))),
        None => backend::open_store(settings.database_url.expose(), &options),
    }
}

/// A database URL as messages show it: without its password.
fn url_label(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((user, host)) = rest.split_once('@') {
            if let Some((name, _password)) = user.split_once(':') {
                return format!("{scheme}://{name}:***@{host}");
            }
        }
    }
    url.to_owned()
}

fn export(cli: &Cli, from: Option<&str>, output: Option<&std::path::Path>) -> Result<(), SettingsError> {
    let settings = Settings::load(cli.config.as_deref())?;
    let store = open_store(&settings, from)?;
    let mut progress = transfer::Progress::new("exported");
    let counts = match output {
        None => {
            let stdout = std::io::stdout().lock();
            transfer::export(store.as_ref(), std::io::BufWriter::new(stdout), &mut progress)
        }
        Some(path) => {
            // Written beside, then renamed: a failed export leaves no half file.
            let mut partial = path.as_os_str().to_owned();
            partial.push(".partial");
            let partial = PathBuf::from(partial);
            let file = std::fs::File::create(&partial)
                .map_err(|err| SettingsError(format!("cannot create {}: {err}", partial.display())))?;
            let result =
                transfer::export(store.as_ref(), std::io::BufWriter::new(file), &mut progress).and_then(|counts| {
                    std::fs::rename(&partial, path)
                        .map(|()| counts)
                        .map_err(|err| format!("cannot rename {} to {}: {err}", partial.display(), path.display()))
                });
            if result.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            result
        }
    }
    .map_err(|err| SettingsError(format!("export failed: {err}")))?;
    eprintln!("{}", progress.summary(&counts));
    Ok(())
}

fn import(cli: &Cli, to: Option<&str>, input: Option<&std::path::Path>, merge: bool) -> Result<(), SettingsError> {
    let settings = Settings::load(cli.config.as_deref())?;
    // The stream is opened first: a missing file fails before the database is touched.
    let input: Box<dyn BufRead> = match input {
        None => Box::new(std::io::stdin().lock()),
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path).map_err(|err| SettingsError(format!("cannot open {}: {err}", path.display())))?,
        )),
    };
    let store = open_store(&settings, to)?;
    let mut progress = transfer::Progress::new("imported");
    let report = transfer::import(store.as_ref(), input, merge, &mut progress)
        .map_err(|err| SettingsError(format!("import failed, {err}")))?;
    report_import(&progress, &report);
    Ok(())
}

fn copy(cli: &Cli, from: &str, to: &str, merge: bool) -> Result<(), SettingsError> {
    if from == to {
        return Err(SettingsError("copy: --from and --to name the same database".into()));
    }
    let settings = Settings::load(cli.config.as_deref())?;
    let source = open_store(&settings, Some(from))?;
    let target = open_store(&settings, Some(to))?;
    let mut progress = transfer::Progress::new("copied");
    let report = transfer::copy(source.as_ref(), target.as_ref(), merge, &mut progress)
        .map_err(|err| SettingsError(format!("copy failed, {err}")))?;
    report_import(&progress, &report);
    Ok(())
}

/// `remind --dry-run` prints the digest; `remind --now` sends it.
fn remind(cli: &Cli, dry_run: bool) -> Result<(), SettingsError> {
    let settings = Settings::load(cli.config.as_deref())?;
    let reminders = settings.reminders()?;
    let store = backend::open_store(settings.database_url.expose(), &settings.store_options())?;
    let digest = reminders::Digest::build(store.as_ref(), reminders.after_days, chrono::Utc::now(), &reminders.links)
        .map_err(|err| SettingsError(format!("the pending updates cannot be read: {err}")))?;
    let Some(digest) = digest else {
        println!("No update has been pending for more than {} day(s): nothing to send.", reminders.after_days);
        return Ok(());
    };
    if dry_run {
        println!("{}\n\n{}", digest.title(), digest.text());
        if reminders.targets.is_empty() {
            println!("It would go nowhere: DIUN_DASHBOARD_REMINDER_TARGETS is empty.");
        }
        for target in &reminders.targets {
            println!("It would go to the {target}.");
        }
        return Ok(());
    }
    if reminders.targets.is_empty() {
        return Err(SettingsError("DIUN_DASHBOARD_REMINDER_TARGETS is empty: there is nowhere to send to".into()));
    }
    let deliveries = reminders::run::deliver(&digest, &reminders.targets, reminders.retry);
    let failed = deliveries.iter().filter(|d| d.result.is_err()).count();
    for delivery in &deliveries {
        match &delivery.result {
            Ok(()) => println!("sent to the {}", delivery.target),
            Err(err) => println!("not sent after {} tries: {err}", delivery.attempts),
        }
    }
    if failed > 0 {
        return Err(SettingsError(format!("{failed} of {} target(s) could not be reached", deliveries.len())));
    }
    Ok(())
}

fn report_import(progress: &transfer::Progress, report: &diun_core::export::ImportReport) {
    eprintln!("{}", progress.summary(&report.written));
    if report.skipped.total() > 0 {
        let skipped = report.skipped;
        eprintln!(
            "kept the database's own {} tags, {} tagged images, {} mute rules, {} updates and {} history events",
            skipped.tags, skipped.assignments, skipped.mute_rules, skipped.updates, skipped.events
        );
    }
}

/// Threads each worker may start for store calls (actix-web's default is 512
/// shared by the workers). Only the short calls run there (writes from the
/// dashboard, revision reads, pings): reads that list or count have threads
/// of their own (see `store_call`), and webhooks wait for their commit in a
/// queue (see `webhook_queue`). Every thread costs memory: its stack and,
/// with glibc, an allocation arena that is never given back. Measured with
/// the scale benchmark at 10,000 updates (SQLite), when reads and webhooks
/// still ran here: peak resident memory 59 MiB with the default, 41 MiB with 8.
const BLOCKING_THREADS_PER_WORKER: usize = 8;

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
