//! Shared helpers of the server's tests: the real sample bodies and stores on
//! real databases.
#![allow(dead_code, unused_macros)]

pub mod capture;
pub mod requests;

use std::path::PathBuf;
use std::sync::Arc;

use diun_core::{Store, StoreOptions};

/// The folder of real Diun webhook bodies, beside the checkout.
pub fn samples_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DIUN_WEBHOOK_SAMPLES") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/diun-webhooks")
}

/// Every sample body: `(file name, bytes)`; the real ones and one per provider.
pub fn samples() -> Vec<(String, Vec<u8>)> {
    let dir = samples_dir();
    let mut samples: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("the webhook samples at {} cannot be read: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap()))
        .collect();
    samples.sort();
    assert!(samples.len() >= 8, "expected the 3 real and 5 provider samples in {}", dir.display());
    samples
}

/// One sample body by file name.
pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(samples_dir().join(name)).unwrap_or_else(|err| panic!("sample {name}: {err}"))
}

/// A store on a fresh database, and whatever must live as long as it.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    _guard: Box<dyn std::any::Any>,
}

/// A fresh SQLite store in a temp folder.
#[cfg(feature = "sqlite")]
pub fn sqlite_store() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("http.db").display());
    let store = diun_store_sqlite::SqliteStore::open(&url, &StoreOptions::default()).unwrap();
    TestStore { store: Arc::new(store), _guard: Box::new(dir) }
}

/// A fresh PostgreSQL database, or `None` when no test server is configured
/// (the harness says so, and refuses to skip under CI).
#[cfg(feature = "postgres")]
pub fn postgres_store() -> Option<TestStore> {
    let database = diun_store_pg::testing::TestDatabase::create(StoreOptions::default())?;
    let store: Arc<dyn Store> = Arc::new(database.store().clone());
    Some(TestStore { store, _guard: Box::new(database) })
}

/// Runs each scenario of a test file on every backend compiled in: `sqlite::NAME`, `postgres::NAME`.
macro_rules! on_every_backend {
    ($($(#[$attr:meta])* $name:ident),+ $(,)?) => {
        #[cfg(feature = "sqlite")]
        mod sqlite {
            $($(#[$attr])* #[actix_rt::test]
            async fn $name() {
                super::$name(super::common::sqlite_store()).await
            })+
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $($(#[$attr])* #[actix_rt::test]
            async fn $name() {
                let Some(store) = super::common::postgres_store() else { return };
                super::$name(store).await
            })+
        }
    };
}
