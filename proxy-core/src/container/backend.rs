//! The backend seam: what the proxy needs of a container and of whoever creates
//! containers. `proxy-docker` and the scripted test container implement it; the
//! domain never names Docker.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::response::{ActivationResponse, Interval};

/// A backend's identifier of a container.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerId(pub String);

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What to create.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSpec {
    /// The transaction the creation belongs to.
    pub transaction_id: String,
    /// The container's name (`wsk0_12_prewarm_nodejs20`, `wsk0_13_guest_hello`).
    pub name: String,
    /// The image to run.
    pub image: String,
    /// Memory limit in MB.
    pub memory_mb: u64,
    /// Relative CPU weight.
    pub cpu_shares: u32,
    /// Optional hard CPU limit in cores.
    pub cpu_limit: Option<f64>,
}

/// The limits of one `/run` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseLimits {
    /// Responses up to this many bytes are read whole.
    pub max_response: usize,
    /// Of a larger response, this many bytes are kept.
    pub truncation: usize,
}

impl Default for ResponseLimits {
    /// 1 MB and 1 MB, OpenWhisk's defaults.
    fn default() -> Self {
        ResponseLimits { max_response: 1024 * 1024, truncation: 1024 * 1024 }
    }
}

/// A container that cannot take work any more (a 503, or a connection refused on
/// the first run after a resume): the job must be rescheduled, not failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("container health error: {0}")]
pub struct HealthError(pub String);

/// Why `/init` did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The container is not healthy; the job goes back to the pool.
    #[error(transparent)]
    Health(#[from] HealthError),
    /// Init ran and failed; `response` says why (a developer error).
    #[error("initialization failed: {response:?}")]
    Failed {
        /// How long init took.
        interval: Interval,
        /// The classified failure.
        response: ActivationResponse,
    },
}

/// Why a container could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// The platform failed (whisk error).
    #[error("container startup failed: {0}")]
    Whisk(String),
    /// The user's image is at fault (developer error).
    #[error("blackbox container startup failed: {0}")]
    Blackbox(String),
    /// Anything else (whisk error, "Failed to provision resources to run the action.").
    #[error("container startup failed for an unknown reason: {0}")]
    Other(String),
}

/// A container operation (pause, resume, destroy, logs) that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("container operation `{operation}` failed: {message}")]
pub struct OperationError {
    /// The operation.
    pub operation: &'static str,
    /// What went wrong.
    pub message: String,
}

/// The logs of one activation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logs {
    /// The formatted lines.
    pub lines: Vec<String>,
    /// Whether collection went wrong (missing sentinel, truncation, read failure);
    /// the lines then end with a warning line.
    pub failed: bool,
}

/// One running container, as the proxy sees it. `run` may be called concurrently
/// (up to `max_concurrent`); the proxy serialises everything else.
#[async_trait]
pub trait Container: Send + Sync + fmt::Debug + 'static {
    /// The backend's id.
    fn id(&self) -> &ContainerId;

    /// The address of the action runtime, for health pings (`None` if not reachable
    /// over TCP, as for an in-memory container).
    fn addr(&self) -> Option<std::net::SocketAddr>;

    /// `POST /init` with `{"value": initializer}`, retried on connection errors
    /// until `timeout`.
    async fn initialize(
        &self,
        initializer: Value,
        timeout: Duration,
        max_concurrent: usize,
    ) -> Result<Interval, InitError>;

    /// `POST /run` with `{"value": parameters, ..environment}`; the response
    /// classified. `reschedule`: a connection failure is a [`HealthError`] (first run
    /// after a resume or a warm pick).
    async fn run(
        &self,
        parameters: Value,
        environment: Map<String, Value>,
        timeout: Duration,
        limits: ResponseLimits,
        reschedule: bool,
    ) -> Result<(Interval, ActivationResponse), HealthError>;

    /// Drops the connection and pauses the container.
    async fn suspend(&self) -> Result<(), OperationError>;

    /// Unpauses the container and lets the next call reconnect.
    async fn resume(&self) -> Result<(), OperationError>;

    /// The logs of the last activation, up to `limit_bytes`, waiting for the end
    /// sentinels when `wait_for_sentinel`. The proxy waits for them unless the
    /// activation ended in a developer error, whose runtime may never write them; a
    /// backend then ends the lines with a stderr line saying
    /// [`LOG_DEVELOPER_ERROR`](super::response::messages::LOG_DEVELOPER_ERROR), as
    /// upstream's log store does (reference 3.5).
    async fn logs(&self, limit_bytes: usize, wait_for_sentinel: bool) -> Result<Logs, OperationError>;

    /// Removes the container. Removing a container that is already gone succeeds.
    async fn destroy(&self) -> Result<(), OperationError>;
}

/// Creates containers.
#[async_trait]
pub trait ContainerFactory: Send + Sync + 'static {
    /// Creates and starts a container.
    async fn create(&self, spec: CreateSpec) -> Result<Arc<dyn Container>, StartupError>;
}
