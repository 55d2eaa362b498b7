//! The container domain: the backend seam, the lifecycle table, the proxy behaviour
//! around it, and activation records.

pub mod activation;
pub mod args;
pub mod backend;
pub mod classify;
pub mod client;
pub mod encryption;
pub mod job;
pub mod lifecycle;
pub mod logbuf;
pub mod logs;
pub mod naming;
pub mod outcome;
pub mod proxy;
pub mod response;
#[cfg(feature = "scripted")]
pub mod scripted;
pub mod stamp;
pub mod teardown;
mod work;

pub use activation::{AckKind, Activation, ActivationSink};
pub use backend::{
    BackendError, Container, ContainerFactory, ContainerFacts, ContainerId, CreateSpec, HealthError,
    InitError, LogRead, Logs, OperationError, ResponseLimits, StartupError, Survivor, Symptom,
};
pub use job::{
    Action, ActionLimits, ActivationMessage, Adopted, Capacity, Condemned, PreWarmed, Run, StartSpec, Warmed,
    Warmth,
};
pub use lifecycle::{ContainerProxy, ContainerProxyAny, ContainerProxyEvent};
pub use proxy::{
    lost_jobs, spawn_proxy, Cause, HealthCheck, JobId, ProxyConfig, ProxyCx, ProxyDeps, ToParent,
};
pub use response::{ActivationResponse, ActivationStatus, Interval};
