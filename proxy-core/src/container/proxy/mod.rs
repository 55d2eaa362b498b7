//! OpenWhisk's `ContainerProxy` behaviour (reference sections 1.4-1.9) on the
//! lifecycle table of [`lifecycle`](super::lifecycle), in modules of one concern:
//!
//! - `config`: the settings and what every proxy shares;
//! - `parent`: the parent protocol ([`ToParent`]) and why effects fail ([`Cause`]);
//! - `jobs`: the jobs a proxy holds, each an obligation that ends exactly once;
//! - `context`: the proxy's context and reference 1.8's helper procedures;
//! - `handlers`: the rows' bodies;
//! - this module: starting a proxy on the driver, and what a shutdown does.
//!
//! Every job a proxy accepts ends exactly once: stored (acknowledged and stored
//! through the [`ActivationSink`](super::ActivationSink)) or handed back to the
//! parent ([`ToParent::Resend`], or the driver's `Notice::Unhandled` for a `Run`
//! it never handled). A graceful [`shutdown`](proxy_machine::driver::Running::shutdown)
//! removes the container (`Remove`), lets the activations in flight finish within
//! the grace, and then hands back every job still held.

mod config;
mod context;
mod handlers;
mod jobs;
mod parent;

use std::sync::Arc;

use proxy_machine::driver::{self, Driven, Effects, Notices, Running};

pub use config::{HealthCheck, ProxyConfig, ProxyDeps};
pub use context::ProxyCx;
pub use jobs::{lost_jobs, JobId};
pub(crate) use jobs::{Progress, Ticket};
pub use parent::{Cause, ToParent};

use super::lifecycle::{ContainerProxy, ContainerProxyAny, ContainerProxyEvent};
use super::work;

impl Driven for ContainerProxyAny {
    type Output = ToParent;

    fn effects(context: &mut ProxyCx) -> &mut Effects<ContainerProxyEvent, ToParent> {
        &mut context.effects
    }

    /// A shutdown removes the container, the way the pool's `Remove` does: after the
    /// activations in flight, which the grace lets finish.
    fn shutdown_event(&self) -> Option<ContainerProxyEvent> {
        Some(ContainerProxyEvent::Remove)
    }

    /// The grace ran out: every job still held goes back to the parent (those in
    /// flight may have run: their effects were aborted before storing anything), the
    /// parent hears that the container is going unless it heard already, and the
    /// container is destroyed on a task of its own, with no one left to wait for it
    /// (the backend's cleanup at shutdown is the backstop).
    fn abandon(&mut self) {
        use ContainerProxyAny as S;
        let (container, announced, paused) = match &*self {
            S::Started(m) => (Some(m.data().container.clone()), false, false),
            S::Running(m) => (m.data().container().cloned(), false, false),
            S::Ready(m) => (Some(m.data().container.clone()), false, false),
            S::Pausing(m) => (Some(m.data().container.clone()), false, false),
            S::Draining(m) => (Some(m.data().container.clone()), false, false),
            S::Paused(m) => (Some(m.data().container.clone()), false, true),
            S::Removing(m) => (Some(m.data().container.clone()), true, false),
            // A prewarm still being created: no container to destroy, but the parent
            // counts the proxy's memory and must hear that it is gone.
            S::Starting(_) => (None, false, false),
            S::Uninitialized(_) | S::Removed(_) => (None, true, false),
        };
        let cx = self.context_mut();
        cx.abandon_jobs();
        if !announced {
            cx.emit(ToParent::RescheduleJob);
        }
        if let Some(container) = container {
            // No parent hears a `DestroyFailed` now: the destroy is retried as in
            // `Removing`, and one that gives up is kept by the shared teardown.
            let config = &cx.deps().config;
            let destroy =
                work::destroy_retried(container, paused, config.destroy_attempts, config.destroy_retry_delay);
            cx.deps().teardown.spawn(destroy);
        }
    }
}

/// Starts a proxy on its own task, in `Uninitialized`. Send it
/// [`ContainerProxyEvent::Start`], [`ContainerProxyEvent::Run`] or
/// [`ContainerProxyEvent::Remove`]; its messages to the parent and its transitions
/// arrive, in order, on the returned channel.
pub fn spawn_proxy(deps: Arc<ProxyDeps>) -> (Running<ContainerProxyAny>, Notices<ContainerProxyAny>) {
    driver::spawn(ContainerProxyAny::from(ContainerProxy::new(ProxyCx::new(deps))))
}
