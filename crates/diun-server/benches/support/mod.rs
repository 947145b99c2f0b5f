//! What the benchmarks share: the real `diun-dashboard` binary, started on a
//! database and killed when dropped.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `diun-dashboard` binary, running; killed on drop.
pub struct Server {
    child: Child,
    base: String,
}

impl Server {
    pub fn start(database_url: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        // BENCH_SERVER names another build of the binary, to compare two builds in the same conditions.
        let binary = std::env::var("BENCH_SERVER").unwrap_or_else(|_| env!("CARGO_BIN_EXE_diun-dashboard").to_owned());
        let child = Command::new(binary)
            .env_clear()
            .env("DIUN_DASHBOARD_LISTEN", format!("127.0.0.1:{port}"))
            .env("DIUN_DASHBOARD_DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the binary");
        let server = Server { child, base: format!("http://127.0.0.1:{port}") };
        // Opening a large database runs migrations and fills search text first.
        let deadline = Instant::now() + Duration::from_secs(60);
        while ureq::get(&server.url("/readyz")).call().is_err() {
            assert!(Instant::now() < deadline, "the server did not become ready on {database_url}");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A memory figure from /proc/PID/status, such as `VmRSS`, in KiB.
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("/proc/PID/status");
        let line = status.lines().find_map(|line| line.strip_prefix(&format!("{field}:"))).expect("the field");
        line.trim().trim_end_matches(" kB").parse().expect("a number of kB")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
