//! The pool's shutdown (what a server's SIGTERM drain needs; upstream's pool has
//! none, D30): the feed closes, the buffered runs go back to the caller, every
//! proxy is shut down with a grace, and what the proxies hand back is collected
//! into one [`ShutdownReport`]. The pool's task then closes its mailbox (the runs
//! still in it are handed back too) and ends.
//!
//! Fate of the work, each activation exactly once:
//! - a run in the pool's mailbox or buffer is handed back in the report;
//! - a run in flight finishes within the grace (stored, not in the report); one
//!   that does not is handed back, unless its caller already has (or was being
//!   sent) its result: then the proxy finishes it instead, as
//!   [`Driven::abandon`](proxy_machine::driver::Driven::abandon) does for
//!   containers (UPSTREAM.md D12);
//! - containers are removed ([`ShutdownMode::Remove`]), or, with
//!   [`ShutdownMode::LeaveWarm`], warm containers are left in place once their runs
//!   are done (the proxy's `Release`, D32) and only prewarms and containers not yet
//!   warm are removed.

use std::collections::HashSet;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::container::{ContainerId, ContainerProxyEvent, Run, ToParent};
use crate::machine::driver::Notice;

use super::actor::ProxyKey;

/// What becomes of the containers at a pool's shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShutdownMode {
    /// Every container is destroyed, as upstream's invoker does at shutdown.
    #[default]
    Remove,
    /// Warm containers (idle, paused, or busy ones once their runs finish within
    /// the grace) are left in place, not destroyed, for a later pool to adopt;
    /// prewarms and containers still being created or initialised for their first
    /// run are destroyed.
    LeaveWarm,
}

/// What a pool's shutdown did.
#[derive(Debug, Default)]
pub struct ShutdownReport {
    /// The jobs the pool did not run, in no particular order: those in its mailbox
    /// and buffer, and those its proxies handed back. Each is handed back once and
    /// none of them was stored; whoever shuts the pool down decides their fate.
    pub handed_back: Vec<Run>,
    /// Proxies that stopped without leaving a container: destroyed (within the
    /// grace, or on a task of its own after it, which the report waits for), or
    /// never created.
    pub removed: usize,
    /// The containers left in place for adoption ([`ShutdownMode::LeaveWarm`]).
    pub left: Vec<ContainerId>,
    /// Containers whose destroy failed after every attempt: left behind, for the
    /// backend's cleanup.
    pub destroy_failed: Vec<ContainerId>,
    /// Creates and destroys still under way when the pool stopped waiting for
    /// them ([`PoolConfig::teardown_wait`](super::PoolConfig::teardown_wait)): they
    /// go on while the runtime lives (a container created late is destroyed), and
    /// whatever they leave is the backend's cleanup's at the next start.
    pub unfinished: usize,
}

/// The pool's bookkeeping between the start of its shutdown and its end.
pub(super) struct Stopping {
    reply: Option<oneshot::Sender<ShutdownReport>>,
    report: ShutdownReport,
    /// Proxies whose notices have not ended yet.
    waiting: HashSet<ProxyKey>,
    /// Proxies whose notices ended.
    ended: usize,
    /// The activation id of the copy of the buffer's head still in the mailbox
    /// (the pool's `resent`): the original was handed back with the buffer, so the
    /// copy is dropped.
    resent_copy: Option<String>,
}

impl Stopping {
    /// The shutdown begins: `buffered` goes back, the proxies of `waiting` are
    /// shutting down.
    pub(super) fn new(
        reply: oneshot::Sender<ShutdownReport>,
        buffered: impl IntoIterator<Item = Run>,
        resent_copy: Option<String>,
        waiting: HashSet<ProxyKey>,
    ) -> Self {
        let report =
            ShutdownReport { handed_back: buffered.into_iter().collect(), ..ShutdownReport::default() };
        Stopping { reply: Some(reply), report, waiting, ended: 0, resent_copy }
    }

