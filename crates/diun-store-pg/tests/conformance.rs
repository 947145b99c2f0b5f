//! The conformance suite on a fresh PostgreSQL database per scenario.
//!
//! Needs `DIUN_DASHBOARD_TEST_POSTGRES_URL`; see `diun_store_pg::testing`.

use diun_core::{Store, StoreOptions};
use diun_store_pg::testing::TestDatabase;
use diun_store_pg::PgStore;
use diun_store_tests::Harness;

struct PgHarness(TestDatabase);

impl Harness for PgHarness {
    fn store(&self) -> &dyn Store {
        self.0.store()
    }

    /// Another store on the same database, as another replica would open it.
    fn reopen(&self) -> Option<Box<dyn Store>> {
        Some(Box::new(PgStore::open(self.0.url(), &StoreOptions::default()).expect("reopen the PostgreSQL store")))
    }
}

fn postgres(options: StoreOptions) -> Option<PgHarness> {
    TestDatabase::create(options).map(PgHarness)
}

diun_store_tests::conformance_suite!(postgres);
