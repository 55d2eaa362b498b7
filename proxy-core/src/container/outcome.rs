//! The domain's side of the seam: calls a container's `/init` or `/run`, classifies
//! what the backend reports ([`classify`](super::classify)), and asks the
//! container's [facts](Container::facts) only when a failure could be explained by
//! them. Every backend, the scripted one included, is classified here, once.

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::backend::{Container, HealthError, InitError, ResponseLimits};
use super::classify::{classify_init, classify_run};
use super::job::Action;
use super::response::{ActivationResponse, Interval};

/// The kind of an action that runs in a user's image (upstream's `blackbox`).
pub const BLACKBOX_KIND: &str = "blackbox";

#[cfg(feature = "scripted")]
tokio::task_local! {
    /// The `reschedule` flag of the `/run` in progress, for the scripted backend's
    /// record of it (the flag is the domain's: backends are not told).
    pub(super) static RESCHEDULE: bool;
}

/// Whether `action` runs in a runtime of the platform's rather than in a user's
/// image: its kind is not [`BLACKBOX_KIND`].
///
/// ```
/// use proxy_core::container::outcome::managed_runtime;
/// use proxy_core::container::Action;
/// let action = Action::new("guest", "hello", "my/image", "");
/// assert!(!managed_runtime(&action));
/// assert!(managed_runtime(&Action { kind: "nodejs:20".into(), ..action }));
/// ```
pub fn managed_runtime(action: &Action) -> bool {
    action.kind != BLACKBOX_KIND
}

/// `/init` on `container`, classified: its interval, or why the container cannot be
/// used. `managed_runtime`: the container runs a runtime of the platform's (see
/// [`classify_init`]).
pub async fn init(
    container: &dyn Container,
    initializer: Value,
    timeout: Duration,
    max_concurrent: usize,
    managed_runtime: bool,
) -> Result<Interval, InitError> {
    let since = SystemTime::now();
    let result = container.initialize(initializer, timeout, max_concurrent).await;
    let verdict = classify_init(result, timeout, managed_runtime);
    let facts = match verdict.symptom {
        Some(symptom) => container.facts(since, symptom).await,
        None => Default::default(),
    };
    verdict.explained(&facts)
}

/// `/run` on `container`, classified: its interval and response, or a health error
/// when the job must go to another container (see [`classify_run`] for when
/// `reschedule` does that).
pub async fn run(
    container: &dyn Container,
    parameters: Value,
    environment: Map<String, Value>,
    timeout: Duration,
    limits: ResponseLimits,
    reschedule: bool,
) -> Result<(Interval, ActivationResponse), HealthError> {
    let since = SystemTime::now();
    let call = container.run(parameters, environment, timeout, limits);
    #[cfg(feature = "scripted")]
    let call = RESCHEDULE.scope(reschedule, call);
    let verdict = classify_run(call.await, timeout, reschedule);
    let facts = match verdict.symptom {
        Some(symptom) => container.facts(since, symptom).await,
        None => Default::default(),
    };
    verdict.explained(&facts)
}

#[cfg(all(test, feature = "scripted"))]
mod tests;
