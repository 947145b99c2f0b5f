#![cfg(feature = "sqlite")]
//! Bounded resources on the real binary (issue 9, items 10 and 11): a body
//! trickled byte by byte is cut with 408, live event streams are capped, and
//! `Last-Event-ID` tells whether a reconnecting client missed anything.

mod common;
mod server;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;
use server::{call, EventStream, Server};

fn sqlite_server(vars: &[(&str, &str)]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("limits.db").display());
    let server = Server::start(&database, vars);
    (dir, server)
}

/// Sends a request head announcing `length` body bytes, then one byte every
/// `pace` for as long as the server reads; returns the status line, the JSON
/// body and how long the answer took.
fn trickle(server: &Server, method: &str, path: &str, length: usize, pace: Duration) -> (String, Value, Duration) {
    let mut stream = TcpStream::connect(server.address()).unwrap();
    stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut sent = 0;
    let mut next_byte = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if sent < length && Instant::now() >= next_byte {
            // The server may have closed its side: stop writing then.
            if stream.write_all(b" ").is_err() {
                sent = length;
            }
            sent += 1;
            next_byte += pace;
        }
        let mut buffer = [0; 4096];
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buffer[..n]);
                if complete(&answer) {
                    break;
                }
            }
            Err(err) if matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, serde_json::from_str(body).unwrap_or(Value::Null), took)
}

/// Whether `answer` holds a whole response with a Content-Length body.
fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let length = head
        .lines()
        .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
        .and_then(|v| v.parse::<usize>().ok());
    length.is_some_and(|length| body.len() >= length)
}

#[test]
fn a_trickled_body_is_cut_with_408_and_the_server_keeps_serving() {
    let (_dir, server) = sqlite_server(&[("DIUN_DASHBOARD_BODY_TIMEOUT_SECONDS", "1")]);
    let pace = Duration::from_millis(200);
    for (method, path) in
        [("POST", "/webhook"), ("GET", "/webhook"), ("POST", "/api/tags"), ("PATCH", "/api/updates/1")]
    {
        let (status, body, took) = trickle(&server, method, path, 500, pace);
        assert!(status.contains(" 408 "), "{method} {path}: {status} {body}");
        assert_eq!(body["error"], "request_timeout", "{method} {path}: {body}");
        assert!(body["message"].as_str().unwrap().contains("did not arrive"), "{body}");
        assert!(took < Duration::from_secs(4), "{method} {path}: answered after {took:?}");
        println!("{method} {path}: 408 after {took:?}");
    }
    // A body that arrives in time is served as usual, and nothing was stored.
    let (status, listing) = call("GET", &server.url("/api/updates"), None);
    assert_eq!((status, listing["updates"].as_array().map(Vec::len)), (200, Some(0)), "{listing}");
    let (status, _) = call("POST", &server.url("/webhook"), Some(&common::sample("docker.json")));
    assert_eq!(status, 200);
    let (status, tag) = call("POST", &server.url("/api/tags"), Some(br#"{"name":"media"}"#));
    assert_eq!(status, 201, "{tag}");
}

#[test]
fn a_slow_but_steady_body_within_the_limit_is_accepted() {
    let (_dir, server) = sqlite_server(&[("DIUN_DASHBOARD_BODY_TIMEOUT_SECONDS", "3")]);
    let body = br#"{"name":"slow"}"#;
    let mut stream = TcpStream::connect(server.address()).unwrap();
    let head = format!(
        "POST /api/tags HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    for byte in body {
        stream.write_all(&[*byte]).unwrap();
        std::thread::sleep(Duration::from_millis(60));
    }
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

/// Opens `GET /api/events` by hand with `headers`; returns the stream once
/// the head is read, with the status line.
fn open_events(server: &Server, headers: &str) -> (String, TcpStream) {
    let mut stream = TcpStream::connect(server.address()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET /api/events HTTP/1.1\r\nHost: x\r\n{headers}\r\n").unwrap();
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    (head.lines().next().unwrap().to_owned(), stream)
}

/// Reads what arrives on `stream` within `wait`.
fn read_for(stream: &mut TcpStream, wait: Duration) -> String {
    stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let until = Instant::now() + wait;
    let mut text = Vec::new();
    while Instant::now() < until {
        let mut buffer = [0; 4096];
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => text.extend_from_slice(&buffer[..n]),
            Err(_) => {}
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

#[test]
fn live_event_streams_are_capped_and_slots_come_back() {
    let (_dir, server) =
        sqlite_server(&[("DIUN_DASHBOARD_SSE_MAX_STREAMS", "2"), ("DIUN_DASHBOARD_SSE_HEARTBEAT_SECONDS", "1")]);
    let first = EventStream::open(&server.url("/api/events"));
    let (status, second) = open_events(&server, "");
    assert!(status.contains(" 200 "), "{status}");
    let (status, refused) = call("GET", &server.url("/api/events"), None);
    assert_eq!(status, 503, "{refused}");
    assert_eq!(refused["error"], "busy", "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("live event streams"), "{refused}");
    // The other routes are not affected.
    assert_eq!(call("GET", &server.url("/healthz"), None).0, 200);

    // A closed stream frees its slot once the server notices (its next heartbeat).
    drop(second);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, mut third) = open_events(&server, "");
        if status.contains(" 200 ") {
            assert!(read_for(&mut third, Duration::from_millis(300)).contains(": connected"));
            break;
        }
        assert!(Instant::now() < deadline, "the closed stream's slot never came back: {status}");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(first);
}

#[test]
fn last_event_id_decides_whether_a_reconnecting_client_resyncs() {
    let (_dir, server) = sqlite_server(&[("DIUN_DASHBOARD_SSE_HEARTBEAT_SECONDS", "1")]);
    let events = EventStream::open(&server.url("/api/events"));
    assert_eq!(call("POST", &server.url("/webhook"), Some(&common::sample("docker.json"))).0, 200);
    let created = events.next_event(Duration::from_secs(10));
    let last = created.id.clone().expect("events carry ids");

    // Nothing happened since `last`: no resync, just the opening and heartbeats.
    let (status, mut caught_up) = open_events(&server, &format!("Last-Event-ID: {last}\r\n"));
    assert!(status.contains(" 200 "), "{status}");
    let seen = read_for(&mut caught_up, Duration::from_millis(1500));
    assert!(seen.contains(": connected") && !seen.contains("resync"), "{seen}");

    // An older id, one from another run, or garbage: the client missed something.
    for stale in [(last.parse::<u64>().unwrap() - 1).to_string(), "7".into(), "not-a-number".into()] {
        let (status, mut behind) = open_events(&server, &format!("Last-Event-ID: {stale}\r\n"));
        assert!(status.contains(" 200 "), "{status}");
        let seen = read_for(&mut behind, Duration::from_millis(500));
        assert!(seen.contains("event: resync"), "Last-Event-ID {stale}: {seen}");
    }

    // A first connection (no Last-Event-ID) gets no resync.
    let (_, mut fresh) = open_events(&server, "");
    let seen = read_for(&mut fresh, Duration::from_millis(500));
    assert!(!seen.contains("resync"), "{seen}");
}
