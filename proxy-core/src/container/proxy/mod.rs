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

pub use config::{container_name, HealthCheck, ProxyConfig, ProxyDeps};
pub use context::ProxyCx;
pub use jobs::{lost_jobs, JobId};
pub use parent::{Cause, ToParent};

use super::lifecycle::{ContainerProxy, ContainerProxyAny, ContainerProxyEvent};

impl Driven for ContainerProxyAny {
    type Output = ToParent;

    fn effects(context: &mut ProxyCx) -> &mut Effects<ContainerProxyEvent, ToParent> {
        &mut context.effects
    }
}

/// Starts a proxy on its own task, in `Uninitialized`. Send it
/// [`ContainerProxyEvent::Start`], [`ContainerProxyEvent::Run`] or
/// [`ContainerProxyEvent::Remove`]; its messages to the parent and its transitions
/// arrive, in order, on the returned channel.
pub fn spawn_proxy(deps: Arc<ProxyDeps>) -> (Running<ContainerProxyAny>, Notices<ContainerProxyAny>) {
    driver::spawn(ContainerProxyAny::from(ContainerProxy::new(ProxyCx::new(deps))))
}
