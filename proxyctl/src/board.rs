//! The board: what the server knows of its containers and activations right now,
//! kept from the pool's watch ([`PoolHandle::watch`]) and the activations the sink
//! stores, for the live view and the metrics.
//!
//! Each container is one proxy of the pool: its lifecycle state (a state of the
//! container table, [`ContainerProxyAny::META`]), the action it last ran and how
//! the pool found it (cold, warmed, prewarmed, ..). Every change is also sent to
//! subscribers ([`Board::subscribe`]) as an [`Update`], which the live view streams
//! as server-sent events.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use proxy_core::container::{Activation, ActivationStatus, ContainerProxyAny};
use proxy_core::pool::{PoolEvent, PoolHandle};
use serde::Serialize;
use tokio::sync::broadcast;

use crate::metrics::ActivationMetrics;

/// How many recent activations the latency percentiles are taken over.
pub const RECENT: usize = 1024;

/// How many updates a slow subscriber may fall behind before it loses the oldest.
const UPDATE_BACKLOG: usize = 1024;

/// One container, as the board knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerView {
    /// The pool's key of its proxy.
    pub proxy: u64,
    /// Its lifecycle state.
    pub state: &'static str,
    /// The event that brought it there (none for the initial state).
    pub event: Option<&'static str>,
    /// When it entered the state, in ms since the epoch.
    pub since_ms: u64,
    /// The action it last ran.
    pub action: Option<Arc<str>>,
    /// The activation it last ran.
    pub activation_id: Option<Arc<str>>,
    /// How the pool found it for that run (`cold`, `warmed`, `prewarmed`, ..).
    pub how: Option<&'static str>,
    /// How many runs the pool sent it.
    pub runs: u64,
}

/// The activation counts and recent latencies.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Activations that initialised their container.
    pub cold: u64,
    /// Activations that ran on an initialised container.
    pub warm: u64,
    /// Activations by outcome: `success`, `application_error`, `developer_error`,
    /// `whisk_error`.
    pub outcomes: BTreeMap<&'static str, u64>,
    /// Percentiles of the recent activations' durations (init included), ms.
    pub latency_ms: Percentiles,
}

/// p50, p90, p99 of the last [`RECENT`] activations (none before the first).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: Option<u64>,
    /// 90th percentile.
    pub p90: Option<u64>,
    /// 99th percentile.
    pub p99: Option<u64>,
}

/// What changed, for subscribers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Update {
    /// A container appeared or changed.
    Container(ContainerView),
    /// A container's proxy stopped: it is gone from the board.
    Gone {
        /// The proxy's key.
        proxy: u64,
        /// Its final state.
        state: &'static str,
    },
    /// An activation ended; the stats after it.
    Activation {
        /// The activation.
        activation_id: String,
        /// The action's name.
        name: String,
        /// Whether it initialised its container.
        cold: bool,
        /// Its outcome.
        outcome: &'static str,
        /// Its duration, ms.
        duration_ms: u64,
        /// The stats after it.
        stats: Stats,
    },
}

/// The whole board at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// Every container, by proxy key.
    pub containers: Vec<ContainerView>,
    /// The activation stats.
    pub stats: Stats,
}

#[derive(Debug, Default)]
struct Inner {
    containers: BTreeMap<u64, ContainerView>,
    /// The counts; `latency_ms` is left at its default and computed from `recent`
    /// when the stats are read ([`Inner::stats`]).
    stats: Stats,
    recent: VecDeque<u64>,
}

impl Inner {
    /// The counts, with the percentiles of the recent durations.
    fn stats(&self) -> Stats {
        let mut sorted: Vec<u64> = self.recent.iter().copied().collect();
        sorted.sort_unstable();
        let latency_ms = Percentiles {
            p50: quantile(&sorted, 0.5),
            p90: quantile(&sorted, 0.9),
            p99: quantile(&sorted, 0.99),
        };
        Stats { latency_ms, ..self.stats.clone() }
    }
}

/// The board; see the module docs.
#[derive(Debug)]
pub struct Board {
    inner: Mutex<Inner>,
    updates: broadcast::Sender<Update>,
    metrics: ActivationMetrics,
}

impl Default for Board {
    fn default() -> Self {
        Board {
            inner: Mutex::default(),
            updates: broadcast::channel(UPDATE_BACKLOG).0,
            metrics: ActivationMetrics::default(),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// The outcome's name of an activation status (a metric label: no spaces).
pub fn outcome_name(status: ActivationStatus) -> &'static str {
    match status {
        ActivationStatus::Success => "success",
        ActivationStatus::ApplicationError => "application_error",
        ActivationStatus::DeveloperError => "developer_error",
        ActivationStatus::WhiskError => "whisk_error",
    }
}

/// Whether `activation` initialised its container (its record has an `initTime`).
pub fn started_cold(activation: &Activation) -> bool {
    activation.annotations.contains_key("initTime")
}

/// The `q`-quantile (0..=1) of sorted `values`, nearest rank.
fn quantile(sorted: &[u64], q: f64) -> Option<u64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, last + 1) - 1;
    Some(sorted[rank])
}

