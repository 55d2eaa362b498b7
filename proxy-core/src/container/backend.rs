//! The backend seam: what the proxy needs of a container and of whoever creates
//! containers. `proxy-docker` and the scripted test container implement it; the
//! domain never names Docker.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::client::{ConnectionError, RunResult};
use super::response::{ActivationResponse, ActivationStatus, Interval};

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
    /// The container's name, unique across processes (`3f9a01c2_12_prewarm_nodejs20`,
    /// see [`naming`](super::naming)); a backend may prefix it with its instance.
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

/// A container that cannot take work any more: the job must be rescheduled, not
/// failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HealthError {
    /// The runtime answered 503: it is shutting down.
    #[error("container health error: the action runtime is shutting down (HTTP 503)")]
    ShuttingDown,
    /// The first run after a resume or a warm pick never reached the runtime.
    #[error("container health error: the action runtime could not be reached")]
    Unreachable(#[source] ConnectionError),
}

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

/// A backend's error, kept whole as the cause of a [`StartupError`] or an
/// [`OperationError`]: its text and its own causes are the wrapped error's. Shared,
/// so that the errors holding it can be cloned into events.
///
/// ```
/// use proxy_core::container::backend::BackendError;
/// let error = BackendError::new(std::io::Error::other("the engine hung up"));
/// assert_eq!(error.to_string(), "the engine hung up");
/// assert!(error.downcast_ref::<std::io::Error>().is_some());
/// ```
#[derive(Clone)]
pub struct BackendError(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl BackendError {
    /// Wraps `error` (an error value, or a message: `BackendError::new("boom")`).
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        BackendError(Arc::from(error.into()))
    }

    /// The wrapped error.
    pub fn get(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The wrapped error, if it is an `E`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref::<E>()
    }
}

impl fmt::Debug for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for BackendError {
    // Transparent: the wrapped error's causes are this one's.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Why a container could not be created.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// The platform failed (whisk error).
    #[error("container startup failed: {message}")]
    Whisk {
        /// What the activation's response says.
        message: String,
        /// The backend's error behind it, if any.
        #[source]
        source: Option<BackendError>,
    },
    /// The user's image is at fault (developer error).
    #[error("blackbox container startup failed: {message}")]
    Blackbox {
        /// What the activation's response says.
        message: String,
        /// The backend's error behind it, if any.
        #[source]
        source: Option<BackendError>,
    },
    /// Anything else (whisk error, "Failed to provision resources to run the action.").
    #[error("container startup failed for an unknown reason: {0}")]
    Other(#[source] BackendError),
}

impl StartupError {
    /// A platform failure whose activation response says `message`, without a cause.
    ///
    /// ```
    /// use proxy_core::container::StartupError;
    /// let error = StartupError::whisk("no space left");
    /// assert!(matches!(&error, StartupError::Whisk { message, source: None } if message == "no space left"));
    /// ```
    pub fn whisk(message: impl Into<String>) -> Self {
        StartupError::Whisk { message: message.into(), source: None }
    }

    /// An image fault whose activation response says `message`, without a cause.
    pub fn blackbox(message: impl Into<String>) -> Self {
        StartupError::Blackbox { message: message.into(), source: None }
    }

    /// Any other failure, caused by `source` (an error value, or a message).
    pub fn other(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        StartupError::Other(BackendError::new(source))
    }
}

/// A container operation (pause, resume, destroy, logs) that failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("container operation `{operation}` failed: {source}")]
pub struct OperationError {
    /// The operation.
    pub operation: &'static str,
    /// What went wrong.
    #[source]
    pub source: BackendError,
}

impl OperationError {
    /// `operation` failed because of `source` (an error value, or a message).
    ///
    /// ```
    /// use proxy_core::container::OperationError;
    /// let error = OperationError::new("destroy", "boom");
    /// assert_eq!(error.to_string(), "container operation `destroy` failed: boom");
    /// assert_eq!(std::error::Error::source(&error).unwrap().to_string(), "boom");
    /// ```
    pub fn new(
        operation: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        OperationError { operation, source: BackendError::new(source) }
    }
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

/// How one activation's logs are read: the proxy decides, the backend reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogRead {
    /// Follow the log until both end sentinels came (or it went idle): the image's
    /// runtime writes them, and the activation did not end in a developer error.
    UntilSentinels,
    /// What the log holds now, without following it: the image writes no sentinels
    /// (a user's blackbox image), so there is nothing to wait for.
    Now,
    /// What the log holds now, then a stderr line saying
    /// [`LOG_DEVELOPER_ERROR`](super::response::messages::LOG_DEVELOPER_ERROR), as
    /// upstream's log store does (reference 3.5): after a developer error the runtime
    /// may never write its sentinels.
    AfterDeveloperError,
}

impl LogRead {
    /// Upstream's `exec.sentinelledLogs && !isDeveloperError`: the sentinels are
    /// awaited only from an image that writes them, and not after a developer error.
    ///
    /// ```
    /// use proxy_core::container::backend::LogRead;
    /// use proxy_core::container::ActivationResponse;
    /// let ok = ActivationResponse::success(serde_json::json!({}));
    /// assert_eq!(LogRead::for_activation(true, &ok), LogRead::UntilSentinels);
    /// assert_eq!(LogRead::for_activation(false, &ok), LogRead::Now);
    /// let crashed = ActivationResponse::developer_error("exited");
    /// assert_eq!(LogRead::for_activation(true, &crashed), LogRead::AfterDeveloperError);
    /// ```
    pub fn for_activation(sentinelled_logs: bool, response: &ActivationResponse) -> Self {
        match (response.status == ActivationStatus::DeveloperError, sentinelled_logs) {
            (true, _) => LogRead::AfterDeveloperError,
            (false, true) => LogRead::UntilSentinels,
            (false, false) => LogRead::Now,
        }
    }
}

/// What a failure looked like, so that a backend knows how long the engine's word
/// about it may trail it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symptom {
    /// The runtime answered and the answer blames the action: a process of it may
    /// have been killed for memory while the runtime lived on.
    Answered,
    /// The connection was lost after the request was delivered: the runtime may
    /// have died.
    ConnectionLost,
    /// The call ran until its timeout: the container may have been frozen.
    TimedOut,
}

