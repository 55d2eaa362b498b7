//! Prewarm configuration (upstream's `PrewarmingConfig` and
//! `ReactivePrewarmingConfig`, from `runtimes.json` `stemCells`) and the key cold
//! starts are counted by (upstream's `ColdStartKey`).

use std::time::Duration;

use crate::container::StartSpec;

/// Why a [`ReactivePrewarmingConfig`] was refused: upstream's `require`s, each
/// checked when the configuration is read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReactiveConfigError {
    /// `min_count` must not exceed `max_count`.
    #[error("reactive prewarming: min count {min} is greater than max count {max}")]
    MinAboveMax {
        /// The minimum asked for.
        min: usize,
        /// The maximum asked for.
        max: usize,
    },
    /// `max_count` must be positive.
    #[error("reactive prewarming: max count must be positive")]
    ZeroMax,
    /// `ttl` must be positive.
    #[error("reactive prewarming: ttl must be positive")]
    ZeroTtl,
    /// `threshold` must be positive (it divides the cold-start count).
    #[error("reactive prewarming: threshold must be positive")]
    ZeroThreshold,
    /// `increment` must be positive and at most `max_count`.
    #[error("reactive prewarming: increment {increment} must be in 1..={max}")]
    BadIncrement {
        /// The increment asked for.
        increment: usize,
        /// The maximum count.
        max: usize,
    },
}

/// How a prewarm kind follows demand (upstream's `ReactivePrewarmingConfig`):
/// between `min_count` and `max_count` prewarms, each living `ttl`, and
/// `increment` more per `threshold` cold starts in the last adjustment period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReactivePrewarmingConfig {
    min_count: usize,
    max_count: usize,
    ttl: Duration,
    threshold: usize,
    increment: usize,
}

impl ReactivePrewarmingConfig {
    /// A reactive configuration, checked as upstream checks it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use proxy_core::pool::ReactivePrewarmingConfig;
    /// let reactive = ReactivePrewarmingConfig::new(1, 4, Duration::from_secs(60), 2, 1).unwrap();
    /// assert_eq!(reactive.max_count(), 4);
    /// assert!(ReactivePrewarmingConfig::new(1, 4, Duration::from_secs(60), 0, 1).is_err());
    /// ```
    pub fn new(
        min_count: usize,
        max_count: usize,
        ttl: Duration,
        threshold: usize,
        increment: usize,
    ) -> Result<Self, ReactiveConfigError> {
        if min_count > max_count {
            return Err(ReactiveConfigError::MinAboveMax { min: min_count, max: max_count });
        }
        if max_count == 0 {
            return Err(ReactiveConfigError::ZeroMax);
        }
        if ttl.is_zero() {
            return Err(ReactiveConfigError::ZeroTtl);
        }
        if threshold == 0 {
            return Err(ReactiveConfigError::ZeroThreshold);
        }
        if increment == 0 || increment > max_count {
            return Err(ReactiveConfigError::BadIncrement { increment, max: max_count });
        }
        Ok(ReactivePrewarmingConfig { min_count, max_count, ttl, threshold, increment })
    }

    /// The fewest prewarms kept.
    pub fn min_count(&self) -> usize {
        self.min_count
    }

    /// The most prewarms started.
    pub fn max_count(&self) -> usize {
        self.max_count
    }

    /// How long a prewarm waits for work before it expires.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Cold starts per `increment` more prewarms.
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    /// Prewarms added per `threshold` cold starts.
    pub fn increment(&self) -> usize {
        self.increment
    }
}

/// One prewarm kind (upstream's `PrewarmingConfig`): `initial_count` containers of
/// `kind` in `image` with `memory_mb`, following demand if `reactive`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrewarmingConfig {
    /// How many are started when the pool starts (and kept, if not reactive).
    pub initial_count: usize,
    /// The runtime kind (upstream's `exec.kind`).
    pub kind: String,
    /// The image (upstream's `exec.image`).
    pub image: String,
    /// Memory in MB.
    pub memory_mb: u64,
    /// How the count follows demand, if it does.
    pub reactive: Option<ReactivePrewarmingConfig>,
}

impl PrewarmingConfig {
    /// What a proxy is asked to start for this kind (upstream's
    /// `Start(exec, memory, reactive.ttl)`).
    pub fn start_spec(&self) -> StartSpec {
        StartSpec {
            kind: self.kind.clone(),
            image: self.image.clone(),
            memory_mb: self.memory_mb,
            ttl: self.reactive.as_ref().map(ReactivePrewarmingConfig::ttl),
        }
    }

    /// The key its cold starts are counted under.
    pub fn cold_start_key(&self) -> ColdStartKey {
        ColdStartKey { kind: self.kind.clone(), memory_mb: self.memory_mb }
    }
}

/// What cold starts are counted by (upstream's `ColdStartKey`): a kind and a
/// memory size, as a prewarm would have matched them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ColdStartKey {
    /// The runtime kind.
    pub kind: String,
    /// Memory in MB.
    pub memory_mb: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_requires_are_checked() {
        let ttl = Duration::from_secs(1);
        assert_eq!(
            ReactivePrewarmingConfig::new(3, 2, ttl, 1, 1),
            Err(ReactiveConfigError::MinAboveMax { min: 3, max: 2 })
        );
        assert_eq!(ReactivePrewarmingConfig::new(0, 0, ttl, 1, 1), Err(ReactiveConfigError::ZeroMax));
        assert_eq!(
            ReactivePrewarmingConfig::new(0, 2, Duration::ZERO, 1, 1),
            Err(ReactiveConfigError::ZeroTtl)
        );
        assert_eq!(ReactivePrewarmingConfig::new(0, 2, ttl, 0, 1), Err(ReactiveConfigError::ZeroThreshold));
        assert_eq!(
            ReactivePrewarmingConfig::new(0, 2, ttl, 1, 3),
            Err(ReactiveConfigError::BadIncrement { increment: 3, max: 2 })
        );
        assert!(ReactivePrewarmingConfig::new(0, 2, ttl, 1, 2).is_ok());
    }

    #[test]
    fn start_spec_carries_the_reactive_ttl() {
        let ttl = Duration::from_secs(30);
        let config = PrewarmingConfig {
            initial_count: 1,
            kind: "nodejs:20".into(),
            image: "img".into(),
            memory_mb: 256,
            reactive: Some(ReactivePrewarmingConfig::new(0, 2, ttl, 1, 1).unwrap()),
        };
        assert_eq!(config.start_spec().ttl, Some(ttl));
        assert_eq!(PrewarmingConfig { reactive: None, ..config }.start_spec().ttl, None);
    }
}
