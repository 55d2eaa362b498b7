//! The parent protocol: what a proxy tells its parent (the pool), and why an effect
//! failed (upstream's `Status.Failure` causes), as the proxy's own events carry it.

use std::fmt;

use super::super::backend::{ContainerId, HealthError, OperationError, StartupError};
use super::super::job::{Capacity, Run};
use super::super::response::ActivationResponse;
use super::jobs::JobId;

/// Messages from a proxy to its parent (the pool).
#[derive(Debug, Clone)]
pub enum ToParent {
    /// A prewarm is ready, or a warm container has room for another activation.
    NeedWork(Capacity),
    /// The proxy decided to destroy its container; the pool frees the capacity and,
    /// if `replace_prewarm`, starts a new prewarm.
    ContainerRemoved {
        /// Whether a prewarm should replace it.
        replace_prewarm: bool,
    },
    /// The container is going away and the pool must not count it as freed capacity.
    RescheduleJob,
    /// A job this proxy will not run, handed back.
    Resend(Run),
    /// The proxy stopped on `Release` and left its warm container in place, not
    /// destroyed, for a later pool to adopt.
    Released {
        /// The container left.
        container: ContainerId,
    },
    /// The container could not be destroyed after every attempt; the proxy stopped.
    DestroyFailed {
        /// The container left behind.
        container: ContainerId,
        /// The last error.
        error: OperationError,
    },
}

/// One line for logs, transcripts and tests: `NeedWork(warm)`, `Resend(a1)`, ..
/// A job shows as its activation id only (its message holds the caller's key).
///
/// ```
/// use proxy_core::container::ToParent;
/// assert_eq!(ToParent::ContainerRemoved { replace_prewarm: true }.to_string(), "ContainerRemoved(true)");
/// ```
impl fmt::Display for ToParent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToParent::NeedWork(Capacity::Prewarmed(_)) => f.write_str("NeedWork(prewarmed)"),
            ToParent::NeedWork(Capacity::Warm(_)) => f.write_str("NeedWork(warm)"),
            ToParent::ContainerRemoved { replace_prewarm } => {
                write!(f, "ContainerRemoved({replace_prewarm})")
            }
            ToParent::RescheduleJob => f.write_str("RescheduleJob"),
            ToParent::Resend(run) => write!(f, "Resend({})", run.msg.activation_id),
            ToParent::Released { container } => write!(f, "Released({container})"),
            ToParent::DestroyFailed { container, .. } => write!(f, "DestroyFailed({container})"),
        }
    }
}

/// Why an effect failed (upstream's `Status.Failure` causes). Those of a job's
/// activation name the job and say whether its activation was stored.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Cause {
    /// The container is unhealthy (503, or no connection on the first run after a
    /// resume). The job whose call found out was neither acknowledged nor stored: it
    /// is handed back, not lost (upstream loses it unless it is the `resumeRun`,
    /// quirk 1.13.3).
    Health {
        /// The error.
        error: HealthError,
        /// The job that hit it.
        job: JobId,
    },
    /// /init failed, or a run ended with a developer or whisk error: the container
    /// must go. Already acknowledged and stored.
    ActivationUnsuccessful {
        /// The job.
        job: JobId,
        /// Its (stored) response.
        response: ActivationResponse,
    },
    /// Log collection failed. Already stored.
    LogReading {
        /// The job.
        job: JobId,
    },
    /// Creating the container failed. For a cold start, `job` names the job, already
    /// acknowledged and stored with the classified error; `None` for a prewarm.
    Startup {
        /// Why.
        error: StartupError,
        /// The cold start's job.
        job: Option<JobId>,
    },
    /// Resuming the paused container failed; the job, not run, goes back to the parent.
    Resume {
        /// The error.
        error: OperationError,
        /// The job that wanted the container.
        job: JobId,
    },
    /// Pausing failed.
    Suspend(OperationError),
    /// The TCP health ping of a prewarmed container gave up.
    HealthPing(String),
    /// An effect panicked (a backend bug). The job it worked for, if any, was not
    /// stored: the proxy stores it as a whisk error and condemns the container, as
    /// upstream turns an unexpected failure into `whiskError(abnormalRun)`.
    Panicked {
        /// The job the effect worked for.
        job: Option<JobId>,
    },
}

/// What becomes of a job whose activation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Already stored.
    Stored,
    /// Not run (or not known to have reached the runtime): back to the parent.
    HandBack,
    /// Not stored, and it may have run: stored now as a whisk error.
    StoreAsWhiskError,
}

impl Cause {
    /// The job this failure belongs to, if any.
    pub fn job(&self) -> Option<JobId> {
        match self {
            Cause::Health { job, .. }
            | Cause::ActivationUnsuccessful { job, .. }
            | Cause::LogReading { job }
            | Cause::Resume { job, .. } => Some(*job),
            Cause::Startup { job, .. } | Cause::Panicked { job } => *job,
            Cause::Suspend(_) | Cause::HealthPing(_) => None,
        }
    }

    /// What becomes of the job this failure names.
    pub(crate) fn fate(&self) -> Fate {
        match self {
            Cause::Health { .. } | Cause::Resume { .. } => Fate::HandBack,
            Cause::Panicked { .. } => Fate::StoreAsWhiskError,
            _ => Fate::Stored,
        }
    }
}
