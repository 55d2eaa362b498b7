//! A container log held in memory: timestamped entries per stream, kept until a
//! log read consumes them, fed by a task of the backend (the process backend reads
//! the runtime's pipes and stamps each line; the Docker backend follows the
//! engine's log stream, whose entries come stamped). Reads go through the sentinel
//! [`Collector`]: up to both end sentinels (or the idle bound), or what is there now.
//!
//! Consuming entries means a read never sees the log's older part again: reading
//! costs what the activation wrote, however long the container has lived.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use super::backend::{LogRead, Logs};
use super::logs::{Collector, LogCursor, Stream};
use super::stamp::Stamp;
use tokio::sync::Notify;
use tokio::time::Instant;

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
pub struct LogBuffer {
    queues: Mutex<[Queue; 2]>,
    /// Woken on every new entry and at each stream's end.
    arrived: Notify,
    /// Per stream, the most bytes kept.
    capacity: usize,
    /// Entries up to it are skipped (an adopted container's earlier output).
    start: LogCursor,
    /// How long a read of what is there now waits for more after the last entry
    /// (a feed that trails the runtime's output, as the engine's log stream does).
    settle: Duration,
}

impl LogBuffer {
    /// An empty buffer keeping up to `capacity` bytes per stream (the oldest go
    /// first).
    pub fn new(capacity: usize) -> Self {
        LogBuffer {
            queues: Mutex::default(),
            arrived: Notify::new(),
            capacity,
            start: LogCursor::default(),
            settle: Duration::ZERO,
        }
    }

    /// Skips every entry up to `start`.
    pub fn starting_at(self, start: LogCursor) -> Self {
        LogBuffer { start, ..self }
    }

    /// A read of what is there now ([`LogRead::Now`], [`LogRead::AfterDeveloperError`])
    /// also takes what arrives until `settle` passes without an entry.
    pub fn settling(self, settle: Duration) -> Self {
        LogBuffer { settle, ..self }
    }

    /// Adds a line `stream` produced now: stamped with the current time.
    pub fn push_line(&self, stream: Stream, text: &[u8]) {
        let stamp = Stamp::now().to_rfc3339();
        let mut entry = Vec::with_capacity(stamp.len() + 1 + text.len());
        entry.extend_from_slice(stamp.as_bytes());
        entry.push(b' ');
        entry.extend_from_slice(text);
        self.push_entry(stream, entry);
    }

    /// Adds an entry that carries its time: `<RFC 3339 time> <bytes>`.
    pub fn push_entry(&self, stream: Stream, entry: Vec<u8>) {
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

    /// `stream` ended: nothing more will come.
    pub fn close(&self, stream: Stream) {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())[stream as usize].closed = true;
        self.arrived.notify_waiters();
    }

    /// Whether both streams ended (entries may remain unread).
    pub fn closed(&self) -> bool {
        self.queues.lock().unwrap_or_else(|e| e.into_inner()).iter().all(|q| q.closed)
    }

    /// How many of `stream`'s entries wait for a read.
    pub fn pending(&self, stream: Stream) -> usize {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())[stream as usize].entries.len()
    }

    /// Whether both streams ended and every entry was read.
    pub fn ended(&self) -> bool {
        self.queues.lock().unwrap_or_else(|e| e.into_inner()).iter().all(|q| q.closed && q.entries.is_empty())
    }

    /// The logs of one activation, read as `read` says: up to both sentinels (or
    /// `idle` without a line, or the bound of `max(limit in MB, 5) x 2 s`), or what
    /// the buffer holds now. A stream's entries past its sentinel stay for the next
    /// read.
    pub async fn read(&self, limit_bytes: usize, read: LogRead, idle: Duration) -> Logs {
        let wait = read == LogRead::UntilSentinels;
        let mut collector = Collector::new(self.start, limit_bytes);
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
            if collector.complete() || ended || (!wait && self.settle.is_zero()) {
                break;
            }
            let quiet = if wait { idle } else { self.settle };
            let until = (Instant::now() + quiet).min(deadline);
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
    use crate::container::logs::SENTINEL;
    use std::sync::Arc;

    fn entry(at: Stamp, text: &str) -> Vec<u8> {
        format!("{} {text}\n", at.to_rfc3339()).into_bytes()
    }

    fn texts(logs: &Logs) -> Vec<String> {
        logs.lines.iter().map(|l| l[31..].to_string()).collect()
    }

    #[tokio::test]
    async fn entries_up_to_the_start_are_skipped() {
        let before = Stamp::now();
        std::thread::sleep(Duration::from_millis(2));
        let start = Stamp::now();
        let buffer = LogBuffer::new(1 << 20).starting_at(LogCursor::starting_at(start));
        buffer.push_entry(Stream::Stdout, entry(before, "old"));
        buffer.push_line(Stream::Stdout, b"new\n");
        buffer.push_line(Stream::Stdout, format!("{SENTINEL}\n").as_bytes());
        buffer.push_line(Stream::Stderr, format!("{SENTINEL}\n").as_bytes());
        let logs = buffer.read(1024, LogRead::UntilSentinels, Duration::from_millis(50)).await;
        assert_eq!(texts(&logs), ["stdout: new"], "{logs:?}");
        assert!(!logs.failed);
    }

    #[tokio::test]
    async fn a_settling_read_of_what_is_there_takes_entries_that_trail_in() {
        let buffer = Arc::new(LogBuffer::new(1 << 20).settling(Duration::from_millis(200)));
        buffer.push_line(Stream::Stdout, b"first\n");
        let feed = Arc::clone(&buffer);
        let late = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            feed.push_line(Stream::Stderr, b"late\n");
        });
        let logs = buffer.read(1024, LogRead::Now, Duration::from_secs(2)).await;
        late.await.unwrap();
        assert_eq!(texts(&logs), ["stdout: first", "stderr: late"], "{logs:?}");

        // Without settling, what is there now is all a read takes.
        let plain = LogBuffer::new(1 << 20);
        plain.push_line(Stream::Stdout, b"only\n");
        let logs = plain.read(1024, LogRead::Now, Duration::from_secs(2)).await;
        assert_eq!(texts(&logs), ["stdout: only"]);
    }

    #[tokio::test]
    async fn a_closed_buffer_ends_a_read_that_waits_at_once() {
        let buffer = LogBuffer::new(1 << 20);
        buffer.close(Stream::Stdout);
        buffer.close(Stream::Stderr);
        assert!(buffer.ended());
        let started = Instant::now();
        let logs = buffer.read(1024, LogRead::UntilSentinels, Duration::from_secs(5)).await;
        assert!(started.elapsed() < Duration::from_secs(1) && logs.failed, "{logs:?}");
    }
}
