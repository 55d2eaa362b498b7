//! The classified outcome of an activation (OpenWhisk's `ActivationResponse`) and the
//! time it took.

use serde::Serialize;
use serde_json::{json, Value};
use tokio::time::Instant;

/// Who is to blame for how an activation ended. The numbers are OpenWhisk's status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ActivationStatus {
    /// The action returned a result.
    Success = 0,
    /// The action returned `{"error": ..}`, or a response too large: the container is kept.
    ApplicationError = 1,
    /// The action misbehaved (bad init, timeout, invalid output, crash, OOM): the
    /// container is destroyed.
    DeveloperError = 2,
    /// The platform failed: the container is destroyed.
    WhiskError = 3,
}

impl ActivationStatus {
    /// OpenWhisk's status string.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivationStatus::Success => "success",
            ActivationStatus::ApplicationError => "application error",
            ActivationStatus::DeveloperError => "action developer error",
            ActivationStatus::WhiskError => "whisk internal error",
        }
    }
}

/// A classified response: the status and the result (`{"error": ..}` for errors).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivationResponse {
    /// Who is to blame.
    pub status: ActivationStatus,
    /// The result value.
    pub result: Value,
}

impl ActivationResponse {
    /// A successful result.
    pub fn success(result: Value) -> Self {
        ActivationResponse { status: ActivationStatus::Success, result }
    }

    /// The action reported an error: `{"error": value}`.
    pub fn application_error(error: impl Into<Value>) -> Self {
        Self::error(ActivationStatus::ApplicationError, error)
    }

    /// The action misbehaved: `{"error": value}`.
    pub fn developer_error(error: impl Into<Value>) -> Self {
        Self::error(ActivationStatus::DeveloperError, error)
    }

    /// The platform failed: `{"error": value}`.
    pub fn whisk_error(error: impl Into<Value>) -> Self {
        Self::error(ActivationStatus::WhiskError, error)
    }

    fn error(status: ActivationStatus, error: impl Into<Value>) -> Self {
        ActivationResponse { status, result: json!({ "error": error.into() }) }
    }

    /// Success or application error: the container may be reused.
    pub fn keeps_container(&self) -> bool {
        matches!(self.status, ActivationStatus::Success | ActivationStatus::ApplicationError)
    }
}

/// A span of time on tokio's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// When it started.
    pub start: Instant,
    /// When it ended.
    pub end: Instant,
}

impl Interval {
    /// An empty interval at `at` (OpenWhisk's `Interval.zero` for activations that never ran).
    pub fn zero(at: Instant) -> Self {
        Interval { start: at, end: at }
    }

    /// How long it lasted.
    pub fn duration(&self) -> std::time::Duration {
        self.end.saturating_duration_since(self.start)
    }
}

/// The platform's messages, worded as upstream's `Messages`.
pub mod messages {
    /// A run that could not complete for a platform reason.
    pub const ABNORMAL_RUN: &str = "The action did not produce a valid response and exited unexpectedly.";
    /// Container creation failed for a reason that is not the action's.
    pub const RESOURCE_PROVISION_ERROR: &str = "Failed to provision resources to run the action.";
    /// The action ran out of memory.
    pub const MEMORY_EXHAUSTED: &str = "The action exhausted its memory and was aborted.";
    /// Log collection failed.
    pub const LOG_FAILURE: &str = "There was an issue while collecting your logs. Data might be missing.";
    /// The last log line of an activation that ended in a developer error.
    pub const LOG_DEVELOPER_ERROR: &str =
        "The action did not initialize or run as expected. Log data might be missing.";
    /// Init ended without an answer.
    pub const ABNORMAL_INITIALIZATION: &str = "The action did not initialize and exited unexpectedly.";
    /// A call that ran until its timeout because the container was paused from
    /// outside the invoker (not upstream's: a whisk error where upstream charges the
    /// user with a timeout).
    pub const CONTAINER_PAUSED: &str =
        "The action's container was paused from outside the invoker and could not complete the activation.";

    /// The platform's action runtime never accepted `/init` within the init timeout
    /// (not upstream's: a whisk error where upstream charges the user with a timeout).
    pub fn runtime_unreachable(limit_ms: u128) -> String {
        format!("The action runtime of the container was not reachable within {limit_ms} milliseconds.")
    }

    /// The action ran longer than its limit.
    pub fn timed_out(limit_ms: u128) -> String {
        format!("The action exceeded its time limits of {limit_ms} milliseconds.")
    }

    /// The action's init ran longer than its limit.
    pub fn timed_out_during_init(limit_ms: u128) -> String {
        format!("The action exceeded its time limits of {limit_ms} milliseconds during initialization.")
    }
}
