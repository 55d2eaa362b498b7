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
    /// both are flushed.
    pub async fn end_activation(&self) {
        // At once: each write is a trip to tokio's blocking pool, a good part of a
        // warm actionloop activation when done one after the other.
        tokio::join!(self.out_line(SENTINEL.as_bytes()), self.err_line(SENTINEL.as_bytes()));
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
