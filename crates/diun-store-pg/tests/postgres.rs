//! What only PostgreSQL needs checking: migrations in both directions,
//! replicas starting together, the server going away and coming back, and
//! text that PostgreSQL cannot hold.
//!
//! Needs `DIUN_DASHBOARD_TEST_POSTGRES_URL`; see `diun_store_pg::testing`.

use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use diun_core::{Notification, Store, StoreError, StoreOptions, TagName, UpdateFilter};
use diun_store_pg::testing::TestDatabase;
use diun_store_pg::PgStore;

fn notification(host: &str, image: &str) -> Notification {
    let mut notification = Notification::from_json(br#"{"image":"placeholder","digest":"sha256:1"}"#).unwrap();
    (notification.hostname, notification.image) = (host.to_owned(), image.to_owned());
    notification
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap()
}

#[test]
fn down_migrations_undo_up_migrations() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    db.store().record_notification(&notification("nas", "a"), now()).unwrap();
    db.revert_migrations().unwrap();
    // Every table is gone with its data: the operations fail, not answer empty.
    assert!(db.store().list_updates(&UpdateFilter::default()).is_err());
    let store = PgStore::open(db.url(), &StoreOptions::default()).unwrap();
    assert!(store.list_updates(&UpdateFilter::default()).unwrap().is_empty());
    store.record_notification(&notification("nas", "a"), now()).unwrap();
}

#[test]
fn replicas_opening_an_empty_database_together_all_succeed() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    db.revert_migrations().unwrap();
    let stores: Vec<PgStore> = std::thread::scope(|scope| {
        let opening: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| PgStore::open(db.url(), &StoreOptions::default()).expect("open a replica")))
            .collect();
        opening.into_iter().map(|replica| replica.join().unwrap()).collect()
    });
    let first = stores[0].record_notification(&notification("nas", "a"), now()).unwrap();
    for store in &stores {
        assert_eq!(store.get_update(first.id).unwrap(), first);
    }
}

#[test]
fn text_postgresql_cannot_hold_matches_nothing() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let store = db.store();
    store.record_notification(&notification("nas", "a"), now()).unwrap();
    let tag = store.create_tag(&TagName::parse("media").unwrap(), now()).unwrap();
    for filter in [
        UpdateFilter { host: Some("n\0as".into()), ..UpdateFilter::default() },
        UpdateFilter { query: Some("\0".into()), ..UpdateFilter::default() },
    ] {
        assert!(store.list_updates(&filter).unwrap().is_empty(), "{filter:?}");
    }
    assert!(!store.unassign_tag("a\0").unwrap());
    assert!(matches!(store.assign_tag("a\0", tag.id), Err(StoreError::Invalid(_))));
    assert!(matches!(store.assign_tag("a\0", tag.id + 1), Err(StoreError::NotFound(_))));
}

#[test]
fn backslash_in_a_query_is_literal() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let store = db.store();
    let odd = store.record_notification(&notification("nas", r"reg\istry/a"), now()).unwrap();
    store.record_notification(&notification("nas", "registry/a"), now()).unwrap();
    let found = store.list_updates(&UpdateFilter { query: Some(r"G\I".into()), ..UpdateFilter::default() }).unwrap();
    assert_eq!(found.into_iter().map(|u| u.id).collect::<Vec<_>>(), [odd.id]);
}

#[test]
fn tags_sort_by_code_point_whatever_the_locale() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let store = db.store();
    for name in ["ab", "a-c", "a b", "Zulu", "été"] {
        store.create_tag(&TagName::parse(name).unwrap(), now()).unwrap();
    }
    let names: Vec<String> = store.list_tags().unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["a b", "a-c", "ab", "Zulu", "été"]);
}

/// Operations fail as unavailable within the connection timeout while the
/// server cannot be reached, and work again by themselves once it can.
#[test]
fn an_unreachable_server_is_unavailable_then_recovers() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let mut proxy = Proxy::start(server_address(db.url()));
    let options = StoreOptions { connection_timeout: Duration::from_secs(1), pool_size: 2, ..StoreOptions::default() };
    let store = PgStore::open(&proxy.url(db.url()), &options).unwrap();
    store.record_notification(&notification("nas", "a"), now()).unwrap();

    proxy.stop();
    for attempt in 0..3 {
        let started = Instant::now();
        let result = store.list_updates(&UpdateFilter::default());
        assert!(matches!(result, Err(StoreError::Unavailable(_))), "attempt {attempt}: {result:?}");
        assert!(started.elapsed() < Duration::from_secs(4), "attempt {attempt} took {:?}", started.elapsed());
    }
    assert!(matches!(store.record_notification(&notification("nas", "b"), now()), Err(StoreError::Unavailable(_))));

    proxy.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    let updates = loop {
        match store.list_updates(&UpdateFilter::default()) {
            Ok(updates) => break updates,
            Err(StoreError::Unavailable(_)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100))
            }
            Err(err) => panic!("the store did not recover: {err}"),
        }
    };
    assert_eq!(updates.len(), 1);
    store.ping().unwrap();
}

/// Needs no server: opening against a closed port fails at once, as unavailable.
#[test]
fn opening_an_unreachable_server_is_unavailable() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let result = PgStore::open(&format!("postgres://postgres@127.0.0.1:{port}/diun"), &StoreOptions::default());
    assert!(matches!(result, Err(StoreError::Unavailable(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

fn server_address(url: &str) -> SocketAddr {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.split(['/', '?']).next().unwrap();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    host_port.to_socket_addrs().unwrap().next().expect("the test server's address")
}

/// A TCP proxy to the test server that can be taken down (connections cut,
/// new ones refused) and brought back on the same port.
struct Proxy {
    listen: SocketAddr,
    target: SocketAddr,
    running: Arc<AtomicBool>,
    streams: Arc<Mutex<Vec<TcpStream>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut proxy = Proxy {
            listen: listener.local_addr().unwrap(),
            target,
            running: Arc::default(),
            streams: Arc::default(),
            acceptor: None,
        };
        proxy.serve(listener);
        proxy
    }

    /// `url` with the proxy as its host.
    fn url(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").unwrap();
        let path_start = rest.find(['/', '?']).unwrap_or(rest.len());
        let user = rest[..path_start].rsplit_once('@').map(|(user, _)| format!("{user}@")).unwrap_or_default();
        format!("{scheme}://{user}{}{}", self.listen, &rest[path_start..])
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        self.running.store(true, Ordering::SeqCst);
        let (running, streams, target) = (self.running.clone(), self.streams.clone(), self.target);
        self.acceptor = Some(std::thread::spawn(move || {
            while running.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = TcpStream::connect(target) else { continue };
                        let mut kept = streams.lock().unwrap();
                        kept.extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                        pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                        pipe(server, client);
                    }
                    Err(err) if err.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(5)),
                    Err(err) => panic!("proxy accept: {err}"),
                }
            }
        }));
    }

    /// Cuts every connection and refuses new ones.
    fn stop(&mut self) {
        self.running.store(false, Ordering::SeqCst);
        self.acceptor.take().unwrap().join().unwrap();
        for stream in self.streams.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restart(&mut self) {
        let listener = TcpListener::bind(self.listen).unwrap();
        self.serve(listener);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if self.acceptor.is_some() {
            self.stop();
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
    });
}
