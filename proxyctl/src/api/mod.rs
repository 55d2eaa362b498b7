//! OpenWhisk's REST API v1, the subset `serve` answers: actions (put, get, list,
//! delete, invoke) and activations (list, get, logs, result), under
//! `/api/v1/namespaces/{namespace}`, with upstream's paths, status codes, field
//! names and error bodies ([`error`]).

pub mod actions;
pub mod activations;
pub mod auth;
pub mod error;
pub mod exec;
pub mod extract;
pub mod invoke;
pub mod limits;
pub mod params;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use proxy_core::pool::PoolHandle;
use proxy_store::{Page, Store};

use crate::board::Board;
use crate::sink::Waiters;
use error::ApiError;
use exec::Kinds;

/// What every handler shares.
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The pool.
    pub pool: PoolHandle,
    /// The blocking requests waiting for their activations.
    pub waiters: Arc<Waiters>,
    /// The containers and activation stats, for the live view and the metrics.
    pub board: Arc<Board>,
    /// How kinds map to images.
    pub kinds: Kinds,
    /// The keys parameters are locked with at rest.
    pub params: params::ParameterLock,
    /// Set once a shutdown began: new invokes are refused with 503.
    pub draining: AtomicBool,
}

impl AppState {
    /// Whether the server is shutting down.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

/// The API's routes.
pub fn router(state: Arc<AppState>) -> Router {
    let ns = "/api/v1/namespaces/{namespace}";
    Router::new()
        .route(&format!("{ns}/actions"), get(actions::list))
        .route(
            &format!("{ns}/actions/{{name}}"),
            get(actions::get).put(actions::put).delete(actions::delete).post(invoke::invoke),
        )
        .route(&format!("{ns}/activations"), get(activations::list))
        .route(&format!("{ns}/activations/{{id}}"), get(activations::get))
        .route(&format!("{ns}/activations/{{id}}/logs"), get(activations::logs))
        .route(&format!("{ns}/activations/{{id}}/result"), get(activations::result))
        .route("/metrics", get(crate::metrics::scrape)) // unauthenticated, as Prometheus scrapes
        .merge(crate::live::router())
        .fallback(|| async { ApiError::not_found() })
        .with_state(state)
}

/// The most entries a list returns (upstream's `collectionListLimit`).
pub const LIST_MAX: usize = 200;

/// The page of a list: `limit` (default 30, at most [`LIST_MAX`]; 0 the default, as
/// upstream treats it) and `skip`.
///
/// ```
/// use proxyctl::api::page;
/// assert_eq!(page(None, None).unwrap(), proxy_store::Page { limit: 30, skip: 0 });
/// assert_eq!(page(Some(5), Some(2)).unwrap(), proxy_store::Page { limit: 5, skip: 2 });
/// assert!(page(Some(201), None).is_err());
/// ```
pub fn page(limit: Option<usize>, skip: Option<usize>) -> Result<Page, ApiError> {
    let limit = match limit {
        None | Some(0) => Page::default().limit,
        Some(n) if n > LIST_MAX => {
            return Err(ApiError::bad_request(format!(
                "The value '{n}' is not in the range of 0 to {LIST_MAX} for 'limit'."
            )))
        }
        Some(n) => n,
    };
    Ok(Page { limit, skip: skip.unwrap_or(0) })
}
