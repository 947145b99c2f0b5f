//! PostgreSQL storage for Diun Dashboard.
//!
//! [`PgStore`] implements [`diun_core::Store`] on a PostgreSQL database, with
//! a pool of connections and the schema migrations built in: opening a store
//! brings the schema up to date (several replicas may start at once), and the
//! store rides out the server going away and coming back: meanwhile
//! operations fail with [`StoreError::Unavailable`](diun_core::StoreError::Unavailable)
//! within [`StoreOptions::connection_timeout`](diun_core::StoreOptions::connection_timeout).
//!
//! The database itself must exist; the store creates its tables.
//!
//! ```no_run
//! use chrono::Utc;
//! use diun_core::{Notification, Store, StoreOptions, UpdateFilter};
//! use diun_store_pg::PgStore;
//!
//! let store = PgStore::open("postgres://diun:secret@db.lan:5432/diun", &StoreOptions::default())?;
//! let notification = Notification::from_json(br#"{"hostname": "nas", "image": "nginx:1.27", "digest": "sha256:1"}"#)?;
//! store.record_notification(&notification, Utc::now())?;
//!
//! let pending = UpdateFilter::pending();
//! assert_eq!(diun_core::page::all_updates(&store, &pending)?.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With the `test-harness` feature, `testing::TestDatabase` gives tests a
//! throwaway database on the server named by `DIUN_DASHBOARD_TEST_POSTGRES_URL`.
#![warn(missing_docs)]

mod connection;
mod errors;
mod export;
mod feed;
mod models;
mod record;
mod schema;
mod store;
#[cfg(feature = "test-harness")]
pub mod testing;
mod triage;

pub use store::PgStore;
