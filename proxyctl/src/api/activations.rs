//! `GET /namespaces/{namespace}/activations` (list), `.../activations/{id}`,
//! `.../{id}/logs` and `.../{id}/result`.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use proxy_store::ActivationQuery;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::ApiError;
use super::extract::{Params, Segments};
use super::{page, AppState};

/// `name`, `since`, `upto`, `limit`, `skip`, `docs`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    name: Option<String>,
    since: Option<u64>,
    upto: Option<u64>,
    limit: Option<usize>,
    skip: Option<usize>,
    #[serde(default)]
    docs: bool,
}

/// The namespace's activations, newest first: brief, or whole with `docs=true`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Segments(namespace): Segments<String>,
    Params(query): Params<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let namespace = caller.namespace(&namespace)?;
    let selection = ActivationQuery {
        name: query.name,
        since: query.since,
        upto: query.upto,
        page: page(query.limit, query.skip)?,
    };
    let listed = if query.docs {
        serde_json::to_value(state.store.list_activations(&namespace, &selection).await?)
    } else {
        serde_json::to_value(state.store.list_activation_briefs(&namespace, &selection).await?)
    };
    Ok(Json(listed.map_err(ApiError::internal)?))
}

/// The activation, or 404.
pub async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Segments((namespace, id)): Segments<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let namespace = caller.namespace(&namespace)?;
    let doc = state.store.get_activation(&namespace, &id).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(serde_json::to_value(doc).map_err(ApiError::internal)?))
}

/// `{"logs": [..]}`, or 404.
pub async fn logs(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Segments((namespace, id)): Segments<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let namespace = caller.namespace(&namespace)?;
    let logs = state.store.activation_logs(&namespace, &id).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(json!({ "logs": logs })))
}

/// The activation's response (`result`, `status`, `success`, ..), or 404.
pub async fn result(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Segments((namespace, id)): Segments<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let namespace = caller.namespace(&namespace)?;
    let response = state.store.activation_result(&namespace, &id).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(serde_json::to_value(response).map_err(ApiError::internal)?))
}
