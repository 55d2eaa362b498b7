//! A proxy's settings and what every proxy of an invoker shares.

use std::sync::Arc;
use std::time::Duration;

use super::super::activation::ActivationSink;
use super::super::backend::ContainerFactory;
use super::super::encryption::ParameterEncryption;
use super::super::teardown::Teardown;

/// TCP health pings of prewarmed containers (reference 1.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthCheck {
    /// Time between pings.
    pub period: Duration,
    /// Consecutive failed pings that condemn the container.
    pub max_fails: u32,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck { period: Duration::from_secs(3), max_fails: 3 }
    }
}

/// A proxy's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyConfig {
    /// How long a warm container stays unpaused after its last activation (10 s).
    pub pause_grace: Duration,
    /// How long a paused container is kept (10 min).
    pub unused_timeout: Duration,
    /// Health pings of prewarmed containers; `None` disables them (upstream's default).
    pub health_check: Option<HealthCheck>,
    /// The memory all containers of the invoker share, for CPU shares (MB).
    pub user_memory_mb: u64,
    /// The CPUs all containers share, for an optional hard CPU limit.
    pub user_cpus: Option<f64>,
    /// How many times a failed destroy is tried before the proxy gives up and reports it.
    pub destroy_attempts: u32,
    /// The wait before trying a failed destroy again.
    pub destroy_retry_delay: Duration,
    /// The keys that unlock encrypted parameters; none by default.
    pub encryption: Arc<ParameterEncryption>,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            pause_grace: Duration::from_secs(10),
            unused_timeout: Duration::from_secs(600),
            health_check: None,
            user_memory_mb: 1024,
            user_cpus: None,
            destroy_attempts: 3,
            destroy_retry_delay: Duration::from_secs(1),
            encryption: Arc::default(),
        }
    }
}

impl ProxyConfig {
    /// `max(1024 / (userMemory / memory), 2)`, the division being an integer one as upstream.
    pub fn cpu_shares(&self, memory_mb: u64) -> u32 {
        let containers = (self.user_memory_mb / memory_mb.max(1)).max(1);
        u32::try_from((1024 / containers).max(2)).unwrap_or(u32::MAX)
    }

    /// `max(round5(cpus / (userMemory / memory)), 0.01)`, when CPUs are limited.
    pub fn cpu_limit(&self, memory_mb: u64) -> Option<f64> {
        self.user_cpus.map(|cpus| {
            let share = cpus / (self.user_memory_mb as f64 / memory_mb.max(1) as f64);
            ((share * 1e5).round() / 1e5).max(0.01)
        })
    }
}

/// What every proxy of an invoker shares.
pub struct ProxyDeps {
    /// Creates containers.
    pub factory: Arc<dyn ContainerFactory>,
    /// Receives acks and activation records.
    pub sink: Arc<dyn ActivationSink>,
    /// The settings.
    pub config: ProxyConfig,
    /// The destroys a shutdown past its grace leaves running after their proxies
    /// stopped, for whoever shut them down to wait for.
    pub teardown: Arc<Teardown>,
}

impl ProxyDeps {
    /// What proxies built with `factory`, reporting to `sink`, with `config`, share;
    /// a fresh [`Teardown`].
    pub fn new(
        factory: Arc<dyn ContainerFactory>,
        sink: Arc<dyn ActivationSink>,
        config: ProxyConfig,
    ) -> Self {
        ProxyDeps { factory, sink, config, teardown: Arc::default() }
    }
}
