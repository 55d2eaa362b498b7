//! The invoker the pool benches measure: distinct actions, one warm container each,
//! on the instant backend, with a sink that wakes the feeder whose activation it
//! stores. See `benches/pool.rs`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use proxy_core::container::{
    spawn_proxy, AckKind, Action, ActionLimits, Activation, ActivationMessage, ActivationSink,
    ContainerProxyAny, ContainerProxyEvent as Event, ProxyConfig, ProxyDeps, Run,
};
use proxy_core::machine::driver::Running;
use proxy_core::pool::{spawn_pool, PoolConfig, PoolHandle};
use tokio::sync::Notify;

use super::InstantFactory;

/// Each action's memory.
pub(crate) const MEMORY_MB: u64 = 256;

/// The one place the pool benches hand the pool a job (the pool's `submit` is to become
/// asynchronous and back-pressured: only this changes then).
pub(crate) async fn submit(pool: &PoolHandle, run: Run) {
    pool.submit(run).await.expect("the pool runs");
}

/// Wakes the feeder named in each stored activation's id (see [`job`]).
pub(crate) struct FeederSink {
    pub(crate) feeders: Vec<Notify>,
}

impl FeederSink {
    pub(crate) fn new(feeders: usize) -> Arc<Self> {
        Arc::new(FeederSink { feeders: (0..feeders).map(|_| Notify::new()).collect() })
    }
}

#[async_trait]
impl ActivationSink for FeederSink {
    async fn ack(&self, _: AckKind, _: &Activation, _: bool) {}

    async fn store(&self, activation: &Activation, _: bool) {
        let feeder = activation.activation_id.get(..8).and_then(|hex| usize::from_str_radix(hex, 16).ok());
        match feeder.and_then(|f| self.feeders.get(f)) {
            Some(notify) => notify.notify_one(),
            None => panic!("activation {} names no feeder", activation.activation_id),
        }
    }
}

/// The actions, one per container.
pub(crate) fn actions(count: usize) -> Vec<Arc<Action>> {
    (0..count)
        .map(|i| {
            Arc::new(Action {
                kind: "nodejs:20".into(),
                limits: ActionLimits {
                    timeout: Duration::from_secs(60),
                    memory_mb: MEMORY_MB,
                    logs_mb: 0,
                    max_concurrent: 1,
                },
                ..Action::new("guest", format!("action-{i}"), "runtime:latest", "function main() {}")
            })
        })
        .collect()
}

/// A blocking job of `action` whose id names `feeder` (the first 8 hex digits).
pub(crate) fn job(action: &Arc<Action>, feeder: usize, seq: u64) -> Run {
    Run::new(action.clone(), ActivationMessage::new(format!("{feeder:08x}{seq:024x}"), "guest"))
}

/// What the two ways share: the backend and the feeders' sink.
pub(crate) struct World {
    pub(crate) factory: Arc<InstantFactory>,
    pub(crate) sink: Arc<FeederSink>,
    pub(crate) deps: Arc<ProxyDeps>,
    pub(crate) actions: Vec<Arc<Action>>,
}

impl World {
    pub(crate) fn new(containers: usize, feeders: usize) -> Self {
        let factory = Arc::new(InstantFactory::default());
        // One feeder per container while warming, `feeders` afterwards.
        let sink = FeederSink::new(containers.max(feeders));
        let config = ProxyConfig {
            pause_grace: Duration::from_secs(3600),
            user_memory_mb: containers as u64 * MEMORY_MB,
            ..ProxyConfig::default()
        };
        let deps = Arc::new(ProxyDeps::new(factory.clone(), sink.clone(), config));
        World { factory, sink, deps, actions: actions(containers) }
    }

    /// A pool whose budget holds one container per action, each warm.
    pub(crate) async fn warm_pool(&self) -> PoolHandle {
        let budget = self.actions.len() as u64 * MEMORY_MB;
        let pool = spawn_pool(PoolConfig::new(budget, vec![]), self.deps.clone());
        let sent = self.actions.iter().enumerate().map(|(i, action)| {
            let pool = pool.clone();
            async move { submit(&pool, job(action, i, 0)).await }
        });
        self.warm_up(sent).await;
        // The proxies' NeedWork may still be on their way: wait until all are free.
        loop {
            let snapshot = pool.snapshot().await.expect("the pool runs");
            if snapshot.free == self.actions.len() && snapshot.busy == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        pool
    }

    /// One warm proxy per action, their notices dropped.
    pub(crate) async fn warm_proxies(&self) -> Vec<Running<ContainerProxyAny>> {
        let proxies: Vec<_> = self.actions.iter().map(|_| spawn_proxy(self.deps.clone()).0).collect();
        let sent = proxies.iter().zip(&self.actions).enumerate().map(|(i, (proxy, action))| async move {
            proxy.send(Event::Run(job(action, i, 0))).expect("the proxy runs");
        });
        self.warm_up(sent).await;
        proxies
    }

    /// Sends the first (cold) activation of every action and waits for all.
    async fn warm_up(&self, sent: impl Iterator<Item = impl std::future::Future<Output = ()>>) {
        for send in sent {
            send.await;
        }
        for notify in &self.sink.feeders[..self.actions.len()] {
            notify.notified().await;
        }
    }
}
