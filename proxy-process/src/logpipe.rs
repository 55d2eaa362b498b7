//! The runtime's pipes into its container log: stdout and stderr read line by line,
//! each line stamped as it is read, into proxy-core's [`LogBuffer`], which log reads
//! consume.

use std::sync::Arc;

use proxy_core::container::logbuf::LogBuffer;
use proxy_core::container::logs::Stream;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

/// The longest entry: a longer line is split into entries of this size, which the
/// collector joins again (as the Docker engine splits at 16 KiB).
const MAX_ENTRY: u64 = 16 * 1024;

/// Reads `pipe` into `buffer`'s `stream` line by line until its end, in a task of
/// its own, each line stamped as it is read.
pub(crate) fn capture<R: AsyncRead + Unpin + Send + 'static>(
    buffer: &Arc<LogBuffer>,
    stream: Stream,
    pipe: BufReader<R>,
) {
    let buffer = Arc::clone(buffer);
    tokio::spawn(async move {
        let mut pipe = pipe;
        let mut line = Vec::new();
        loop {
            line.clear();
            match (&mut pipe).take(MAX_ENTRY).read_until(b'\n', &mut line).await {
                Ok(0) => break,
                Ok(_) => buffer.push_line(stream, &line),
                Err(error) => {
                    tracing::debug!(%error, stream = stream.name(), "reading the runtime's log failed");
                    break;
                }
            }
        }
        buffer.close(stream);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use proxy_core::container::logs::SENTINEL;
    use proxy_core::container::{LogRead, Logs};
    use std::time::Duration;
    use tokio::time::Instant;

    fn reader(text: String) -> BufReader<std::io::Cursor<Vec<u8>>> {
        BufReader::new(std::io::Cursor::new(text.into_bytes()))
    }

    async fn closed(buffer: &LogBuffer) {
        for _ in 0..200 {
            if buffer.closed() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("the pipes were not read to their end");
    }

    #[tokio::test]
    async fn a_long_line_is_split_into_entries_and_joined_again() {
        let buffer = Arc::new(LogBuffer::new(1 << 20));
        let long = "x".repeat(40_000);
        capture(&buffer, Stream::Stdout, reader(format!("{long}\n{SENTINEL}\n")));
        capture(&buffer, Stream::Stderr, reader(format!("{SENTINEL}\n")));
        closed(&buffer).await;
        assert!(buffer.pending(Stream::Stdout) >= 3, "split at {MAX_ENTRY} bytes");
        let logs = buffer.read(1 << 20, LogRead::UntilSentinels, Duration::from_millis(100)).await;
        assert!(!logs.failed, "{logs:?}");
        assert_eq!(logs.lines.len(), 1);
        assert!(logs.lines[0].ends_with(&format!(" stdout: {long}")));
    }

    #[tokio::test]
    async fn a_stream_past_its_sentinel_waits_for_the_next_read_and_old_entries_make_room() {
        let buffer = Arc::new(LogBuffer::new(1 << 20));
        capture(&buffer, Stream::Stdout, reader(format!("one\n{SENTINEL}\ntwo\n{SENTINEL}\n")));
        capture(&buffer, Stream::Stderr, reader(format!("{SENTINEL}\n{SENTINEL}\n")));
        closed(&buffer).await;
        let idle = Duration::from_millis(50);
        let texts = |logs: Logs| logs.lines.iter().map(|l| l[31..].to_string()).collect::<Vec<_>>();
        assert_eq!(texts(buffer.read(1024, LogRead::UntilSentinels, idle).await), ["stdout: one"]);
        assert_eq!(texts(buffer.read(1024, LogRead::UntilSentinels, idle).await), ["stdout: two"]);
        // Both pipes ended: a read that waits for sentinels ends at once, with the warning.
        let started = Instant::now();
        let last = buffer.read(1024, LogRead::UntilSentinels, Duration::from_secs(5)).await;
        assert!(started.elapsed() < Duration::from_secs(1) && last.failed, "{last:?}");

        let small = Arc::new(LogBuffer::new(100));
        capture(&small, Stream::Stdout, reader((0..20).map(|i| format!("line-{i:02}\n")).collect()));
        capture(&small, Stream::Stderr, reader(String::new()));
        closed(&small).await;
        let kept = texts(small.read(1024, LogRead::Now, idle).await);
        assert!(kept.len() < 20 && kept.last().map(String::as_str) == Some("stdout: line-19"), "{kept:?}");
    }
}
