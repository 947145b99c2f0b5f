//! The one bridge from async handlers to the blocking [`Store`].
//!
//! Reads that list, search or count are CPU work, for this process and for
//! the database alike. Were they all let in at once, sixteen dashboards
//! paging would share the cores with a webhook, and the webhook would wait
//! its turn behind them. So [`call_store`] admits as many such calls at a
//! time as there are cores, and the others wait (asynchronously, holding no
//! thread) for their turn; [`call_store_now`], for webhooks and the other
//! short calls that must not queue behind readers, never waits for one.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use actix_web::web;
use diun_core::{Store, StoreResult};
use tokio::sync::Semaphore;

use crate::error::ApiError;
use crate::telemetry::record_store_duration;

/// Runs `work` on actix's thread pool for blocking calls, so that a slow
/// query never stalls the event loop, once one of the [`admitted`] turns is
/// free. `operation` names it in the metrics.
pub async fn call_store<T, F>(store: &Arc<dyn Store>, operation: &'static str, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
{
    // Never closed, so acquiring cannot fail.
    let _turn = admitted().acquire().await.map_err(|_| ApiError::Internal)?;
    call_store_now(store, operation, work).await
}

/// [`call_store`] without waiting for a turn: for webhooks (a sender must
/// not wait behind dashboards reading), and for calls that read one row
/// (the revision, a ping).
pub async fn call_store_now<T, F>(store: &Arc<dyn Store>, operation: &'static str, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
{
    let store = Arc::clone(store);
    web::block(move || {
        let started = Instant::now();
        let result = work(store.as_ref());
        record_store_duration(operation, started);
        result
    })
    .await
    .map_err(|err| {
        log::error!("a blocking store call failed to run: {err}");
        ApiError::Internal
    })?
    .map_err(ApiError::from)
}

/// The turns of [`call_store`]: one per core, for the whole process (the
/// cores are shared by every app it serves).
fn admitted() -> &'static Semaphore {
    static TURNS: OnceLock<Semaphore> = OnceLock::new();
    TURNS.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(1, usize::from)))
}
