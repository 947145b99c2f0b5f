//! The one bridge from async handlers to the blocking [`Store`].

use std::sync::Arc;

use actix_web::web;
use diun_core::{Store, StoreResult};

use crate::error::ApiError;

/// Runs `work` on actix's thread pool for blocking calls, so that a slow
/// query never stalls the event loop.
pub async fn call_store<T, F>(store: &Arc<dyn Store>, work: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> StoreResult<T> + Send + 'static,
{
    let store = Arc::clone(store);
    web::block(move || work(store.as_ref()))
        .await
        .map_err(|err| {
            log::error!("a blocking store call failed to run: {err}");
            ApiError::Internal
        })?
        .map_err(ApiError::from)
}
