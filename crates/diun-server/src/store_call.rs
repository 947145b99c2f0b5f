//! The one bridge from async handlers to the blocking [`Store`].

use std::sync::Arc;
use std::time::Instant;

use actix_web::web;
use diun_core::{Store, StoreResult};

use crate::error::ApiError;
use crate::telemetry::record_store_duration;

/// Runs `work` on actix's thread pool for blocking calls, so that a slow
/// query never stalls the event loop.
/// `operation` names it in the metrics.
pub async fn call_store<T, F>(store: &Arc<dyn Store>, operation: &'static str, work: F) -> Result<T, ApiError>
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
