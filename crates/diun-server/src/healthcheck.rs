//! `diun-dashboard healthcheck`: asks the configured listen address for
//! `/readyz`, for container health checks in images that have no curl.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// The address to ask when the server listens on `listen`: a wildcard
/// address (`0.0.0.0`, `[::]`) is asked on its loopback.
pub fn target(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// `GET {base_path}/readyz` on `address`: `Ok` on a 200 within `timeout`,
/// otherwise one sentence saying what went wrong.
pub fn check(address: SocketAddr, base_path: &str, timeout: Duration) -> Result<(), String> {
    let url = format!("http://{address}{base_path}/readyz");
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(|err| format!("{url}: {err}"))?;
    stream.set_read_timeout(Some(timeout)).and_then(|()| stream.set_write_timeout(Some(timeout))).ok();
    let request = format!("GET {base_path}/readyz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(|err| format!("{url}: {err}"))?;
    // Only the status line matters; read a bounded amount.
    let mut head = Vec::new();
    stream.take(4096).read_to_end(&mut head).map_err(|err| format!("{url}: no answer: {err}"))?;
    let head = String::from_utf8_lossy(&head);
    let status_line = head.lines().next().unwrap_or_default();
    match status_line.split(' ').nth(1) {
        Some("200") => Ok(()),
        Some(status) if status_line.starts_with("HTTP/") => Err(format!("{url} answered {status}")),
        _ => Err(format!("{url}: not an HTTP answer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-shot server that answers `response` to the first connection.
    fn answer_once(response: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            // Read the whole request head: closing with unread bytes would reset the connection.
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                request.push(byte[0]);
            }
            let _ = stream.write_all(response.as_bytes());
        });
        address
    }

    #[test]
    fn wildcard_addresses_are_asked_on_loopback() {
        assert_eq!(target("0.0.0.0:8080".parse().unwrap()), "127.0.0.1:8080".parse().unwrap());
        assert_eq!(target("[::]:80".parse().unwrap()), "[::1]:80".parse().unwrap());
        assert_eq!(target("10.1.2.3:8080".parse().unwrap()), "10.1.2.3:8080".parse().unwrap());
    }

    #[test]
    fn only_a_200_is_healthy() {
        let second = Duration::from_secs(5);
        let ok = answer_once("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(check(ok, "", second), Ok(()));
        let unready = answer_once("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n");
        let err = check(unready, "/diun", second).unwrap_err();
        assert!(err.ends_with("/diun/readyz answered 503"), "{err}");
        let garbage = answer_once("SSH-2.0-OpenSSH\r\n");
        let err = check(garbage, "", second).unwrap_err();
        assert!(err.contains("not an HTTP answer"), "{err}");
    }

    #[test]
    fn nothing_listening_is_unhealthy() {
        let address = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let err = check(address, "", Duration::from_secs(5)).unwrap_err();
        assert!(err.starts_with(&format!("http://{address}/readyz: ")), "{err}");
    }
}