    /// A run reached the pool: it goes back, unless it is the copy of a run that
    /// went back already.
    pub(super) fn hand_back(&mut self, run: Run) {
        if self.resent_copy.as_deref() == Some(run.msg.activation_id.as_str()) {
            self.resent_copy = None;
            return;
        }
        tracing::debug!(activation = %run.msg.activation_id, "handed back at shutdown");
        self.report.handed_back.push(run);
    }

    /// A proxy's message. Capacity offers and removals change nothing now: the
    /// pool schedules nothing more.
    fn on_message(&mut self, key: ProxyKey, message: ToParent) {
        match message {
            ToParent::Resend(run) => self.hand_back(run),
            ToParent::Released { container } => {
                tracing::info!(proxy = key.0, %container, "container left for adoption");
                self.report.left.push(container);
            }
            ToParent::DestroyFailed { container, error } => {
                tracing::error!(proxy = key.0, %container, error = &error as &dyn std::error::Error, "container left behind at shutdown");
                self.report.destroy_failed.push(container);
            }
            ToParent::NeedWork(_) | ToParent::ContainerRemoved { .. } | ToParent::RescheduleJob => {}
        }
    }

    /// A notice of the proxy `key`.
    pub(super) fn on_notice(&mut self, key: ProxyKey, notice: Notice<ContainerProxyEvent, ToParent>) {
        match notice {
            Notice::Message(message) => self.on_message(key, message),
            // A run the proxy had not taken when it stopped.
            Notice::Unhandled { event: ContainerProxyEvent::Run(run), .. } => self.hand_back(run),
            Notice::Unhandled { state, event } => {
                tracing::debug!(proxy = key.0, state, event = event.name(), "event not handled at shutdown");
            }
            Notice::EffectPanicked { state } => {
                tracing::error!(proxy = key.0, state, "proxy effect panicked at shutdown")
            }
            Notice::Stopped { state, reason } => {
                tracing::debug!(proxy = key.0, state, ?reason, "proxy stopped at shutdown")
            }
            Notice::Transition(_) => {}
        }
    }

    /// The notices of the proxy `key` ended: it stopped and said all it had to.
    pub(super) fn proxy_ended(&mut self, key: ProxyKey) {
        if self.waiting.remove(&key) {
            self.ended += 1;
        }
    }

    /// Whether every proxy has stopped.
    pub(super) fn proxies_done(&self) -> bool {
        self.waiting.is_empty()
    }

    /// The containers whose destroy, after their proxy stopped, gave up, and how
    /// many creates and destroys were still under way when the pool stopped
    /// waiting.
    pub(super) fn destroys_failed(&mut self, containers: Vec<ContainerId>, unfinished: usize) {
        self.report.destroy_failed.extend(containers);
        self.report.unfinished = unfinished;
    }

    /// The shutdown is over: the report goes to whoever asked for it (if they still
    /// wait; otherwise its runs are logged, since no one can take them).
    pub(super) fn finish(mut self) {
        let mut report = std::mem::take(&mut self.report);
        // A released proxy ended too, leaving its container, and so did one whose
        // destroy failed.
        report.removed = self.ended.saturating_sub(report.left.len() + report.destroy_failed.len());
        tracing::info!(
            handed_back = report.handed_back.len(),
            removed = report.removed,
            left = report.left.len(),
            "pool shut down"
        );
        if let Some(reply) = self.reply.take() {
            if let Err(report) = reply.send(report) {
                for run in &report.handed_back {
                    tracing::error!(activation = %run.msg.activation_id, "no one took a job handed back at shutdown");
                }
            }
        }
    }
}

/// A shutdown request in the pool's mailbox.
pub(super) struct Request {
    pub(super) grace: Duration,
    pub(super) mode: ShutdownMode,
    pub(super) reply: oneshot::Sender<ShutdownReport>,
}
