//! The container log: the runtime's stdout and stderr, read from its pipes line by
//! line, each line stamped as it is read, kept per stream until a log read consumes
//! it. Reads go through proxy-core's sentinel [`Collector`], as the Docker backend's
//! do: up to both end sentinels (or the idle bound), or what is there now.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proxy_core::container::logs::{Collector, LogCursor, Stream};
use proxy_core::container::stamp::Stamp;
use proxy_core::container::{LogRead, Logs};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The longest entry: a longer line is split into entries of this size, which the
/// collector joins again (as the Docker engine splits at 16 KiB).
const MAX_ENTRY: u64 = 16 * 1024;

#[derive(Debug, Default)]
struct Queue {
    /// Entries as `<RFC 3339 time> <bytes>`, oldest first.
    entries: VecDeque<Vec<u8>>,
    bytes: usize,
    /// The pipe reached its end: nothing more will come.
    closed: bool,
}

/// The two streams' unread entries.
#[derive(Debug)]
pub(crate) struct LogBuffer {
    queues: Mutex<[Queue; 2]>,
    /// Woken on every new entry and at each stream's end.
    arrived: Notify,
    /// Per stream, the most bytes kept.
    capacity: usize,
}

impl LogBuffer {
    pub(crate) fn new(capacity: usize) -> Arc<Self> {
        Arc::new(LogBuffer { queues: Mutex::default(), arrived: Notify::new(), capacity })
    }

    fn push(&self, stream: Stream, text: &[u8]) {
        let stamp = Stamp::now().to_rfc3339();
        let mut entry = Vec::with_capacity(stamp.len() + 1 + text.len());
        entry.extend_from_slice(stamp.as_bytes());
        entry.push(b' ');
        entry.extend_from_slice(text);
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        let queue = &mut queues[stream as usize];
        queue.bytes += entry.len();
        queue.entries.push_back(entry);
        while queue.bytes > self.capacity {
            match queue.entries.pop_front() {
                Some(old) => queue.bytes -= old.len(),
                None => break,
            }
        }
        drop(queues);
        self.arrived.notify_waiters();
    }

    fn close(&self, stream: Stream) {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())[stream as usize].closed = true;
        self.arrived.notify_waiters();
    }

    /// Reads `pipe` into `stream` until its end, in a task of its own.
    pub(crate) fn capture<R: AsyncRead + Unpin + Send + 'static>(
        self: &Arc<Self>,
        stream: Stream,
        pipe: BufReader<R>,
    ) {
        let buffer = Arc::clone(self);
        tokio::spawn(async move {
            let mut pipe = pipe;
            let mut line = Vec::new();
            loop {
                line.clear();
                match (&mut pipe).take(MAX_ENTRY).read_until(b'\n', &mut line).await {
                    Ok(0) => break,
                    Ok(_) => buffer.push(stream, &line),
                    Err(error) => {
                        tracing::debug!(%error, stream = stream.name(), "reading the runtime's log failed");
                        break;
                    }
                }
            }
            buffer.close(stream);
        });
    }

    /// The logs of one activation, read as `read` says: up to both sentinels (or
    /// `idle` without a line, or the bound of `max(limit in MB, 5) x 2 s`), or what
    /// the buffer holds now. A stream's entries past its sentinel stay for the next
    /// read.
    pub(crate) async fn read(&self, limit_bytes: usize, read: LogRead, idle: Duration) -> Logs {
        let wait = read == LogRead::UntilSentinels;
        let mut collector = Collector::new(LogCursor::default(), limit_bytes);
        let megabytes = u64::try_from(limit_bytes / (1024 * 1024)).unwrap_or(u64::MAX);
        let deadline = Instant::now() + Duration::from_secs(2 * megabytes.max(5));
        loop {
            // Registered before the queues are looked at, so that no entry pushed
            // in between goes unnoticed.
            let arrived = self.arrived.notified();
            let mut arrived = std::pin::pin!(arrived);
            arrived.as_mut().enable();
            let ended = {
                let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
                for stream in [Stream::Stdout, Stream::Stderr] {
                    let queue = &mut queues[stream as usize];
                    while !collector.stream_done(stream) {
                        let Some(entry) = queue.entries.pop_front() else { break };
                        queue.bytes -= entry.len();
                        collector.push(stream, &entry);
                    }
                }
                queues.iter().all(|q| q.closed && q.entries.is_empty())
            };
            if collector.complete() || !wait || ended {
                break;
            }
            let until = (Instant::now() + idle).min(deadline);
            if tokio::time::timeout_at(until, arrived).await.is_err() {
                tracing::debug!("the runtime's log went idle before the sentinels");
                break;
            }
        }
        let missing = wait && !collector.complete();
        collector.finish(missing, read == LogRead::AfterDeveloperError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proxy_core::container::logs::SENTINEL;

    fn reader(text: String) -> BufReader<std::io::Cursor<Vec<u8>>> {
        BufReader::new(std::io::Cursor::new(text.into_bytes()))
    }

    async fn closed(buffer: &LogBuffer) {
        for _ in 0..200 {
            if buffer.queues.lock().unwrap().iter().all(|q| q.closed) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("the pipes were not read to their end");
    }

    #[tokio::test]
    async fn a_long_line_is_split_into_entries_and_joined_again() {
        let buffer = LogBuffer::new(1 << 20);
        let long = "x".repeat(40_000);
        buffer.capture(Stream::Stdout, reader(format!("{long}\n{SENTINEL}\n")));
        buffer.capture(Stream::Stderr, reader(format!("{SENTINEL}\n")));
        closed(&buffer).await;
        assert!(buffer.queues.lock().unwrap()[0].entries.len() >= 3, "split at {MAX_ENTRY} bytes");
        let logs = buffer.read(1 << 20, LogRead::UntilSentinels, Duration::from_millis(100)).await;
        assert!(!logs.failed, "{logs:?}");
        assert_eq!(logs.lines.len(), 1);
        assert!(logs.lines[0].ends_with(&format!(" stdout: {long}")));
    }

    #[tokio::test]
    async fn a_stream_past_its_sentinel_waits_for_the_next_read_and_old_entries_make_room() {
        let buffer = LogBuffer::new(1 << 20);
        buffer.capture(Stream::Stdout, reader(format!("one\n{SENTINEL}\ntwo\n{SENTINEL}\n")));
        buffer.capture(Stream::Stderr, reader(format!("{SENTINEL}\n{SENTINEL}\n")));
        closed(&buffer).await;
        let idle = Duration::from_millis(50);
        let texts = |logs: Logs| logs.lines.iter().map(|l| l[31..].to_string()).collect::<Vec<_>>();
        assert_eq!(texts(buffer.read(1024, LogRead::UntilSentinels, idle).await), ["stdout: one"]);
        assert_eq!(texts(buffer.read(1024, LogRead::UntilSentinels, idle).await), ["stdout: two"]);
        // Both pipes ended: a read that waits for sentinels ends at once, with the warning.
        let started = Instant::now();
        let last = buffer.read(1024, LogRead::UntilSentinels, Duration::from_secs(5)).await;
        assert!(started.elapsed() < Duration::from_secs(1) && last.failed, "{last:?}");

        let small = LogBuffer::new(100);
        small.capture(Stream::Stdout, reader((0..20).map(|i| format!("line-{i:02}\n")).collect()));
        small.capture(Stream::Stderr, reader(String::new()));
        closed(&small).await;
        let kept = texts(small.read(1024, LogRead::Now, idle).await);
        assert!(kept.len() < 20 && kept.last().map(String::as_str) == Some("stdout: line-19"), "{kept:?}");
    }
}
