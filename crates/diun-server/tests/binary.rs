//! The real `diun-dashboard` binary: it starts, keeps data across restarts,
//! and refuses bad settings with one clear line.

mod common;
mod server;

use std::process::{Command, Stdio};

use server::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_diun-dashboard");

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

#[test]
fn hash_password_prints_a_hash_that_verifies() {
    use std::io::Write;

    let mut child =
        Command::new(BIN).arg("hash-password").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"s3cret pass\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let hash = String::from_utf8(output.stdout).unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let parsed = diun_server::auth::PasswordHash::parse(hash.trim()).unwrap();
    assert!(parsed.verify("s3cret pass"));
    assert!(!parsed.verify("s3cret pass\n"));
}

/// Runs `diun-dashboard healthcheck` with `vars`; returns its exit success and stderr.
fn healthcheck(vars: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(BIN).arg("healthcheck").env_clear().envs(vars.iter().copied()).output().unwrap();
    assert!(output.stdout.is_empty(), "the health check prints nothing on stdout");
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn healthcheck_fails_with_one_line_when_nothing_answers() {
    let port = free_port().to_string();
    let (ok, stderr) = healthcheck(&[("DIUN_DASHBOARD_LISTEN", &format!("0.0.0.0:{port}"))]);
    assert!(!ok, "nothing listens on {port}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&format!("http://127.0.0.1:{port}/readyz")), "{stderr}");
    let (ok, stderr) = healthcheck(&[("DIUN_DASHBOARD_LISTEN", "nowhere")]);
    assert!(!ok && stderr.lines().count() == 1 && stderr.contains("DIUN_DASHBOARD_LISTEN"), "{stderr}");
}

/// Tests that keep their data in an SQLite file between two runs of the binary.
#[cfg(feature = "sqlite")]
mod on_sqlite {
    use std::process::Command;
    use std::time::Duration;

    use super::common;
    use super::healthcheck;
    use super::server::{call, call_json, Server};

    #[test]
    fn healthcheck_passes_while_the_server_is_ready() {
        let dir = tempfile::tempdir().unwrap();
        let vars = [("DIUN_DASHBOARD_BASE_PATH", "/diun")];
        let server = Server::start(dir.path().join("health.db").to_str().unwrap(), &vars);
        let listen = format!("0.0.0.0:{}", server.address().rsplit(':').next().unwrap());
        let (ok, stderr) = healthcheck(&[("DIUN_DASHBOARD_LISTEN", &listen), vars[0]]);
        assert!(ok && stderr.is_empty(), "ready server: {stderr}");
        // Without the base path, /readyz is not found: not healthy, and said so.
        let (ok, stderr) = healthcheck(&[("DIUN_DASHBOARD_LISTEN", &listen)]);
        assert!(!ok && stderr.trim_end().ends_with("/readyz answered 404"), "{stderr}");
        assert!(server.stop().0.success());
        let (ok, stderr) = healthcheck(&[("DIUN_DASHBOARD_LISTEN", &listen), vars[0]]);
        assert!(!ok && stderr.lines().count() == 1, "stopped server: {stderr}");
    }

    #[test]
    fn data_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("nested/folder/dashboard.db");
        let database = database.to_str().unwrap();
        let server = Server::start(database, &[]);
        let (status, stored) = call("POST", &server.url("/webhook"), Some(&common::sample("real-update.json")));
        assert_eq!(status, 200, "the webhook accepts a real body: {stored}");
        let path = format!("/api/updates/{}", stored["id"]);
        assert_eq!(call_json("PATCH", &server.url(&path), serde_json::json!({"acknowledged": true})).0, 200);
        assert!(server.stop().0.success(), "SIGTERM ends the server cleanly");

        let server = Server::start(database, &[]);
        let (_, listed) = call("GET", &server.url("/api/updates"), None);
        let listed = &listed["updates"];
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["image"], "127.0.0.1:5000/test/app:latest");
        assert_eq!(listed[0]["id"], stored["id"]);
        assert!(listed[0]["acknowledged_at"].is_string(), "the acknowledgment survives too");
    }

    #[test]
    fn sigterm_lets_an_in_flight_request_finish() {
        use std::io::{Read, Write};

        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(dir.path().join("shutdown.db").to_str().unwrap(), &[]);
        let address = server.address().to_owned();
        let body = common::sample("docker.json");
        let (head, tail) = body.split_at(body.len() / 2);
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        write!(
            stream,
            "POST /webhook HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(head).unwrap();
        stream.flush().unwrap();
        // Give a busy machine time to accept the connection and read the head.
        std::thread::sleep(Duration::from_secs(1));

        // The request is half-sent when the stop signal arrives.
        Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(&address).is_ok() {
            assert!(std::time::Instant::now() < deadline, "new connections are still accepted 10 s after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }

        stream.write_all(tail).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "the in-flight request completes: {response}");
        assert!(server.stop().0.success(), "and the server exits cleanly");
    }
}
