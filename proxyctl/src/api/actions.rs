//! `PUT`, `GET` and `DELETE /namespaces/{namespace}/actions/{name}`, and the list
//! `GET /namespaces/{namespace}/actions`.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use proxy_store::doc::{ActionDoc, ExecDoc, KeyValue, LimitsDoc, Parameter};
use proxy_store::PutMode;
use serde::Deserialize;
use serde_json::Value;

use super::auth::Caller;
use super::error::ApiError;
use super::extract::{Body, Params, Segments};
use super::limits::LimitsPut;
use super::{page, AppState};

/// The longest entity name upstream accepts.
const NAME_MAX: usize = 256;

/// Whether `name` is a valid entity name (upstream's `EntityName` pattern: word
/// characters, and `@ . -` and spaces inside; at most 256 characters).
///
/// ```
/// use proxyctl::api::actions::valid_name;
/// assert!(valid_name("hello") && valid_name("a.b-c@d e") && valid_name("x"));
/// assert!(!valid_name("") && !valid_name(" a") && !valid_name("a/b") && !valid_name("-a"));
/// ```
pub fn valid_name(name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(word);
    let last_ok = name.chars().last().is_some_and(|c| word(c) || "@.-".contains(c));
    first_ok
        && last_ok
        && name.chars().count() <= NAME_MAX
        && name.chars().all(|c| word(c) || "@ .-".contains(c))
}

/// The namespace and name of a request, checked.
fn entity(caller: &Caller, namespace: &str, name: &str) -> Result<String, ApiError> {
    let namespace = caller.namespace(namespace)?;
    if !valid_name(name) {
        return Err(ApiError::bad_request("The name of the entity contains illegal characters."));
    }
    Ok(namespace)
}

/// A put's body (upstream's `WhiskActionPut`): every field optional; on an update
/// the absent ones keep the action's.
#[derive(Debug, Deserialize)]
pub struct ActionPut {
    exec: Option<ExecDoc>,
    limits: Option<LimitsPut>,
    parameters: Option<Vec<Parameter>>,
    annotations: Option<Vec<KeyValue>>,
    publish: Option<bool>,
    version: Option<String>,
}

/// `overwrite`.
#[derive(Debug, Deserialize)]
pub struct PutQuery {
    #[serde(default)]
    overwrite: bool,
}

/// Creates or (with `overwrite=true`) replaces an action: 200 with the action; 409
/// if it exists and `overwrite` is not set; 400 for a bad exec or limits.
pub async fn put(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Segments((namespace, name)): Segments<(String, String)>,
    Params(query): Params<PutQuery>,
    Body(body): Body<ActionPut>,
) -> Result<Json<ActionDoc>, ApiError> {
    let namespace = entity(&caller, &namespace, &name)?;
    let existing = if query.overwrite { state.store.get_action(&namespace, &name).await? } else { None };
    let base = existing.as_ref().map(|stored| &stored.action);
    let exec = match (body.exec, base) {
        (Some(exec), _) => exec,
        (None, Some(base)) => base.exec.clone(),
        (None, None) => return Err(ApiError::malformed("exec undefined")),
    };
    state.kinds.check(&exec)?;
    let limits = body.limits.unwrap_or_default().over(base.map_or_else(LimitsDoc::default, |b| b.limits))?;
    let parameters = body.parameters.or_else(|| base.map(|b| b.parameters.clone())).unwrap_or_default();
    let parameters = state.params.lock(parameters).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let doc = ActionDoc {
        limits,
        parameters,
        annotations: body.annotations.or_else(|| base.map(|b| b.annotations.clone())).unwrap_or_default(),
        publish: body.publish.or(base.map(|b| b.publish)).unwrap_or(false),
        version: body.version.unwrap_or_else(|| "0.0.1".into()),
        ..ActionDoc::new(namespace, name, exec)
    };
    let mode = match existing {
        // Replace exactly what was read: a concurrent update in between is a 409.
        Some(stored) => PutMode::Replace(stored.revision),
        None if query.overwrite => PutMode::Overwrite,
        None => PutMode::Create,
    };
    Ok(Json(state.store.put_action(doc, mode).await?.action))
}

/// The action: 200, or 404.
pub async fn get(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Segments((namespace, name)): Segments<(String, String)>,
) -> Result<Json<ActionDoc>, ApiError> {
    let namespace = entity(&caller, &namespace, &name)?;
    let stored = state.store.get_action(&namespace, &name).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(stored.action))
}

/// Deletes the action: 200 with what was deleted, or 404.
pub async fn delete(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Segments((namespace, name)): Segments<(String, String)>,
) -> Result<Json<ActionDoc>, ApiError> {
    let namespace = entity(&caller, &namespace, &name)?;
    let deleted = state.store.delete_action(&namespace, &name).await?.ok_or_else(ApiError::not_found)?;
    Ok(Json(deleted.action))
}

/// `limit`, `skip`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<usize>,
    skip: Option<usize>,
}

/// The namespace's actions, most recently updated first, without their code (as
/// upstream lists them).
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Segments(namespace): Segments<String>,
    Params(query): Params<ListQuery>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let namespace = caller.namespace(&namespace)?;
    let page = page(query.limit, query.skip)?;
    let actions = state.store.list_actions(&namespace, page).await?;
    let briefs = actions
        .into_iter()
        .map(|stored| {
            let mut doc = stored.action;
            doc.exec.code = None;
            serde_json::to_value(doc).map_err(ApiError::internal)
        })
        .collect::<Result<_, _>>()?;
    Ok(Json(briefs))
}