/// What the engine knows about a container, asked by the domain after a failure
/// these facts could explain (see [`Container::facts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerFacts {
    /// The engine reported an out-of-memory kill in the container since the time
    /// asked about (of the runtime or of a process of it).
    pub oom_killed: bool,
    /// The container is paused, and not by the proxy (someone froze it from outside).
    pub paused: bool,
    /// The container is still running (`false`: it exited or is gone).
    pub running: bool,
}

impl Default for ContainerFacts {
    /// Nothing to report: running, not paused, no out-of-memory kill.
    fn default() -> Self {
        ContainerFacts { oom_killed: false, paused: false, running: true }
    }
}

/// One running container, as the proxy sees it. `run` may be called concurrently
/// (up to `max_concurrent`); the proxy serialises everything else.
///
/// A backend reports what happened; the domain decides what it means:
/// [`outcome`](super::outcome) calls `initialize` and `run`, classifies their raw
/// results, and asks [`facts`](Container::facts) when a failure could be explained
/// by them.
#[async_trait]
pub trait Container: Send + Sync + fmt::Debug + 'static {
    /// The backend's id.
    fn id(&self) -> &ContainerId;

    /// The address of the action runtime, for health pings (`None` if not reachable
    /// over TCP, as for an in-memory container).
    fn addr(&self) -> Option<std::net::SocketAddr>;

    /// `POST /init` with `{"value": initializer}`, retried while the runtime is
    /// unreachable until `timeout`: what the runtime answered, unclassified.
    async fn initialize(&self, initializer: Value, timeout: Duration, max_concurrent: usize) -> RunResult;

    /// `POST /run` with [`run_body(parameters, environment)`](super::client::run_body),
    /// once: what the runtime answered, unclassified.
    async fn run(
        &self,
        parameters: Value,
        environment: Map<String, Value>,
        timeout: Duration,
        limits: ResponseLimits,
    ) -> RunResult;

    /// What the engine knows about the container now, and whether it saw an
    /// out-of-memory kill in it since `since`. `symptom` says what the failure looked
    /// like, for how long to wait for an engine event still on its way.
    async fn facts(&self, since: SystemTime, symptom: Symptom) -> ContainerFacts;

    /// Drops the connection and pauses the container.
    async fn suspend(&self) -> Result<(), OperationError>;

    /// Unpauses the container and lets the next call reconnect.
    async fn resume(&self) -> Result<(), OperationError>;

    /// The logs of the last activation, up to `limit_bytes`, read as `read` says.
    async fn logs(&self, limit_bytes: usize, read: LogRead) -> Result<Logs, OperationError>;

    /// Removes the container. Removing a container that is already gone succeeds.
    async fn destroy(&self) -> Result<(), OperationError>;
}

/// A container an earlier process of this instance left behind, found at start (see
/// [`ContainerFactory::survivors`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survivor {
    /// The backend's id.
    pub id: ContainerId,
    /// Whether it is paused (a warm container the earlier process paused).
    pub paused: bool,
}

/// Creates containers, and finds those an earlier process of the same instance left
/// (for adoption at restart: see [`pool::adoption`](crate::pool::adoption)).
///
/// The adoption methods have defaults (no survivors; adopting fails; removing
/// succeeds), so a backend that does not keep containers across restarts need not
/// implement them.
#[async_trait]
pub trait ContainerFactory: Send + Sync + 'static {
    /// Creates and starts a container.
    async fn create(&self, spec: CreateSpec) -> Result<Arc<dyn Container>, StartupError>;

    /// The containers an earlier process of this instance left, in any state.
    async fn survivors(&self) -> Result<Vec<Survivor>, BackendError> {
        Ok(Vec::new())
    }

    /// Attaches to `survivor`, after checking that it is alive: a running one must
    /// accept a connection on its runtime's port within a short bound; a paused one
    /// is taken as it is (its first run resumes it). An error means it cannot be
    /// adopted; the caller removes it.
    async fn adopt(&self, survivor: &Survivor) -> Result<Arc<dyn Container>, BackendError> {
        Err(BackendError::new(format!("this backend adopts no container (asked for {})", survivor.id)))
    }

    /// Removes a survivor that is not adopted. Removing one that is already gone
    /// succeeds.
    async fn remove_survivor(&self, id: &ContainerId) -> Result<(), BackendError> {
        let _ = id;
        Ok(())
    }
}
