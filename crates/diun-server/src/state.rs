//! What every handler can reach.

use std::sync::Arc;

use diun_core::Store;

use crate::settings::Secret;

/// Shared, read-only state of the running server.
#[derive(Clone)]
pub struct AppState {
    /// Where updates and tags live.
    pub store: Arc<dyn Store>,
    /// The value the webhook's `Authorization` header must carry; `None` leaves it open.
    pub webhook_secret: Option<Secret>,
    /// The path prefix under a reverse proxy: `""` or `"/diun"`.
    pub base_path: String,
}

impl AppState {
    /// State for a store with no secret and no base path.
    pub fn new(store: Arc<dyn Store>) -> Self {
        AppState { store, webhook_secret: None, base_path: String::new() }
    }
}
