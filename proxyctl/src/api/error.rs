//! The API's errors, answered in upstream's form: `{"error": "<message>", "code":
//! "<transaction id>"}` with upstream's status codes and messages.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use proxy_store::StoreError;
use serde_json::json;

/// Upstream's message for a missing entity (`Messages.resourceDoesNotExist`).
pub const NOT_FOUND: &str = "The requested resource does not exist.";
/// Upstream's message for bad credentials.
pub const UNAUTHENTICATED: &str = "The supplied authentication is invalid.";
/// Upstream's message for a put that would replace an entity without `overwrite`.
pub const CONFLICT: &str = "resource already exists";
/// Our message while the server drains (upstream's `serviceUnavailable`).
pub const UNAVAILABLE: &str = "The server is currently unavailable (because it is shutting down).";

/// An error answer: a status and a message.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `error` field.
    pub message: String,
    /// What caused it, for the log (not sent).
    #[source]
    pub cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    /// `status` with `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), cause: None }
    }

    /// 404, upstream's message.
    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, NOT_FOUND)
    }

    /// 400, `message` after upstream's prefix for a malformed request.
    pub fn malformed(message: impl std::fmt::Display) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, format!("The request content was malformed:\n{message}"))
    }

    /// 400 with `message` as it is.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 403 for namespace `namespace` (upstream's `notAuthorizedtoAccessResource`).
    pub fn forbidden(namespace: &str) -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            format!("The supplied authentication is not authorized to access '{namespace}'."),
        )
    }

    /// 503 while draining.
    pub fn unavailable() -> Self {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE)
    }

    /// 500 caused by `cause`.
    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "The server encountered an internal error.".into(),
            cause: Some(Box::new(cause)),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict { .. } => ApiError::new(StatusCode::CONFLICT, CONFLICT),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // A transaction id for the answer, as upstream's `code`; the log line carries
        // it too, so a user's report can be matched with the server's log.
        let code = crate::ids::hex_id().unwrap_or_else(|_| "0".repeat(32));
        if self.status.is_server_error() {
            let cause = self.cause.as_ref().map(|c| c.to_string()).unwrap_or_default();
            tracing::error!(code, status = %self.status, message = %self.message, cause, "request failed");
        } else {
            tracing::debug!(code, status = %self.status, message = %self.message, "request refused");
        }
        (self.status, Json(json!({"error": self.message, "code": code}))).into_response()
    }
}
