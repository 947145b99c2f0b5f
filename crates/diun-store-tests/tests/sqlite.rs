//! The conformance suite on a temp-file SQLite database.

use diun_core::{Store, StoreOptions};
use diun_store_sqlite::SqliteStore;
use diun_store_tests::Harness;

struct SqliteHarness {
    store: SqliteStore,
    url: String,
    _dir: tempfile::TempDir,
}

impl Harness for SqliteHarness {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    /// Another store of this process on the same file: SQLite's change feed
    /// reaches the stores of one process.
    fn reopen(&self) -> Option<Box<dyn Store>> {
        Some(Box::new(SqliteStore::open(&self.url, &StoreOptions::default()).expect("reopen the SQLite store")))
    }
}

fn sqlite(options: StoreOptions) -> Option<SqliteHarness> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("conformance.db").display());
    let store = SqliteStore::open(&url, &options).expect("open the SQLite store");
    Some(SqliteHarness { store, url, _dir: dir })
}

diun_store_tests::conformance_suite!(sqlite);
