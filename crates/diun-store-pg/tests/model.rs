//! The model-based store test on PostgreSQL: random operation sequences on
//! one throwaway database (emptied between cases) and on the in-memory
//! model, compared after each step.
//!
//! Needs `DIUN_DASHBOARD_TEST_POSTGRES_URL`; see `diun_store_pg::testing`
//! (skips without it, fails under CI without it).

use diun_store_pg::testing::TestDatabase;
use diun_store_tests::model;

#[test]
fn postgres_behaves_as_the_model() {
    let Some(db) = TestDatabase::create(model::options()) else { return };
    model::check_against_model(db.store(), 32, 20);
}
