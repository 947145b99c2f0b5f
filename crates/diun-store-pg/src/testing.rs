//! Throwaway PostgreSQL databases for tests (feature `test-harness`).
//!
//! Tests name the server in `DIUN_DASHBOARD_TEST_POSTGRES_URL`, for example
//! `postgres://postgres@127.0.0.1:5432`; each [`TestDatabase`] is a fresh
//! database on it, dropped again when the test ends. Without the variable the
//! tests skip (and say so), except under CI (`CI` set), where they fail.
//!
//! ```no_run
//! use diun_core::{Store, StoreOptions};
//! use diun_store_pg::testing::TestDatabase;
//!
//! let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
//! db.store().ping().unwrap();
//! ```

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::thread::JoinHandle;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diun_core::StoreOptions;

use crate::connection::{establish, revert_all_migrations};
use crate::PgStore;

/// The environment variable naming the PostgreSQL server that tests use.
pub const URL_VARIABLE: &str = "DIUN_DASHBOARD_TEST_POSTGRES_URL";

/// A fresh database with a [`PgStore`] open on it; dropped with the value.
#[derive(Debug)]
pub struct TestDatabase {
    // An Option so that Drop can close the pool before dropping the database.
    store: Option<PgStore>,
    server_url: String,
    url: String,
    name: String,
}

impl TestDatabase {
    /// Creates a uniquely named database on the server in
    /// [`URL_VARIABLE`] and opens a store on it with `options`.
    ///
    /// Returns `None` when the variable is unset, after saying once on stderr
    /// that PostgreSQL tests are skipped.
    ///
    /// # Panics
    ///
    /// When the variable is unset under CI (the `CI` variable is set), so that
    /// CI never skips these tests silently; and when the server refuses to
    /// create the database or the store cannot open it.
    pub fn create(options: StoreOptions) -> Option<TestDatabase> {
        let server_url = server_url()?;
        let name = unique_name();
        let mut admin = establish(&server_url)
            .unwrap_or_else(|err| panic!("cannot connect to the PostgreSQL test server ({URL_VARIABLE}): {err}"));
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|err| panic!("cannot create the test database {name}: {err}"));
        let mut database = TestDatabase { store: None, url: database_url(&server_url, &name), server_url, name };
        let store = PgStore::open(&database.url, &options)
            .unwrap_or_else(|err| panic!("cannot open a store on the test database {}: {err}", database.name));
        database.store = Some(store);
        Some(database)
    }

    /// The store on this database.
    pub fn store(&self) -> &PgStore {
        self.store.as_ref().expect("the store lives until the database is dropped")
    }

    /// The database's name, `diun_test_…`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of this database, for opening more stores on it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs `sql` (one or more statements) on a connection of its own, outside
    /// the store: for seeding large test data in bulk, and for `VACUUM`.
    pub fn execute(&self, sql: &str) -> diun_core::StoreResult<()> {
        establish(&self.url)?.batch_execute(sql).map_err(crate::errors::from_diesel)
    }

    /// Reverts every migration, newest first, with their down migrations;
    /// the next [`PgStore::open`] runs them all again.
    pub fn revert_migrations(&self) -> diun_core::StoreResult<()> {
        revert_all_migrations(&mut establish(&self.url)?)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        drop(self.store.take());
        // FORCE ends connections the pool may still be opening in the background.
        let dropped = establish(&self.server_url).and_then(|mut admin| {
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name))
                .map_err(crate::errors::from_diesel)
        });
        if let Err(err) = dropped {
            eprintln!("cannot drop the test database {}: {err}", self.name);
        }
    }
}

/// A TCP proxy to a PostgreSQL server that a test can take down (every
/// connection cut, new ones refused) and bring back on the same port, to
/// play an outage of the database.
///
/// ```no_run
/// use diun_core::{Store, StoreOptions};
/// use diun_store_pg::testing::{TcpProxy, TestDatabase};
/// use diun_store_pg::PgStore;
///
/// let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
/// let mut proxy = TcpProxy::to_server_of(db.url());
/// let store = PgStore::open(&proxy.url(db.url()), &StoreOptions::default()).unwrap();
/// proxy.stop();
/// assert!(store.ping().is_err());
/// proxy.restart();
/// ```
#[derive(Debug)]
pub struct TcpProxy {
    listen: SocketAddr,
    target: SocketAddr,
    running: Arc<AtomicBool>,
    /// While set, nothing is forwarded: bytes wait in the proxy, sockets stay open.
    frozen: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl TcpProxy {
    /// Starts a proxy on a free local port, forwarding to `target`.
    pub fn start(target: SocketAddr) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let mut proxy = TcpProxy {
            listen: listener.local_addr().expect("the proxy's address"),
            target,
            running: Arc::default(),
            frozen: Arc::default(),
            streams: Arc::default(),
            acceptor: None,
        };
        proxy.serve(listener);
        proxy
    }

    /// Starts a proxy to the server that `url` (`postgres://…`) names.
    pub fn to_server_of(url: &str) -> TcpProxy {
        TcpProxy::start(server_address(url))
    }

