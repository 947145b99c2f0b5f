//! The conformance suite on the in-memory store: the worked example of
//! running the suite against a `Store` of one's own.

use diun_core::Store;
use diun_store_tests::memory::MemoryStore;
use diun_store_tests::{Harness, StoreOptions};

struct MemoryHarness(MemoryStore);

impl Harness for MemoryHarness {
    fn store(&self) -> &dyn Store {
        &self.0
    }

    /// A clone shares the data and the change feed, as a second store on one database would.
    fn reopen(&self) -> Option<Box<dyn Store>> {
        Some(Box::new(self.0.clone()))
    }
}

fn memory(options: StoreOptions) -> Option<MemoryHarness> {
    Some(MemoryHarness(MemoryStore::new(&options)))
}

diun_store_tests::conformance_suite!(memory);
