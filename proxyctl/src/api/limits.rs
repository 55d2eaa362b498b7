//! Action limits, checked with upstream's bounds and messages (its `TimeLimit`,
//! `MemoryLimit`, `LogLimit` and `ConcurrencyLimit` `require`s, whose text follows
//! Scala's `requirement failed: `): timeout 100 ms..300000 ms (upstream's
//! `time-limit` min 100 ms, max 5 min, std 1 min), memory 128..512 MB (`memory` min
//! 128 m, max 512 m, std 256 m), logs 0..10 MB (`log-limit` min 0, max 10 m, std 10 m),
//! concurrency 1..500 (`concurrency-limit` min 1, std 1; max 500, the bound upstream
//! deployments that enable intra-container concurrency set).

use proxy_store::doc::LimitsDoc;
use serde::Deserialize;

use super::error::ApiError;

/// The bounds, inclusive.
pub const TIMEOUT_MS: (u64, u64) = (100, 300_000);
/// Memory in MB.
pub const MEMORY_MB: (u64, u64) = (128, 512);
/// Logs in MB.
pub const LOGS_MB: (u64, u64) = (0, 10);
/// Activations at once in one container.
pub const CONCURRENCY: (u64, u64) = (1, 500);

/// Limits as a put sends them: each field may be absent (kept from the action being
/// replaced, else upstream's default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct LimitsPut {
    /// Time limit in ms.
    pub timeout: Option<u64>,
    /// Memory in MB.
    pub memory: Option<u64>,
    /// Log size in MB.
    pub logs: Option<u64>,
    /// Activations at once in one container.
    pub concurrency: Option<u64>,
}

impl LimitsPut {
    /// These limits over `base`, checked.
    ///
    /// ```
    /// use proxyctl::api::limits::LimitsPut;
    /// use proxy_store::doc::LimitsDoc;
    /// let put = LimitsPut { memory: Some(64), ..LimitsPut::default() };
    /// let error = put.over(LimitsDoc::default()).unwrap_err();
    /// assert!(error.message.ends_with("requirement failed: memory 64 MB below allowed threshold of 128 MB"));
    /// let put = LimitsPut { timeout: Some(300_000), ..LimitsPut::default() };
    /// assert_eq!(put.over(LimitsDoc::default()).unwrap().timeout, 300_000);
    /// ```
    pub fn over(&self, base: LimitsDoc) -> Result<LimitsDoc, ApiError> {
        let limits = LimitsDoc {
            timeout: self.timeout.unwrap_or(base.timeout),
            memory: self.memory.unwrap_or(base.memory),
            logs: self.logs.unwrap_or(base.logs),
            concurrency: self.concurrency.unwrap_or(base.concurrency),
        };
        check(&limits).map_err(|failed| ApiError::malformed(format!("requirement failed: {failed}")))?;
        Ok(limits)
    }
}

/// The first bound `limits` breaks, in upstream's words.
fn check(limits: &LimitsDoc) -> Result<(), String> {
    let bound = |value: u64, (min, max): (u64, u64), what: &str, unit: &str| {
        if value < min {
            Err(format!("{what} {value} {unit} below allowed threshold of {min} {unit}"))
        } else if value > max {
            Err(format!("{what} {value} {unit} exceeds allowed threshold of {max} {unit}"))
        } else {
            Ok(())
        }
    };
    bound(limits.timeout, TIMEOUT_MS, "duration", "milliseconds")?;
    bound(limits.memory, MEMORY_MB, "memory", "MB")?;
    bound(limits.logs, LOGS_MB, "log size", "MB")?;
    // Upstream's ConcurrencyLimit message has no unit.
    bound(limits.concurrency, CONCURRENCY, "concurrency", "")
        .map_err(|m| m.replace("  ", " ").trim_end().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(put: LimitsPut) -> String {
        put.over(LimitsDoc::default()).unwrap_err().message
    }

    #[test]
    fn every_bound_has_upstreams_message() {
        let cases = [
            (
                LimitsPut { timeout: Some(99), ..LimitsPut::default() },
                "duration 99 milliseconds below allowed threshold of 100 milliseconds",
            ),
            (
                LimitsPut { timeout: Some(300_001), ..LimitsPut::default() },
                "duration 300001 milliseconds exceeds allowed threshold of 300000 milliseconds",
            ),
            (
                LimitsPut { memory: Some(513), ..LimitsPut::default() },
                "memory 513 MB exceeds allowed threshold of 512 MB",
            ),
            (
                LimitsPut { logs: Some(11), ..LimitsPut::default() },
                "log size 11 MB exceeds allowed threshold of 10 MB",
            ),
            (
                LimitsPut { concurrency: Some(0), ..LimitsPut::default() },
                "concurrency 0 below allowed threshold of 1",
            ),
            (
                LimitsPut { concurrency: Some(501), ..LimitsPut::default() },
                "concurrency 501 exceeds allowed threshold of 500",
            ),
        ];
        for (put, message) in cases {
            assert_eq!(
                failed(put),
                format!("The request content was malformed:\nrequirement failed: {message}")
            );
        }
        let edges =
            LimitsPut { timeout: Some(100), memory: Some(128), logs: Some(0), concurrency: Some(500) };
        assert!(edges.over(LimitsDoc::default()).is_ok());
    }
}
