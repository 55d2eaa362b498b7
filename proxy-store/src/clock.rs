//! Wall-clock time for documents. The container proxy times activations on tokio's
//! monotonic clock (`Instant`s, paused in tests); the API speaks ms since the epoch.
//! A [`WallClock`] pairs one instant with the wall time it was read at, and places
//! every other instant relative to that pair, so the durations of an activation stay
//! exact even if the system clock is stepped while it runs.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

/// A tokio instant and the wall time at that instant.
///
/// ```
/// use std::time::Duration;
/// use proxy_store::clock::WallClock;
/// let now = tokio::time::Instant::now();
/// let clock = WallClock::at(now, 1_000_000);
/// assert_eq!(clock.epoch_ms(now + Duration::from_millis(250)), 1_000_250);
/// assert_eq!(clock.epoch_ms(now - Duration::from_millis(250)), 999_750);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallClock {
    instant: Instant,
    epoch_ms: u64,
}

impl WallClock {
    /// The pair read now.
    pub fn now() -> Self {
        WallClock::at(Instant::now(), now_ms())
    }

    /// `instant` was at `epoch_ms`.
    pub fn at(instant: Instant, epoch_ms: u64) -> Self {
        WallClock { instant, epoch_ms }
    }

    /// `instant` in ms since the epoch.
    pub fn epoch_ms(&self, instant: Instant) -> u64 {
        if instant >= self.instant {
            self.epoch_ms.saturating_add(millis(instant - self.instant))
        } else {
            self.epoch_ms.saturating_sub(millis(self.instant - instant))
        }
    }
}

/// The system clock in ms since the epoch (0 before 1970, which no real clock reads).
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, millis)
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