    /// Where the proxy listens.
    pub fn address(&self) -> SocketAddr {
        self.listen
    }

    /// `url` (`postgres://…`) with the proxy as its host and port.
    pub fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
        let path_start = rest.find(['/', '?']).unwrap_or(rest.len());
        let user = rest[..path_start].rsplit_once('@').map(|(user, _)| format!("{user}@")).unwrap_or_default();
        format!("{scheme}://{user}{}{}", self.listen, &rest[path_start..])
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).expect("a non-blocking listener");
        self.running.store(true, Ordering::SeqCst);
        let (running, streams, target) = (self.running.clone(), self.streams.clone(), self.target);
        let frozen = self.frozen.clone();
        self.acceptor = Some(std::thread::spawn(move || {
            while running.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        let Ok(server) = TcpStream::connect(target) else { continue };
                        let (Ok(client_copy), Ok(server_copy)) = (client.try_clone(), server.try_clone()) else {
                            continue;
                        };
                        let mut kept = streams.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        kept.extend([client_copy, server_copy]);
                        if let (Ok(client_copy), Ok(server_copy)) = (client.try_clone(), server.try_clone()) {
                            pipe(client_copy, server_copy, frozen.clone());
                            pipe(server, client, frozen.clone());
                        }
                    }
                    Err(err) if err.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(5)),
                    Err(err) => panic!("proxy accept: {err}"),
                }
            }
        }));
    }

    /// Cuts every connection and refuses new ones; ends a [freeze](Self::freeze) too.
    ///
    /// # Panics
    ///
    /// When the proxy is stopped already.
    pub fn stop(&mut self) {
        // A reset ends a freeze: the bytes held back go nowhere.
        self.frozen.store(false, Ordering::SeqCst);
        self.running.store(false, Ordering::SeqCst);
        self.acceptor.take().expect("the proxy is running").join().expect("the proxy's thread");
        for stream in self.streams.lock().unwrap_or_else(std::sync::PoisonError::into_inner).drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Stops forwarding in both directions but keeps every connection open
    /// and accepts new ones: the database seems alive to TCP (the proxy's
    /// kernel acknowledges what is sent) and never answers, as a paused
    /// proxy, a stuck failover or a stopped server process would.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    /// Forwards again, starting with whatever waited while frozen.
    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
    }

    /// Accepts connections again, on the same port.
    ///
    /// # Panics
    ///
    /// When the port was taken meanwhile.
    pub fn restart(&mut self) {
        let listener = TcpListener::bind(self.listen).expect("bind the proxy's port again");
        self.serve(listener);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        if self.acceptor.is_some() {
            self.stop();
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream, frozen: Arc<AtomicBool>) {
    use std::io::Read;
    std::thread::spawn(move || {
        let mut buffer = [0; 16 * 1024];
        while let Ok(read) = from.read(&mut buffer) {
            if read == 0 {
                break;
            }
            while frozen.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
            }
            if to.write_all(&buffer[..read]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// The socket address of the server that `url` (`postgres://…`) names; port 5432 when it names none.
///
/// # Panics
///
/// When the host cannot be resolved.
pub fn server_address(url: &str) -> SocketAddr {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    host_port.to_socket_addrs().ok().and_then(|mut a| a.next()).expect("the test server's address")
}

/// The server URL from the environment; see [`TestDatabase::create`].
fn server_url() -> Option<String> {
    match std::env::var(URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_owned()),
        _ if running_in_ci() => {
            panic!("{URL_VARIABLE} is not set: PostgreSQL tests must run in CI (set it to postgres://…)")
        }
        _ => {
            static SKIPPED: Once = Once::new();
            SKIPPED.call_once(|| {
                // Straight to stderr: libtest captures `eprintln!` of passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "PostgreSQL tests skipped: set {URL_VARIABLE}=postgres://… to run them"
                );
            });
            None
        }
    }
}

fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !matches!(value.trim(), "" | "0" | "false"))
}

/// `diun_test_<pid>_<counter>_<random>`: unique across the tests of one
/// process and across processes (and machines) sharing the server.
fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let random = RandomState::new().build_hasher().finish() as u32;
    format!("diun_test_{}_{counter}_{random:08x}", std::process::id())
}

/// The URL of database `name` on the server at `server_url`: its path
/// replaced, its query kept.
fn database_url(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url = format!("{url}?{query}");
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_replaces_the_path_only() {
        assert_eq!(database_url("postgres://postgres@127.0.0.1:5432", "t"), "postgres://postgres@127.0.0.1:5432/t");
        assert_eq!(database_url("postgres://u:p@h/postgres", "t"), "postgres://u:p@h/t");
        assert_eq!(database_url("postgresql://h:5432/?sslmode=disable", "t"), "postgresql://h:5432/t?sslmode=disable");
    }

    #[test]
    fn names_are_unique_and_valid_identifiers() {
        let (a, b) = (unique_name(), unique_name());
        assert_ne!(a, b);
        assert!(a.len() <= 63 && a.starts_with("diun_test_"), "{a}");
        assert!(a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{a}");
    }
}
