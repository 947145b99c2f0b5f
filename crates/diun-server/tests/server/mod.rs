//! The real `diun-dashboard` binary as a process, an HTTP client with a
//! deadline, and a Server-Sent Events reader: for tests of several replicas,
//! outages and live events.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_diun-dashboard");

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running server, killed on drop.
pub struct Server {
    child: Child,
    base: String,
}

impl Server {
    /// Starts the binary on a free port with `database_url` and `vars`, and
    /// waits until it is ready.
    pub fn start(database_url: &str, vars: &[(&str, &str)]) -> Server {
        let port = free_port();
        let child = Command::new(BIN)
            .env_clear()
            .env("DIUN_DASHBOARD_LISTEN", format!("127.0.0.1:{port}"))
            .env("DIUN_DASHBOARD_DATABASE_URL", database_url)
            .env("RUST_LOG", "error")
            .envs(vars.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the binary");
        let server = Server { child, base: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        let base_path = vars.iter().find(|(name, _)| *name == "DIUN_DASHBOARD_BASE_PATH").map_or("", |(_, v)| *v);
        while call("GET", &server.url(&format!("{base_path}/readyz")), None).0 != 200 {
            assert!(Instant::now() < deadline, "the server did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// Stops the server the way a service manager does (SIGTERM), and waits
    /// for it; returns how it ended and how long that took.
    pub fn stop(mut self) -> (std::process::ExitStatus, Duration) {
        let started = Instant::now();
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let status = self.child.wait().unwrap();
        (status, started.elapsed())
    }

    /// The process id, to send it signals.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one request (30 s at most) and returns the status and the JSON body
/// (`Null` when empty or not JSON); 0 when nothing answered.
pub fn call(method: &str, url: &str, body: Option<&[u8]>) -> (u16, Value) {
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
    let request = agent.request(method, url).set("Content-Type", "application/json");
    let result = match body {
        Some(body) => request.send_bytes(body),
        None => request.call(),
    };
    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(_)) => return (0, Value::Null),
    };
    let status = response.status();
    let text = response.into_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// [`call`] with a JSON body.
pub fn call_json(method: &str, url: &str, body: Value) -> (u16, Value) {
    call(method, url, Some(body.to_string().as_bytes()))
}

/// One Server-Sent Events frame: the lines up to a blank line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The `id:` field.
    pub id: Option<String>,
    /// The `event:` field.
    pub event: Option<String>,
    /// The `data:` lines, joined by newlines.
    pub data: String,
    /// Comment lines, without their leading colon and space.
    pub comments: Vec<String>,
}

impl Frame {
    /// The data as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|err| panic!("{self:?} carries no JSON: {err}"))
    }
}

/// A connected `GET /api/events` client, reading on its own thread.
pub struct EventStream {
    frames: Receiver<Frame>,
}

impl EventStream {
    /// Connects, checks the headers, and waits for the stream's opening frame,
    /// after which every change is delivered to it.
    pub fn open(url: &str) -> EventStream {
        let response = ureq::get(url).call().unwrap_or_else(|err| panic!("GET {url}: {err}"));
        assert_eq!(response.content_type(), "text/event-stream");
        assert_eq!(response.header("Cache-Control"), Some("no-cache"));
        assert_eq!(response.header("X-Accel-Buffering"), Some("no"));
        let mut reader = BufReader::new(response.into_reader());
        let (sender, frames) = mpsc::channel();
        std::thread::spawn(move || {
            let mut frame = Frame::default();
            let mut line = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let line = line.trim_end_matches(['\r', '\n']);
                if line.is_empty() {
                    if sender.send(std::mem::take(&mut frame)).is_err() {
                        return;
                    }
                } else if let Some(comment) = line.strip_prefix(':') {
                    frame.comments.push(comment.trim_start().to_owned());
                } else {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
                    match field {
                        "id" => frame.id = Some(value),
                        "event" => frame.event = Some(value),
                        "data" if frame.data.is_empty() => frame.data = value,
                        "data" => frame.data = format!("{}\n{value}", frame.data),
                        _ => {}
                    }
                }
            }
        });
        let stream = EventStream { frames };
        let opening = stream.next_frame(Duration::from_secs(10)).expect("the stream's opening frame");
        assert!(opening.comments.iter().any(|c| c == "connected"), "{opening:?}");
        stream
    }

    /// The next frame, whatever it is; `None` after `timeout` or when the stream ended.
    pub fn next_frame(&self, timeout: Duration) -> Option<Frame> {
        self.frames.recv_timeout(timeout).ok()
    }

    /// The next event, skipping comments (heartbeats).
    ///
    /// # Panics
    ///
    /// When none arrives within `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Frame {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.frames.recv_timeout(left) {
                Ok(frame) if frame.event.is_some() => return frame,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!("no event within {timeout:?}"),
                Err(RecvTimeoutError::Disconnected) => panic!("the event stream ended"),
            }
        }
    }

    /// The first frame with a comment `text`, skipping events.
    ///
    /// # Panics
    ///
    /// When none arrives within `timeout`.
    pub fn next_comment(&self, text: &str, timeout: Duration) -> Frame {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.frames.recv_timeout(left) {
                Ok(frame) if frame.comments.iter().any(|c| c == text) => return frame,
                Ok(_) => {}
                Err(err) => panic!("no `: {text}` within {timeout:?}: {err}"),
            }
        }
    }
}
