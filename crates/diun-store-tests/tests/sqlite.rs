//! The conformance suite on a temp-file SQLite database.

use diun_core::{Store, StoreOptions};
use diun_store_sqlite::SqliteStore;
use diun_store_tests::Harness;

struct SqliteHarness {
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

impl Harness for SqliteHarness {
    fn store(&self) -> &dyn Store {
        &self.store
    }
}

fn sqlite(options: StoreOptions) -> Option<SqliteHarness> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("conformance.db").display());
    let store = SqliteStore::open(&url, &options).expect("open the SQLite store");
    Some(SqliteHarness { store, _dir: dir })
}

diun_store_tests::conformance_suite!(sqlite);
