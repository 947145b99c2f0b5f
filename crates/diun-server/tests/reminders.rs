#![cfg(feature = "sqlite")]
//! Reminders delivered to real local servers on 127.0.0.1: an HTTP capture
//! server for the webhook, ntfy, Gotify and Slack-style targets, and a real
//! SMTP server (Python's aiosmtpd) for e-mail, over STARTTLS and TLS.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::capture::CaptureServer;
use diun_core::{Notification, Store};
use diun_server::links::DashboardLinks;
use diun_server::reminders::run::{deliver, run_slot};
use diun_server::reminders::{Digest, Reminders, RetryPolicy, SlotOutcome, Target};

/// Short waits, so that the retry tests take milliseconds.
const FAST: RetryPolicy = RetryPolicy { attempts: 4, first_backoff: Duration::from_millis(50) };

fn notify(store: &dyn Store, host: &str, image: &str, days_ago: i64) {
    let body = format!(r#"{{"hostname":"{host}","image":"{image}","digest":"sha256:{days_ago}","status":"new"}}"#);
    let at = Utc::now() - chrono::Duration::days(days_ago);
    store.record_notification(&Notification::from_json(body.as_bytes()).unwrap(), at).unwrap();
}

/// A store with two updates pending for long, one recent, and the digest of them.
fn pending_digest() -> (common::TestStore, Digest) {
    let s = common::sqlite_store();
    notify(s.store.as_ref(), "nas", "ghcr.io/home/app:2.0", 9);
    notify(s.store.as_ref(), "pi", "nginx:1.27", 5);
    notify(s.store.as_ref(), "pi", "redis:7", 1);
    let links = DashboardLinks::new(Some("https://diun.example/dash".into()));
    let digest = Digest::build(s.store.as_ref(), 3, Utc::now(), &links).unwrap().expect("two qualify");
    (s, digest)
}

/// The value of one counter series (0 when absent): tests in one process share the recorder.
fn counter(series: &str) -> f64 {
    let metrics = diun_server::telemetry::install_recorder().expect("no other recorder in this test").render();
    metrics.lines().find_map(|line| line.strip_prefix(series).and_then(|rest| rest.trim().parse().ok())).unwrap_or(0.0)
}

const WEBHOOK_RETRIES: &str = "diun_dashboard_reminder_retries_total{target=\"webhook\"}";
const WEBHOOK_SENT: &str = "diun_dashboard_reminder_deliveries_total{target=\"webhook\",outcome=\"sent\"}";
const WEBHOOK_FAILED: &str = "diun_dashboard_reminder_deliveries_total{target=\"webhook\",outcome=\"failed\"}";

fn reminders(targets: Vec<Target>) -> Reminders {
    Reminders { schedule: None, after_days: 3, targets, links: DashboardLinks::default(), retry: FAST }
}

#[test]
fn each_http_target_kind_gets_the_digest_in_its_own_format() {
    let (_store, digest) = pending_digest();
    let servers: Vec<CaptureServer> = (0..4).map(|_| CaptureServer::start()).collect();
    let targets = [
        format!("webhook+{}/hooks/diun", servers[0].url),
        format!("ntfy+{}/diun-reminders?token=tk_ntfy", servers[1].url),
        format!("gotify+{}/?token=app-token", servers[2].url),
        format!("slack+{}/services/T0/B0/xyz", servers[3].url),
    ];
    let targets: Vec<Target> = targets.iter().map(|t| Target::parse(t).unwrap()).collect();
    let deliveries = deliver(&digest, &targets, FAST);
    assert!(deliveries.iter().all(|d| d.result.is_ok() && d.attempts == 1), "{deliveries:?}");

    let webhook = &servers[0].wait_for(1)[0];
    assert_eq!((webhook.method.as_str(), webhook.path.as_str()), ("POST", "/hooks/diun"));
    assert_eq!(webhook.header("content-type"), Some("application/json"));
    let json = webhook.json();
    assert_eq!(
        (json["event"].as_str(), json["total"].as_u64(), json["after_days"].as_u64()),
        (Some("reminder"), Some(2), Some(3))
    );
    assert_eq!(json["updates"][0]["image"], "ghcr.io/home/app:2.0");
    assert_eq!(json["updates"][0]["pending_days"], 9);
    assert!(json["updates"][0]["url"].as_str().unwrap().starts_with("https://diun.example/dash/?history="));
    assert_eq!(json["updates"][1]["image"], "nginx:1.27");
    assert_eq!(json["dashboard_url"], "https://diun.example/dash/");

    let ntfy = &servers[1].wait_for(1)[0];
    assert_eq!((ntfy.method.as_str(), ntfy.path.as_str()), ("POST", "/diun-reminders"));
    assert_eq!(ntfy.header("authorization"), Some("Bearer tk_ntfy"));
    assert_eq!(ntfy.header("title"), Some("Diun Dashboard: 2 updates pending for more than 3 days"));
    assert_eq!(ntfy.header("click"), Some("https://diun.example/dash/"));
    assert!(ntfy.text().starts_with("- ghcr.io/home/app:2.0 on nas (new, pending 9 days"), "{}", ntfy.text());
    assert!(!ntfy.text().contains("redis"), "{}", ntfy.text());

    let gotify = &servers[2].wait_for(1)[0];
    assert_eq!((gotify.method.as_str(), gotify.path.as_str()), ("POST", "/message"));
    assert_eq!(gotify.header("x-gotify-key"), Some("app-token"));
    let json = gotify.json();
    assert_eq!(json["title"], "Diun Dashboard: 2 updates pending for more than 3 days");
    assert!(json["message"].as_str().unwrap().contains("nginx:1.27 on pi"));
    assert_eq!(json["priority"], 5);

    let slack = &servers[3].wait_for(1)[0];
    assert_eq!(slack.path, "/services/T0/B0/xyz");
    let text = slack.json()["text"].as_str().unwrap().to_owned();
    assert!(text.starts_with("*Diun Dashboard: 2 updates pending"), "{text}");
    assert!(text.contains("nginx:1.27 on pi"), "{text}");
}

#[test]
fn a_target_failing_twice_gets_the_digest_on_the_third_try() {
    let (_store, digest) = pending_digest();
    let flaky = CaptureServer::answering(vec![503, 502]);
    let target = Target::parse(&format!("webhook+{}/hook", flaky.url)).unwrap();
    let (retries, sent) = (counter(WEBHOOK_RETRIES), counter(WEBHOOK_SENT));
    let started = std::time::Instant::now();
    let deliveries = deliver(&digest, &[target], FAST);
    assert_eq!(deliveries[0].attempts, 3);
    assert!(deliveries[0].result.is_ok(), "{deliveries:?}");
    assert_eq!(flaky.requests().len(), 3);
    // 50 ms, then 100 ms of backoff.
    assert!(started.elapsed() >= Duration::from_millis(150), "{:?}", started.elapsed());
    assert_eq!(counter(WEBHOOK_RETRIES) - retries, 2.0);
    assert_eq!(counter(WEBHOOK_SENT) - sent, 1.0);
}

#[test]
fn retries_are_bounded_and_refusals_are_not_retried() {
    let (_store, digest) = pending_digest();
    let down = CaptureServer::answering(vec![503; 10]);
    let refusing = CaptureServer::answering(vec![401]);
    let targets = [
        Target::parse(&format!("webhook+{}/hook", down.url)).unwrap(),
        Target::parse(&format!("ntfy+{}/topic", refusing.url)).unwrap(),
    ];
    let failed = counter(WEBHOOK_FAILED);
    let deliveries = deliver(&digest, &targets, FAST);
    assert_eq!(deliveries[0].attempts, 4, "{deliveries:?}");
    assert_eq!(counter(WEBHOOK_FAILED) - failed, 1.0);
    assert!(deliveries[0].result.as_ref().unwrap_err().message.contains("HTTP 503"));
    assert_eq!(down.requests().len(), 4);
    // A wrong token does not get better by asking again.
    assert_eq!(deliveries[1].attempts, 1, "{deliveries:?}");
    assert_eq!(refusing.requests().len(), 1);
    // Nobody listening: a transport error, retried.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let unreachable = Target::parse(&format!("slack+http://127.0.0.1:{port}/x")).unwrap();
    let delivery = &deliver(&digest, &[unreachable], RetryPolicy { attempts: 2, ..FAST })[0];
    assert_eq!(delivery.attempts, 2);
    assert!(delivery.result.as_ref().unwrap_err().message.contains("could not be reached"), "{delivery:?}");
}

#[test]
fn nothing_is_sent_when_nothing_qualifies() {
    let s = common::sqlite_store();
    notify(s.store.as_ref(), "pi", "redis:7", 1);
    let server = CaptureServer::start();
    let reminders = reminders(vec![Target::parse(&format!("webhook+{}/hook", server.url)).unwrap()]);
    let outcome = run_slot(s.store.as_ref(), &reminders, Utc::now(), Utc::now()).unwrap();
    assert!(matches!(outcome, SlotOutcome::NothingDue), "{outcome:?}");
    notify(s.store.as_ref(), "pi", "nginx:1.27", 4);
    let outcome = run_slot(s.store.as_ref(), &reminders, Utc::now(), Utc::now()).unwrap();
    assert!(matches!(outcome, SlotOutcome::Sent(ref d) if d.len() == 1 && d[0].result.is_ok()), "{outcome:?}");
    assert_eq!(server.wait_for(1).len(), 1);
    assert_eq!(server.requests()[0].json()["total"], 1);
}

/// The Python with aiosmtpd and trustme that `scripts/test` installs in a
/// venv; `None` (the test skips, saying so) only when not under CI.
fn smtp_python() -> Option<String> {
    let python = std::env::var("DIUN_DASHBOARD_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import aiosmtpd, trustme"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(python);
    }
    let message = format!(
        "the SMTP tests need Python with aiosmtpd and trustme ({python} has not): run scripts/test, or set \
         DIUN_DASHBOARD_TEST_PYTHON to such a Python"
    );
    assert!(std::env::var_os("CI").is_none(), "{message}; CI never skips them");
    eprintln!("SKIPPED: {message}");
    None
}

/// aiosmtpd on a free port, in `mode` (`starttls` or `tls`).
struct SmtpServer {
    child: Child,
    port: u16,
    ca: tempfile::TempPath,
    messages: std::sync::mpsc::Receiver<serde_json::Value>,
}

impl SmtpServer {
    fn start(python: &str, mode: &str) -> SmtpServer {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let ca = tempfile::NamedTempFile::new().unwrap().into_temp_path();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_capture.py");
        let mut child = Command::new(python)
            .args([script, mode, &port.to_string(), ca.to_str().unwrap()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().expect("the SMTP server starts").unwrap(), "ready");
        let (send, messages) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = send.send(serde_json::from_str(&line).unwrap());
            }
        });
        SmtpServer { child, port, ca, messages }
    }

    fn next_message(&self) -> serde_json::Value {
        self.messages.recv_timeout(Duration::from_secs(20)).expect("a message arrives")
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn email_goes_out_over_starttls_and_tls_with_a_password() {
    let Some(python) = smtp_python() else { return };
    let (_store, digest) = pending_digest();
    for (mode, scheme) in [("starttls", "smtp"), ("tls", "smtps")] {
        let server = SmtpServer::start(&python, mode);
        let url = format!(
            "{scheme}://diun:p%40ss%20word@127.0.0.1:{}/?from=Diun%20Dashboard%20%3Cdiun@example.com%3E\
             &to=ops@example.com,%20me@example.com&ca={}",
            server.port,
            server.ca.display()
        );
        let target = Target::parse(&url).unwrap();
        let delivery = &deliver(&digest, &[target], FAST)[0];
        assert!(delivery.result.is_ok(), "{mode}: {delivery:?}");
        let message = server.next_message();
        assert_eq!(message["login"], "diun", "{mode}");
        if mode == "starttls" {
            assert_eq!(message["encrypted"], true, "{message}");
        }
        assert_eq!(message["mail_from"], "diun@example.com");
        assert_eq!(message["rcpt_tos"], serde_json::json!(["ops@example.com", "me@example.com"]));
        let data = message["data"].as_str().unwrap();
        assert!(data.contains("Subject: Diun Dashboard: 2 updates pending for more than 3 days"), "{data}");
        assert!(data.contains("ghcr.io/home/app:2.0 on nas"), "{data}");
    }
}

#[test]
fn email_refusals_are_reported_and_not_retried() {
    let Some(python) = smtp_python() else { return };
    let (_store, digest) = pending_digest();
    let server = SmtpServer::start(&python, "starttls");
    let ca = server.ca.display().to_string();
    // A wrong password: 535, permanent.
    let wrong = format!("smtp://diun:guess@127.0.0.1:{}/?from=d@example.com&to=o@example.com&ca={ca}", server.port);
    let delivery = &deliver(&digest, &[Target::parse(&wrong).unwrap()], FAST)[0];
    assert_eq!(delivery.attempts, 1, "{delivery:?}");
    assert!(!delivery.result.as_ref().unwrap_err().message.contains("guess"), "{delivery:?}");
    // The server's certificate is not trusted without its CA: no clear-text fallback.
    let untrusted = format!("smtp://diun:p%40ss%20word@127.0.0.1:{}/?from=d@example.com&to=o@example.com", server.port);
    let delivery = &deliver(&digest, &[Target::parse(&untrusted).unwrap()], RetryPolicy { attempts: 1, ..FAST })[0];
    assert!(delivery.result.is_err(), "{delivery:?}");
    assert!(server.messages.recv_timeout(Duration::from_millis(300)).is_err(), "nothing was delivered");
}

#[test]
fn schedule_slot_is_computed_from_the_settings_time_zone() {
    // The settings name the zone; the slot follows it (the pure function is tested in the unit tests).
    let settings = diun_server::settings::Settings::load_with_env(
        None,
        &[
            ("DIUN_DASHBOARD_REMINDER_SCHEDULE", "weekly mon 09:00"),
            ("DIUN_DASHBOARD_REMINDER_TIMEZONE", "Europe/Paris"),
        ],
    )
    .unwrap();
    let schedule = settings.reminders().unwrap().schedule.unwrap();
    let now: DateTime<Utc> = "2026-12-02T12:00:00Z".parse().unwrap();
    assert_eq!(schedule.next_after(now), "2026-12-07T08:00:00Z".parse::<DateTime<Utc>>().unwrap());
}

const BIN: &str = env!("CARGO_BIN_EXE_diun-dashboard");

#[test]
fn remind_dry_run_prints_the_digest_and_now_sends_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("remind.db").display());
    {
        let store = diun_store_sqlite::SqliteStore::open(&url, &diun_core::StoreOptions::default()).unwrap();
        notify(&store, "nas", "nginx:1.27", 9);
    }
    let (hook, ntfy) = (CaptureServer::start(), CaptureServer::start());
    let run = |args: &[&str], after_days: &str| {
        Command::new(BIN)
            .env_clear()
            .env("DIUN_DASHBOARD_DATABASE_URL", &url)
            .env("DIUN_DASHBOARD_REMINDER_TARGETS", format!("webhook+{}/hook\n ntfy+{}/topic", hook.url, ntfy.url))
            .env("DIUN_DASHBOARD_REMINDER_AFTER_DAYS", after_days)
            .env("DIUN_DASHBOARD_PUBLIC_URL", "https://diun.example")
            .env("RUST_LOG", "off")
            .args(args)
            .output()
            .unwrap()
    };
    let dry = run(&["remind", "--dry-run"], "3");
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.status.success(), "{stdout}{}", String::from_utf8_lossy(&dry.stderr));
    assert!(stdout.starts_with("Diun Dashboard: 1 update pending for more than 3 days\n"), "{stdout}");
    assert!(stdout.contains("- nginx:1.27 on nas (new, pending 9 days"), "{stdout}");
    assert!(stdout.contains("https://diun.example/?history="), "{stdout}");
    assert!(stdout.contains("It would go to the webhook target 127.0.0.1."), "{stdout}");
    assert!(stdout.contains("It would go to the ntfy target 127.0.0.1."), "{stdout}");
    std::thread::sleep(Duration::from_millis(100));
    assert!(hook.requests().is_empty() && ntfy.requests().is_empty(), "a dry run sends nothing");

    let now = run(&["remind", "--now"], "3");
    assert!(now.status.success(), "{}", String::from_utf8_lossy(&now.stderr));
    assert_eq!(hook.wait_for(1)[0].json()["updates"][0]["image"], "nginx:1.27");
    assert_eq!(ntfy.wait_for(1).len(), 1);

    let nothing = run(&["remind", "--dry-run"], "30");
    assert!(nothing.status.success());
    assert!(String::from_utf8_lossy(&nothing.stdout).contains("nothing to send"));
    // One of the two modes must be chosen.
    assert!(!run(&["remind"], "3").status.success());
}
