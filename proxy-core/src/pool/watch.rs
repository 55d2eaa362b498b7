//! Watching the pool: what each of its proxies does, as it happens, for metrics and
//! live views.
//!
//! The pool forwards every notice of its proxies to itself and acts on their
//! messages only; their transitions, the runs it schedules and the proxies that
//! stop are also sent, when someone watches, on a broadcast channel
//! ([`PoolHandle::watch`](super::PoolHandle::watch)). Nothing is computed or sent
//! while nobody watches, and a watcher that falls behind loses the oldest events
//! (it hears [`broadcast::error::RecvError::Lagged`]) rather than slowing the pool:
//! a view can resynchronise, the pool's work must not wait for it.

use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::time::Instant;

use super::ProxyKey;
use crate::machine::driver::Transition;

/// How many events a slow watcher may fall behind before it loses the oldest.
pub const WATCH_BACKLOG: usize = 1024;

/// One thing that happened to one of the pool's proxies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolEvent {
    /// A proxy was created, in its machine's initial state.
    Spawned {
        /// The proxy.
        proxy: ProxyKey,
        /// Its state (the machine's initial state).
        state: &'static str,
        /// When.
        at: Instant,
    },
    /// A proxy changed state.
    Transition {
        /// The proxy.
        proxy: ProxyKey,
        /// What the driver carried out.
        transition: Transition,
    },
    /// The pool sent a run to a proxy.
    Scheduled {
        /// The proxy.
        proxy: ProxyKey,
        /// The action's qualified name (`/namespace/name` or
        /// `/namespace/package/name`).
        action: Arc<str>,
        /// The activation.
        activation_id: Arc<str>,
        /// How the container was found: `warmed`, `warming`, `warmingCold`,
        /// `adopted`, `prewarmed`, `cold` or `recreated` (upstream's
        /// `containerState`).
        how: &'static str,
    },
    /// A proxy stopped; no event about it follows.
    Stopped {
        /// The proxy.
        proxy: ProxyKey,
        /// Its final state.
        state: &'static str,
    },
}

impl PoolEvent {
    /// The proxy the event is about.
    pub fn proxy(&self) -> ProxyKey {
        match self {
            PoolEvent::Spawned { proxy, .. }
            | PoolEvent::Transition { proxy, .. }
            | PoolEvent::Scheduled { proxy, .. }
            | PoolEvent::Stopped { proxy, .. } => *proxy,
        }
    }
}

/// The sending side, shared by the pool and its forwarders.
#[derive(Debug, Clone)]
pub(crate) struct Watchers {
    tx: broadcast::Sender<PoolEvent>,
}

impl Default for Watchers {
    fn default() -> Self {
        Watchers { tx: broadcast::channel(WATCH_BACKLOG).0 }
    }
}

impl Watchers {
    /// Whether anyone watches: events are built only then.
    pub(crate) fn watched(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// Sends the event `make` builds, if anyone watches.
    pub(crate) fn send(&self, make: impl FnOnce() -> PoolEvent) {
        if self.watched() {
            // A watcher that left in between is fine.
            let _ = self.tx.send(make());
        }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<PoolEvent> {
        self.tx.subscribe()
    }
}
