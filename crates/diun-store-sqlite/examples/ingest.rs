//! Records Diun webhook bodies in a SQLite store and prints the pending updates.
//!
//! ```text
//! cargo run -p diun-store-sqlite --example ingest                        # a sample body, a temp database
//! cargo run -p diun-store-sqlite --example ingest -- body.json more.json # your bodies
//! cargo run -p diun-store-sqlite --example ingest -- --db diun.db body.json
//! ```
//!
//! Without `--db` the database is a temporary file, gone when the program ends.

use std::error::Error;
use std::path::PathBuf;

use chrono::Utc;
use diun_core::{Notification, Store, StoreOptions, UpdateFilter};
use diun_store_sqlite::SqliteStore;

/// A body as the docker provider of Diun sends it.
const SAMPLE_BODY: &str = include_str!("docker-webhook.json");

fn main() -> Result<(), Box<dyn Error>> {
    let mut database: Option<PathBuf> = None;
    let mut bodies = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--db" => database = Some(args.next().ok_or("--db needs a path")?.into()),
            "-h" | "--help" => {
                println!("usage: ingest [--db DATABASE] [BODY.json…]");
                return Ok(());
            }
            path => bodies.push((path.to_owned(), std::fs::read(path).map_err(|err| format!("{path}: {err}"))?)),
        }
    }
    if bodies.is_empty() {
        bodies.push(("the sample body".to_owned(), SAMPLE_BODY.as_bytes().to_vec()));
    }

    // Kept alive until the end: the temporary database lives in it.
    let temp_dir = tempfile::tempdir()?;
    let database = database.unwrap_or_else(|| temp_dir.path().join("diun.db"));
    let store =
        SqliteStore::open(database.to_str().ok_or("the database path is not UTF-8")?, &StoreOptions::default())?;

    for (origin, body) in &bodies {
        let notification = Notification::from_json(body).map_err(|err| format!("{origin}: {err}"))?;
        let update = store.record_notification(&notification, Utc::now())?;
        println!("recorded {origin}: update {} ({} on {})", update.id, update.image, update.hostname);
    }

    let pending = diun_core::page::all_updates(&store, &UpdateFilter::pending())?;
    println!("\n{} pending update(s) in {}:", pending.len(), database.display());
    for update in &pending {
        let tag = update.tag.as_ref().map(|tag| format!(" [{}]", tag.name)).unwrap_or_default();
        println!(
            "  #{} {} on {}{tag}\n      {} {} ({}), seen {} time(s), last at {}",
            update.id,
            update.image,
            update.hostname,
            update.status,
            update.digest,
            update.platform,
            update.event_count,
            update.last_seen_at.to_rfc3339(),
        );
    }
    Ok(())
}
