//! Log collection from the engine: the container's log entries since the last read,
//! up to the end sentinels of the activation, as `<time> <stream>: <text>` lines. The
//! collection itself ([`Collector`], the sentinel, the formatting) is proxy-core's
//! [`container::logs`](proxy_core::container::logs), shared with the other backends.
//!
//! The proxy says how to read ([`LogRead`]): follow the log up to the sentinels of a
//! runtime that writes them, or take what the log holds now (a blackbox image that
//! writes none, or after a developer error).
//!
//! The engine's logs endpoint is read with timestamps. The cursor skips everything
//! already seen: the engine's `since` takes whole seconds only, the rest is filtered
//! by the collector. Lines come out in time order, as the two streams interleave out
//! of order in the engine's log.

use std::time::Duration;

use bollard::query_parameters::LogsOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use proxy_core::container::logs::{Collector, LogCursor, Stream};
use proxy_core::container::{LogRead, Logs};
use tokio::time::Instant;

pub use proxy_core::container::logs::{format_line, truncated_message, SENTINEL};

/// How one read is bounded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadLimits {
    pub(crate) limit_bytes: usize,
    pub(crate) read: LogRead,
    /// The longest silence between two entries while waiting for the sentinels.
    pub(crate) idle: Duration,
}

/// Reads `container`'s logs after `cursor`; returns the logs and the new cursor.
/// Waiting for the sentinels follows the log until both came, the stream went idle
/// for `idle`, or `max(limit in MB, 5) x 2 s` passed (upstream's bounds); otherwise
/// the read takes what the log holds now (stopping at sentinels all the same).
pub(crate) async fn read(
    docker: &Docker,
    container: &str,
    cursor: LogCursor,
    limits: ReadLimits,
) -> (Logs, LogCursor) {
    let wait_for_sentinel = limits.read == LogRead::UntilSentinels;
    let since = i32::try_from(cursor.since_secs()).unwrap_or(i32::MAX);
    let options = LogsOptionsBuilder::new()
        .stdout(true)
        .stderr(true)
        .timestamps(true)
        .follow(wait_for_sentinel)
        .since(since)
        .build();
    let mut collector = Collector::new(cursor, limits.limit_bytes);
    let mut stream = std::pin::pin!(docker.logs(container, Some(options)));
    let megabytes = u64::try_from(limits.limit_bytes / (1024 * 1024)).unwrap_or(u64::MAX);
    let deadline = Instant::now() + Duration::from_secs(2 * megabytes.max(5));

    let mut error = false;
    while !collector.complete() {
        let idle = (Instant::now() + limits.idle).min(deadline);
        let next = if wait_for_sentinel {
            match tokio::time::timeout_at(idle, stream.next()).await {
                Ok(next) => next,
                Err(_) => {
                    tracing::debug!(container, "log stream idle before the sentinels");
                    break;
                }
            }
        } else {
            stream.next().await
        };
        match next {
            None => break,
            Some(Ok(bollard::container::LogOutput::StdOut { message })) => {
                collector.push(Stream::Stdout, &message)
            }
            Some(Ok(bollard::container::LogOutput::StdErr { message })) => {
                collector.push(Stream::Stderr, &message)
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                tracing::warn!(container, error = %e, "reading the container's logs failed");
                error = true;
                break;
            }
        }
    }
    let cursor = collector.cursor();
    let missing = (wait_for_sentinel || error) && !collector.complete();
    (collector.finish(missing, limits.read == LogRead::AfterDeveloperError), cursor)
}
