//! TLS to the PostgreSQL server: the libpq this crate links (with the
//! `bundled` feature, built from source with OpenSSL) encrypts the connection
//! when the URL asks for it, and the store works over it.
//!
//! Needs `DIUN_DASHBOARD_TEST_POSTGRES_URL`; when that server has no TLS
//! configured (`SHOW ssl` is `off`), the test says so and checks nothing more.

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diun_core::{Store, StoreOptions};
use diun_store_pg::testing::TestDatabase;
use diun_store_pg::PgStore;

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    ssl: String,
}

#[derive(QueryableByName)]
struct Encrypted {
    #[diesel(sql_type = Bool)]
    ssl: bool,
}

fn with_sslmode(url: &str, mode: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode={mode}")
}

#[test]
fn sslmode_require_encrypts_the_connection() {
    let Some(db) = TestDatabase::create(StoreOptions::default()) else { return };
    let mut plain = PgConnection::establish(&with_sslmode(db.url(), "disable")).unwrap();
    let offered = diesel::sql_query("SHOW ssl").get_result::<Setting>(&mut plain).unwrap().ssl;
    if offered != "on" {
        eprintln!("the PostgreSQL test server has no TLS configured (ssl = {offered}): TLS not checked");
        return;
    }
    let encrypted = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    let sql = diesel::sql_query(encrypted);
    assert!(!sql.clone().get_result::<Encrypted>(&mut plain).unwrap().ssl, "sslmode=disable is plain text");

    let url = with_sslmode(db.url(), "require");
    let mut tls = PgConnection::establish(&url).unwrap_or_else(|err| panic!("sslmode=require: {err}"));
    assert!(sql.get_result::<Encrypted>(&mut tls).unwrap().ssl, "sslmode=require must encrypt");

    // The store opens, migrates and answers over TLS too.
    let store = PgStore::open(&url, &StoreOptions::default()).unwrap();
    store.ping().unwrap();
}