impl Board {
    /// Keeps the board from `pool`'s watch, on a task of its own that ends with the
    /// pool. (The sink, which the pool needs, holds the board: so the board comes
    /// first and is attached to the pool after.)
    pub fn keep_from(self: &Arc<Self>, pool: &PoolHandle) {
        let mut watch = pool.watch();
        let kept = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match watch.recv().await {
                    Ok(event) => kept.apply(&event),
                    Err(broadcast::error::RecvError::Lagged(lost)) => {
                        tracing::warn!(
                            lost,
                            "the board fell behind the pool; some container states may be stale"
                        );
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The maps stay consistent whatever panicked while holding them.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish(&self, update: Update) {
        // No subscriber is fine.
        let _ = self.updates.send(update);
    }

    /// Takes one event of the pool's watch into the board.
    pub fn apply(&self, event: &PoolEvent) {
        let update = {
            let mut inner = self.lock();
            let proxy = event.proxy().0;
            let fresh = |state| ContainerView {
                proxy,
                state,
                event: None,
                since_ms: now_ms(),
                action: None,
                activation_id: None,
                how: None,
                runs: 0,
            };
            match event {
                PoolEvent::Spawned { state, .. } => {
                    let view = fresh(state);
                    inner.containers.insert(proxy, view.clone());
                    Update::Container(view)
                }
                PoolEvent::Transition { transition, .. } => {
                    let view = inner.containers.entry(proxy).or_insert_with(|| fresh(transition.from));
                    view.state = transition.to;
                    view.event = Some(transition.event);
                    view.since_ms = now_ms();
                    Update::Container(view.clone())
                }
                PoolEvent::Scheduled { action, activation_id, how, .. } => {
                    let initial = ContainerProxyAny::META.initial;
                    let view = inner.containers.entry(proxy).or_insert_with(|| fresh(initial));
                    view.action = Some(Arc::clone(action));
                    view.activation_id = Some(Arc::clone(activation_id));
                    view.how = Some(how);
                    view.runs += 1;
                    Update::Container(view.clone())
                }
                PoolEvent::Stopped { state, .. } => {
                    inner.containers.remove(&proxy);
                    Update::Gone { proxy, state }
                }
            }
        };
        self.publish(update);
    }

    /// Takes an ended activation into the stats and the metrics.
    pub fn record(&self, activation: &Activation) {
        self.metrics.observe(activation);
        let cold = started_cold(activation);
        let outcome = outcome_name(activation.response.status);
        let duration_ms = activation.interval.duration().as_millis() as u64;
        let mut inner = self.lock();
        if cold {
            inner.stats.cold += 1;
        } else {
            inner.stats.warm += 1;
        }
        *inner.stats.outcomes.entry(outcome).or_default() += 1;
        if inner.recent.len() == RECENT {
            inner.recent.pop_front();
        }
        inner.recent.push_back(duration_ms);
        // The percentiles (a sort of the recent durations) and the update are built
        // only for a subscriber: this runs once per activation, on the sink's path.
        if self.updates.receiver_count() == 0 {
            return;
        }
        let stats = inner.stats();
        drop(inner);
        self.publish(Update::Activation {
            activation_id: activation.activation_id.clone(),
            name: activation.name.clone(),
            cold,
            outcome,
            duration_ms,
            stats,
        });
    }

    /// The board now.
    pub fn snapshot(&self) -> Snapshot {
        let inner = self.lock();
        Snapshot { containers: inner.containers.values().cloned().collect(), stats: inner.stats() }
    }

    /// The activation metrics, fed by [`record`](Self::record).
    pub fn activation_metrics(&self) -> &ActivationMetrics {
        &self.metrics
    }

    /// How many containers are in each state now.
    pub fn states(&self) -> BTreeMap<&'static str, usize> {
        let mut states = BTreeMap::new();
        for view in self.lock().containers.values() {
            *states.entry(view.state).or_default() += 1;
        }
        states
    }

    /// The updates from now on; take a [`snapshot`](Self::snapshot) after
    /// subscribing, so that nothing falls between the two.
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.updates.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&values, 0.5), Some(50));
        assert_eq!(quantile(&values, 0.99), Some(99));
        assert_eq!(quantile(&[7], 0.99), Some(7));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
