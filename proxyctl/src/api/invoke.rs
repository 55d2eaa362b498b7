//! `POST /namespaces/{namespace}/actions/{name}`: invoke, blocking or not.
//!
//! A non-blocking invoke answers 202 `{"activationId": ..}` once the pool took the
//! run. A blocking one waits, at most `timeout` ms (default and most 60000, as
//! upstream), for the activation's result acknowledgement and for its record to be
//! durable (deviation D45), then answers as upstream: 200 for a success, 502 for an application or
//! developer error, 500 for a whisk error, with the activation (or, with
//! `result=true`, its result alone); a wait that runs out answers 202 with the id.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use proxy_core::container::{ActivationMessage, ActivationStatus, Run};
use proxy_store::doc::ActivationDoc;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::auth::Caller;
use super::error::ApiError;
use super::extract::{Body, Params, Segments};
use super::AppState;
use crate::sink::Heard;

/// The longest, and default, blocking wait (upstream's `maxWaitForBlockingActivation`).
pub const MAX_WAIT_MS: u64 = 60_000;

/// `blocking`, `result`, `timeout`.
#[derive(Debug, Deserialize)]
pub struct InvokeQuery {
    #[serde(default)]
    blocking: bool,
    #[serde(default)]
    result: bool,
    timeout: Option<u64>,
}

fn accepted(activation_id: &str) -> Response {
    (StatusCode::ACCEPTED, Json(json!({"activationId": activation_id}))).into_response()
}

/// Upstream's status for a blocking answer with `status`.
fn answer_status(status_code: u8) -> StatusCode {
    match status_code {
        0 => StatusCode::OK,
        code if code == ActivationStatus::WhiskError as u8 => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// Invokes the action.
pub async fn invoke(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Segments((namespace, name)): Segments<(String, String)>,
    Params(query): Params<InvokeQuery>,
    Body(payload): Body<Value>,
) -> Result<Response, ApiError> {
    let namespace = caller.namespace(&namespace)?;
    let Value::Object(payload) = payload else {
        return Err(ApiError::malformed("the payload must be a JSON object"));
    };
    let wait_ms = query.timeout.unwrap_or(MAX_WAIT_MS);
    if wait_ms == 0 || wait_ms > MAX_WAIT_MS {
        return Err(ApiError::bad_request(format!("timeout must be in 1..={MAX_WAIT_MS} ms, not {wait_ms}")));
    }
    if state.is_draining() {
        return Err(ApiError::unavailable());
    }
    let stored = state.store.get_action(&namespace, &name).await?.ok_or_else(ApiError::not_found)?;
    let action = state.kinds.action(&stored.action)?;

    // Bound parameters first, the invoke's payload over them (upstream's merge).
    let bound = super::params::bind(&stored.action.parameters, payload);
    let activation_id = crate::ids::hex_id().map_err(ApiError::internal)?;
    let msg = ActivationMessage {
        transaction_id: crate::ids::hex_id().map_err(ApiError::internal)?,
        api_key: action.provides_api_key().then(|| caller.auth.clone()),
        subject: caller.subject.subject.clone(),
        blocking: query.blocking,
        content: Some(Value::Object(bound.content)),
        init_args: bound.init_args,
        locked_args: bound.locked_args,
        ..ActivationMessage::new(activation_id.clone(), namespace)
    };
    let deadline = Instant::now() + Duration::from_millis(wait_ms);
    // Registered before the submit, so that no acknowledgement can come first.
    let mut waiting = query.blocking.then(|| state.waiters.wait_for(&activation_id));
    if state.pool.submit(Run::new(action, msg)).await.is_err() {
        return Err(ApiError::unavailable());
    }
    let Some(waiting) = waiting.as_mut() else { return Ok(accepted(&activation_id)) };

    let mut result: Option<Box<ActivationDoc>> = None;
    let doc = loop {
        match tokio::time::timeout_at(deadline, waiting.heard.recv()).await {
            Err(_elapsed) => return Ok(accepted(&activation_id)),
            // The sink is gone: the pool stopped without telling (it hands runs back).
            Ok(None) => return Err(ApiError::unavailable()),
            Ok(Some(Heard::Result(doc))) => result = Some(doc),
            Ok(Some(Heard::Stored(doc, queued))) => {
                let durable = match queued {
                    Ok(durable) => tokio::time::timeout_at(deadline, durable).await,
                    Err(error) => Ok(Err(error)),
                };
                match durable {
                    Err(_elapsed) => return Ok(accepted(&activation_id)),
                    Ok(Ok(())) => break doc,
                    // Not stored: the caller still gets the result it waited for.
                    Ok(Err(error)) => {
                        tracing::error!(%error, %activation_id, "answered an activation the store did not keep");
                        break result.unwrap_or(doc);
                    }
                }
            }
        }
    };
    let status = answer_status(doc.response.status_code);
    if query.result {
        Ok((status, Json(doc.response.result)).into_response())
    } else {
        Ok((status, Json(*doc)).into_response())
    }
}
