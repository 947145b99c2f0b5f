//! The real `diun-dashboard` binary: it starts, keeps data across restarts,
//! and refuses bad settings with one clear line.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_diun-dashboard");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running server, stopped on drop.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database: &Path) -> Server {
        let port = free_port();
        let child = Command::new(BIN)
            .env_clear()
            .env("DIUN_DASHBOARD_LISTEN", format!("127.0.0.1:{port}"))
            .env("DIUN_DASHBOARD_DATABASE_URL", database)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the binary");
        let server = Server { child, base: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while ureq::get(&format!("{}/readyz", server.base)).call().is_err() {
            assert!(Instant::now() < deadline, "the server did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// Stops the server the way a service manager does, and waits for it.
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(feature = "sqlite")]
#[test]
fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("nested/folder/dashboard.db");
    let server = Server::start(&database);
    let stored: serde_json::Value = ureq::post(&format!("{}/webhook", server.base))
        .send_bytes(&common::sample("real-update.json"))
        .expect("the webhook accepts a real body")
        .into_json()
        .unwrap();
    ureq::patch(&format!("{}/api/updates/{}", server.base, stored["id"]))
        .send_json(serde_json::json!({"acknowledged": true}))
        .unwrap();
    assert!(server.stop().success(), "SIGTERM ends the server cleanly");

    let server = Server::start(&database);
    let listed: serde_json::Value =
        ureq::get(&format!("{}/api/updates", server.base)).call().unwrap().into_json().unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["image"], "127.0.0.1:5000/test/app:latest");
    assert_eq!(listed[0]["id"], stored["id"]);
    assert!(listed[0]["acknowledged_at"].is_string(), "the acknowledgment survives too");
}

/// Runs the binary with one bad setting; returns its exit success and stderr.
fn start_with(vars: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .env_clear()
        .env("DIUN_DASHBOARD_DATABASE_URL", dir.path().join("x.db"))
        .env("DIUN_DASHBOARD_LISTEN", format!("127.0.0.1:{}", free_port()))
        .envs(vars.iter().copied())
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn bad_settings_stop_the_start_with_the_setting_named() {
    let cases = [
        ("DIUN_DASHBOARD_LISTEN", "not-an-address", "DIUN_DASHBOARD_LISTEN"),
        ("DIUN_DASHBOARD_DATABASE_URL", "mysql://root@localhost/diun", "DIUN_DASHBOARD_DATABASE_URL"),
        ("DIUN_DASHBOARD_DATABASE_URL", "/proc/no-such-dir/x.db", "DIUN_DASHBOARD_DATABASE_URL"),
        ("DIUN_DASHBOARD_HISTORY_LIMIT", "lots", "DIUN_DASHBOARD_HISTORY_LIMIT"),
        ("DIUN_DASHBOARD_CONFIG", "/no/such/config.toml", "/no/such/config.toml"),
    ];
    for (name, value, named) in cases {
        let (ok, stderr) = start_with(&[(name, value)]);
        assert!(!ok, "{name}={value} must stop the start");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one clear line for {name}={value}: {stderr}");
        assert!(lines[0].contains(named), "{name}={value}: {stderr}");
    }
}
