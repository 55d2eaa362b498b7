//! The container log: the runtime's own stdout and stderr, shared by every activation.
//!
//! Each line is written whole, under a lock, and flushed, so lines of concurrent
//! activations (`max_concurrent > 1`) may interleave but are never torn. The sentinel
//! of one activation is written after all of that activation's lines; with concurrent
//! activations, another activation's lines may come after it, which is upstream's
//! behaviour too: the invoker only splits logs by sentinel for one activation at a time.

use tokio::io::{AsyncWrite, AsyncWriteExt, Stderr, Stdout};
use tokio::sync::Mutex;

use crate::protocol::SENTINEL;

/// The two streams of the container log.
#[derive(Debug)]
pub struct Logs {
    out: Mutex<Stdout>,
    err: Mutex<Stderr>,
}

impl Logs {
    /// The process's own stdout and stderr.
    pub fn stdio() -> Self {
        Logs { out: Mutex::new(tokio::io::stdout()), err: Mutex::new(tokio::io::stderr()) }
    }

    /// Writes one line to stdout, adding the newline when `line` has none.
    pub async fn out_line(&self, line: &[u8]) {
        write_line(&mut *self.out.lock().await, line).await;
    }

    /// Writes one line to stderr, adding the newline when `line` has none.
    pub async fn err_line(&self, line: &[u8]) {
        write_line(&mut *self.err.lock().await, line).await;
    }

    /// Writes the end-of-activation sentinel to stdout and to stderr, and returns once
    /// both are written.
    ///
    /// Written in place, not through tokio's blocking pool as the other lines are: the
    /// two trips to the pool cost about 0.1 ms, a third of a warm actionloop activation
    /// (BENCHMARKS.md section 9). The price: should the container log's reader stop
    /// reading until its pipe is full, this write blocks the whole runtime rather than
    /// one activation, until the invoker gives up on the container (a stuck log blocks
    /// the action's own writes just as well).
    pub async fn end_activation(&self) {
        use std::io::Write;
        // Under the streams' locks, so no line of another activation is torn by it.
        let (_out, _err) = (self.out.lock().await, self.err.lock().await);
        // Errors dropped, as in `write_line`. The sentinel ends in a newline, which
        // makes std's line-buffered stdout write it at once.
        let _ = std::io::stdout().lock().write_all(SENTINEL.as_bytes());
        let _ = std::io::stderr().lock().write_all(SENTINEL.as_bytes());
    }
}

async fn write_line<W: AsyncWrite + Unpin>(stream: &mut W, line: &[u8]) {
    // A log stream nobody reads (a closed pipe) must not fail the activation, so write
    // errors are dropped here on purpose.
    let _ = stream.write_all(line).await;
    if !line.ends_with(b"\n") {
        let _ = stream.write_all(b"\n").await;
    }
    let _ = stream.flush().await;
}
