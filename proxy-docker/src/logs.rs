//! Log collection from the engine: the container's log entries since the last read,
//! up to the end sentinels of the activation, as `<time> <stream>: <text>` lines. The
//! collection itself ([`Collector`](proxy_core::container::logs::Collector), the
//! sentinel, the formatting) is proxy-core's
//! [`container::logs`](proxy_core::container::logs), shared with the other backends.
//!
//! The proxy says how to read ([`LogRead`]): follow the log up to the sentinels of a
//! runtime that writes them, or take what the log holds now (a blackbox image that
//! writes none, or after a developer error).
//!
//! The engine's logs endpoint is followed once per container, with timestamps, from
//! its first read on (`LogTail`), into a buffer that reads consume: a read costs
//! what the activation wrote, not the whole log again. (Reading it anew per
//! activation with `since` made the engine scan the log file from its beginning every
//! time: warm invokes through the API slowed down as a container's log grew, from
//! 154 to 64 a second over five rounds of the engine bench.) An adopted container's
//! log is followed from the adoption on. Lines come out in time order, as the two
//! streams interleave out of order in the engine's log.

use std::sync::Arc;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use proxy_core::container::logbuf::LogBuffer;
use proxy_core::container::logs::{LogCursor, Stream};
use proxy_core::container::{LogRead, Logs};
use tokio::task::AbortHandle;

use crate::config::DockerConfig;

pub use proxy_core::container::logs::{format_line, truncated_message, SENTINEL};

/// A container's log as it grows: the engine's log stream, followed from the first
/// read on by a task of its own into a [`LogBuffer`] that reads consume.
#[derive(Debug)]
pub(crate) struct LogTail {
    buffer: Arc<LogBuffer>,
    task: AbortHandle,
}

impl LogTail {
    /// Follows `container`'s log from `start` on (entries up to it are skipped).
    pub(crate) fn follow(docker: &Docker, container: &str, start: LogCursor, config: &DockerConfig) -> Self {
        let buffer =
            Arc::new(LogBuffer::new(config.log_buffer_bytes).starting_at(start).settling(config.log_settle));
        let options = LogsOptionsBuilder::new()
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .follow(true)
            .since(i32::try_from(start.since_secs()).unwrap_or(i32::MAX))
            .build();
        let (docker, container, feed) = (docker.clone(), container.to_string(), Arc::clone(&buffer));
        let task = tokio::spawn(async move {
            let mut stream = std::pin::pin!(docker.logs(&container, Some(options)));
            while let Some(next) = stream.next().await {
                match next {
                    Ok(LogOutput::StdOut { message }) => feed.push_entry(Stream::Stdout, message.to_vec()),
                    Ok(LogOutput::StdErr { message }) => feed.push_entry(Stream::Stderr, message.to_vec()),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(container, error = %e, "following the container's logs failed");
                        break;
                    }
                }
            }
            // A log that ended (the container is gone, or the engine failed) makes
            // every later read end at once with upstream's warning line.
            feed.close(Stream::Stdout);
            feed.close(Stream::Stderr);
        });
        LogTail { buffer, task: task.abort_handle() }
    }

    /// The logs of one activation, as `read` says (see [`LogBuffer::read`]).
    pub(crate) async fn read(&self, limit_bytes: usize, read: LogRead, idle: Duration) -> Logs {
        self.buffer.read(limit_bytes, read, idle).await
    }
}

impl Drop for LogTail {
    fn drop(&mut self) {
        self.task.abort();
    }
}
