//! The backend contract suite: one set of tests of proxy-core's backend seam
//! ([`ContainerFactory`], [`Container`]), run against every backend.
//!
//! A backend's test file implements [`Backend`] (its factory, a spec of its
//! runtime "image", and the outside view of a container: kill it, freeze it, tell
//! whether it exists) and a `with_backend(name, test)` function that builds one
//! per test and cleans up however the test ends, then invokes
//! [`backend_suite!`](crate::backend_suite):
//!
//! ```ignore
//! async fn with_backend<F, Fut>(name: &str, test: F)
//! where
//!     F: FnOnce(MyBackend) -> Fut,
//!     Fut: std::future::Future<Output = ()>,
//! { /* set up, test(backend).await, clean up */ }
//!
//! proxy_suite::backend_suite!(with_backend);
//! ```
//!
//! which makes one `#[tokio::test]` per case of [`cases`].

use std::sync::Arc;

use async_trait::async_trait;
use proxy_core::container::{Container, ContainerFactory, CreateSpec};

pub mod cases;
pub mod runtime;

/// A backend under test, and the outside view of its containers.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// The factory under test.
    fn factory(&self) -> Arc<dyn ContainerFactory>;

    /// A spec for a container of the action runtime (`proxy-runtime`), named after
    /// `name` (unique within the test) with `memory_mb`.
    fn spec(&self, name: &str, memory_mb: u64) -> CreateSpec;

    /// Kills the container from outside the backend (as an operator or the kernel
    /// would): its runtime stops answering, the backend does not know why.
    async fn kill(&self, container: &dyn Container);

    /// Freezes (`frozen: true`) or thaws the container from outside the backend, as
    /// an operator would.
    async fn freeze(&self, container: &dyn Container, frozen: bool);

    /// Whether the container is frozen (paused, stopped), as the outside sees it.
    async fn frozen(&self, container: &dyn Container) -> bool;

    /// Whether anything of the container is left (its engine record, its process).
    async fn exists(&self, container: &dyn Container) -> bool;
}

/// One `#[tokio::test]` per case of [`cases`], each run through `$with(name, test)`
/// (see the [crate docs](crate)).
#[macro_export]
macro_rules! backend_suite {
    ($with:path) => {
        $crate::backend_suite!(@cases $with;
            creates_initializes_runs_and_destroys,
            logs_are_split_by_the_sentinels,
            logs_past_the_limit_are_truncated,
            suspend_freezes_and_resume_thaws,
            a_container_frozen_from_outside_is_the_platforms_fault,
            a_dead_container_is_reported_gone,
            a_bad_runtime_response_is_the_developers_error,
            a_run_past_its_timeout_times_out,
            concurrent_creates_get_distinct_containers
        );
    };
    (@cases $with:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $with(stringify!($case), |backend| async move { $crate::cases::$case(&backend).await }).await;
            }
        )*
    };
}
