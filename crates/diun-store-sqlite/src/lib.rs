//! Embedded SQLite storage for Diun Dashboard.
//!
//! [`SqliteStore`] implements [`diun_core::Store`] on one SQLite file, with a
//! pool of connections and the schema migrations built in: opening a store
//! creates the file and its folder when needed and brings the schema up to date.
//!
//! ```
//! use chrono::Utc;
//! use diun_core::{Notification, Store, StoreOptions, UpdateFilter};
//! use diun_store_sqlite::SqliteStore;
//!
//! # let dir = tempfile::tempdir().unwrap();
//! # let path = dir.path().join("diun.db");
//! let store = SqliteStore::open(path.to_str().unwrap(), &StoreOptions::default())?;
//! let notification = Notification::from_json(br#"{"hostname": "nas", "image": "nginx:1.27", "digest": "sha256:1"}"#)?;
//! store.record_notification(&notification, Utc::now())?;
//!
//! let pending = UpdateFilter::pending();
//! assert_eq!(diun_core::page::all_updates(&store, &pending)?.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod backup;
mod checkpointer;
mod connection;
mod errors;
mod export;
mod models;
mod schema;
mod store;
mod triage;
mod writer_lock;

pub use backup::{backup, BackupReport};
pub use connection::{check_integrity, database_path, Synchronous};
pub use store::SqliteStore;
