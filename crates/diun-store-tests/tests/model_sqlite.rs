//! The model-based store test on SQLite: random operation sequences on a
//! temp-file database and on the in-memory model, compared after each step.

use diun_store_sqlite::SqliteStore;
use diun_store_tests::model;

#[test]
fn sqlite_behaves_as_the_model() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("model.db").display());
    let store = SqliteStore::open(&url, &model::options()).expect("open the SQLite store");
    model::check_against_model(&store, 32, 20);
}
