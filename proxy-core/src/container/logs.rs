//! Sentinel-based log collection, shared by the backends (upstream's
//! `DockerContainer.logs` and its log store's formatting): a container log's
//! timestamped entries, per stream, up to the end sentinels of one activation, as
//! `<time> <stream>: <text>` lines, with upstream's warnings on truncation or a
//! missing sentinel.
//!
//! A backend feeds a [`Collector`] entries `<RFC 3339 time> <payload>` (the Docker
//! engine's logs endpoint sends them so; the process backend stamps the lines it
//! reads from the runtime's pipes). A [`LogCursor`] remembers, per stream, the
//! timestamp of the last entry consumed (and how many entries carried exactly that
//! timestamp), so that a read of a log sent again from an earlier point skips what an
//! earlier read consumed. A stream whose sentinel came is not read further: what
//! follows is the next activation's.

use super::backend::Logs;
use super::response::messages;
use super::stamp::Stamp;

/// The line an action runtime writes to stdout and to stderr after each activation.
pub const SENTINEL: &str = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX";

/// Upstream's `Messages.truncateLogs(limit)`.
pub fn truncated_message(limit: usize) -> String {
    format!("Logs were truncated because the total bytes size exceeds the limit of {limit} bytes.")
}

/// Upstream's `LogLine.toFormattedString`: the time padded to 30 columns, the stream,
/// the text without its line end.
pub fn format_line(time: &str, stream: &str, text: &str) -> String {
    format!("{time:<30} {stream}: {}", text.trim_end_matches(['\n', '\r']))
}

/// Where the previous read stopped, per stream: the engine timestamps each stream's
/// entries as it copies them, so the two streams interleave in the log out of time
/// order, while each stream alone is in order.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LogCursor {
    streams: [StreamCursor; 2],
}

impl LogCursor {
    /// A cursor that skips every entry before `at`: the logs of a container
    /// adopted at `at` start with what it writes from then on.
    pub fn starting_at(at: Stamp) -> Self {
        let stream = StreamCursor { last: Some(at), at_last: 0 };
        LogCursor { streams: [stream; 2] }
    }

    /// The whole second from which the engine must send entries (its `since`).
    pub fn since_secs(&self) -> i64 {
        match (self.streams[0].last, self.streams[1].last) {
            (Some(a), Some(b)) => a.min(b).secs,
            // A stream never read from starts at the beginning.
            _ => 0,
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct StreamCursor {
    /// The timestamp of the last entry consumed.
    last: Option<Stamp>,
    /// How many consumed entries carry exactly `last`.
    at_last: usize,
}

/// The two output streams of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout = 0,
    /// Standard error.
    Stderr = 1,
}

impl Stream {
    /// `stdout` or `stderr`, as log lines name it.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Collects one read's entries: skips what the cursor has seen, joins partial
/// entries (the engine splits lines longer than 16 KiB), drops sentinel lines, keeps
/// lines up to the size limit. Once a stream's sentinel came, that stream's later
/// entries belong to the next activation: they are left for the next read.
#[derive(Debug)]
pub struct Collector {
    /// Where the previous read stopped: entries up to it are skipped.
    start: LogCursor,
    /// Where this read stands.
    cursor: LogCursor,
    /// Per stream, entries with the start's exact timestamp skipped so far.
    skipped_at_last: [usize; 2],
    limit: usize,
    used: usize,
    /// The lines kept, with their times: the two streams arrive interleaved out of
    /// time order, and are put back in time order at the end.
    lines: Vec<(Stamp, String)>,
    truncated: bool,
    sentinels: [bool; 2],
    partial: [Option<(String, Vec<u8>)>; 2],
}

impl Collector {
    /// A read that starts after `cursor` and keeps up to `limit` bytes of lines.
    pub fn new(cursor: LogCursor, limit: usize) -> Self {
        Collector {
            start: cursor,
            cursor,
            skipped_at_last: [0; 2],
            limit,
            used: 0,
            lines: Vec::new(),
            truncated: false,
            sentinels: [false; 2],
            partial: [None, None],
        }
    }

    /// The cursor after everything consumed so far.
    pub fn cursor(&self) -> LogCursor {
        self.cursor
    }

    /// Whether `stream`'s sentinel came: its later entries are the next activation's,
    /// and [`push`](Self::push) ignores them (a reader that owns its entries leaves
    /// them for the next read).
    pub fn stream_done(&self, stream: Stream) -> bool {
        self.sentinels[stream as usize]
    }

    /// Both sentinels seen: the activation's logs are complete.
    pub fn complete(&self) -> bool {
        self.sentinels == [true, true]
    }

    /// One entry of the logs endpoint: `<timestamp> <payload>`.
    pub fn push(&mut self, stream: Stream, entry: &[u8]) {
        let s = stream as usize;
        if self.sentinels[s] {
            return;
        }
        let Some(space) = entry.iter().position(|b| *b == b' ') else { return };
        let time = String::from_utf8_lossy(&entry[..space]).into_owned();
        let payload = &entry[space + 1..];
        let Some(stamp) = Stamp::parse(&time) else {
            tracing::debug!(entry = %String::from_utf8_lossy(entry), "log entry without a timestamp; skipped");
            return;
        };
        let start = self.start.streams[s];
        if let Some(last) = start.last {
            if stamp < last {
                return;
            }
            if stamp == last && self.skipped_at_last[s] < start.at_last {
                self.skipped_at_last[s] += 1;
                return;
            }
        }
        let cursor = &mut self.cursor.streams[s];
        if Some(stamp) == cursor.last {
            cursor.at_last += 1;
        } else {
            *cursor = StreamCursor { last: Some(stamp), at_last: 1 };
        }

        let slot = &mut self.partial[s];
        let (time, mut text) = slot.take().unwrap_or((time, Vec::new()));
        text.extend_from_slice(payload);
        if text.last() != Some(&b'\n') {
            // A partial entry: the rest of the line follows.
            *slot = Some((time, text));
            return;
        }
        self.line(stream, &time, &text);
    }

    fn line(&mut self, stream: Stream, time: &str, text: &[u8]) {
        let text = String::from_utf8_lossy(text);
        if text.contains(SENTINEL) {
            self.sentinels[stream as usize] = true;
            return;
        }
        if self.truncated {
            return;
        }
        // Upstream weighs a line as its size plus one.
        let weight = text.trim_end_matches(['\n', '\r']).len() + 1;
        if self.used + weight > self.limit {
            self.truncated = true;
            return;
        }
        self.used += weight;
        let stamp = Stamp::parse(time).unwrap_or(Stamp { secs: 0, nanos: 0 });
        self.lines.push((stamp, format_line(time, stream.name(), &text)));
    }

    /// The lines, with upstream's warning lines appended where collection went wrong.
    /// `missing_sentinel`: the sentinels were awaited and did not both come.
    /// `developer_error`: the activation ended in one, and the last line says logs may
    /// be missing (upstream's log store).
    pub fn finish(mut self, missing_sentinel: bool, developer_error: bool) -> Logs {
        // A partial line left at the end is still text the action wrote.
        for stream in [Stream::Stdout, Stream::Stderr] {
            if let Some((time, text)) = self.partial[stream as usize].take() {
                self.line(stream, &time, &text);
            }
        }
        self.lines.sort_by_key(|(stamp, _)| *stamp);
        let mut lines: Vec<String> = self.lines.into_iter().map(|(_, line)| line).collect();
        let now = Stamp::now().to_rfc3339();
        let mut failed = false;
        if self.truncated {
            failed = true;
            lines.push(format_line(&now, "stderr", &truncated_message(self.limit)));
        }
        if missing_sentinel {
            failed = true;
            lines.push(format_line(&now, "stderr", messages::LOG_FAILURE));
        }
        if developer_error {
            lines.push(format_line(&now, "stderr", messages::LOG_DEVELOPER_ERROR));
        }
        Logs { lines, failed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = "2026-01-01T00:00:01.5Z";
    const T2: &str = "2026-01-01T00:00:02Z";
    const T3: &str = "2026-01-01T00:00:02.000000001Z";

    fn entry(time: &str, text: &str) -> Vec<u8> {
        format!("{time} {text}").into_bytes()
    }

    fn sentinels(c: &mut Collector, time: &str) {
        c.push(Stream::Stdout, &entry(time, &format!("{SENTINEL}\n")));
        c.push(Stream::Stderr, &entry(time, &format!("{SENTINEL}\n")));
    }

    #[test]
    fn formats_as_upstream() {
        assert_eq!(format_line("2026-01-01T00:00:02Z", "stdout", "hi\n"), format!("{:<30} stdout: hi", T2));
        assert_eq!(
            format_line("2018-03-01T12:34:56.789012345Z", "stderr", "boom\r\n"),
            "2018-03-01T12:34:56.789012345Z stderr: boom"
        );
    }

    #[test]
    fn lines_up_to_both_sentinels_without_them() {
        let mut c = Collector::new(LogCursor::default(), 1000);
        c.push(Stream::Stdout, &entry(T1, "hello\n"));
        c.push(Stream::Stderr, &entry(T1, "oops\n"));
        c.push(Stream::Stdout, &entry(T2, &format!("{SENTINEL}\n")));
        assert!(!c.complete(), "one sentinel is not enough");
        c.push(Stream::Stderr, &entry(T2, &format!("{SENTINEL}\n")));
        assert!(c.complete());
        let logs = c.finish(false, false);
        assert_eq!(logs.lines, [format_line(T1, "stdout", "hello"), format_line(T1, "stderr", "oops")]);
        assert!(!logs.failed);
    }

    #[test]
    fn two_sentinels_on_one_stream_are_not_the_end() {
        let mut c = Collector::new(LogCursor::default(), 1000);
        c.push(Stream::Stdout, &entry(T1, &format!("{SENTINEL}\n")));
        c.push(Stream::Stdout, &entry(T2, &format!("{SENTINEL}\n")));
        assert!(!c.complete());
    }

    #[test]
    fn the_next_read_starts_after_the_cursor() {
        let mut c = Collector::new(LogCursor::default(), 1000);
        c.push(Stream::Stdout, &entry(T1, "first\n"));
        c.push(Stream::Stdout, &entry(T2, "same time a\n"));
        sentinels(&mut c, T2);
        let cursor = c.cursor();
        let at = |at_last| StreamCursor { last: Stamp::parse(T2), at_last };
        assert_eq!(cursor, LogCursor { streams: [at(2), at(1)] });
        assert_eq!(cursor.since_secs(), Stamp::parse(T2).unwrap().secs);

        // The engine's `since` is in whole seconds: it sends older entries again.
        let mut c = Collector::new(cursor, 1000);
        c.push(Stream::Stdout, &entry(T1, "first\n"));
        c.push(Stream::Stdout, &entry(T2, "same time a\n"));
        sentinels(&mut c, T2);
        c.push(Stream::Stdout, &entry(T2, "same time b\n"));
        c.push(Stream::Stdout, &entry(T3, "later\n"));
        sentinels(&mut c, T3);
        assert_eq!(
            c.finish(false, false).lines,
            [format_line(T2, "stdout", "same time b"), format_line(T3, "stdout", "later")]
        );
    }

    #[test]
    fn a_stream_past_its_sentinel_is_left_for_the_next_read() {
        // As the engine wrote it: the stderr copier timestamps an entry before the
        // stdout ones it is written after.
        let at = |n: u32| format!("2026-11-28T19:21:29.{n:09}Z");
        let log = [
            (Stream::Stdout, at(881_466_248), "line\n".to_string()),
            (Stream::Stdout, at(881_472_349), format!("{SENTINEL}\n")),
            (Stream::Stdout, at(881_474_513), "next\n".to_string()),
            (Stream::Stdout, at(881_476_607), format!("{SENTINEL}\n")),
            (Stream::Stderr, at(881_297_722), format!("{SENTINEL}\n")),
            (Stream::Stderr, at(881_504_650), format!("{SENTINEL}\n")),
        ];
        let read = |cursor| {
            let mut c = Collector::new(cursor, 1000);
            for (stream, time, text) in &log {
                if c.complete() {
                    break;
                }
                c.push(*stream, &entry(time, text));
            }
            assert!(c.complete());
            let cursor = c.cursor();
            (c.finish(false, false).lines, cursor)
        };
        let (first, cursor) = read(LogCursor::default());
        assert_eq!(first, [format_line(&at(881_466_248), "stdout", "line")]);
        let (second, _) = read(cursor);
        assert_eq!(second, [format_line(&at(881_474_513), "stdout", "next")]);
    }

    #[test]
    fn partial_entries_are_joined() {
        let mut c = Collector::new(LogCursor::default(), 100_000);
        c.push(Stream::Stdout, &entry(T1, "aaa"));
        c.push(Stream::Stderr, &entry(T1, "err\n"));
        c.push(Stream::Stdout, &entry(T2, "bbb\n"));
        assert_eq!(
            c.finish(false, false).lines,
            [format_line(T1, "stderr", "err"), format_line(T1, "stdout", "aaabbb")]
        );
    }

    #[test]
    fn lines_come_out_in_time_order() {
        let mut c = Collector::new(LogCursor::default(), 1000);
        c.push(Stream::Stderr, &entry(T2, "second\n"));
        c.push(Stream::Stdout, &entry(T1, "first\n"));
        assert_eq!(
            c.finish(false, false).lines,
            [format_line(T1, "stdout", "first"), format_line(T2, "stderr", "second")]
        );
    }

    #[test]
    fn past_the_limit_lines_are_dropped_and_a_warning_added() {
        let mut c = Collector::new(LogCursor::default(), 10);
        c.push(Stream::Stdout, &entry(T1, "12345\n")); // weighs 6
        c.push(Stream::Stdout, &entry(T1, "1234\n")); // 5 more: over 10
        c.push(Stream::Stdout, &entry(T1, "1\n")); // would fit, but the log is cut
        sentinels(&mut c, T2);
        assert!(c.complete(), "the sentinels are still found past the limit");
        let logs = c.finish(false, false);
        assert!(logs.failed);
        assert_eq!(logs.lines.len(), 2);
        assert_eq!(logs.lines[0], format_line(T1, "stdout", "12345"));
        assert!(
            logs.lines[1].ends_with(
                " stderr: Logs were truncated because the total bytes size exceeds the limit of 10 bytes."
            ),
            "{}",
            logs.lines[1]
        );
    }

    #[test]
    fn a_missing_sentinel_adds_the_upstream_warning() {
        let mut c = Collector::new(LogCursor::default(), 1000);
        c.push(Stream::Stdout, &entry(T1, "partial story\n"));
        let logs = c.finish(true, false);
        assert!(logs.failed);
        assert_eq!(logs.lines[0], format_line(T1, "stdout", "partial story"));
        assert!(logs.lines[1].ends_with(&format!(" stderr: {}", messages::LOG_FAILURE)), "{}", logs.lines[1]);
    }

    #[test]
    fn entries_without_a_timestamp_are_skipped() {
        let mut c = Collector::new(LogCursor::default(), 1000);
        c.push(Stream::Stdout, b"no-timestamp here\n");
        c.push(Stream::Stdout, b"");
        assert!(c.finish(false, false).lines.is_empty());
    }

    #[test]
    fn a_developer_error_ends_with_upstreams_warning_line() {
        let mut c = Collector::new(LogCursor::default(), 1000);
        c.push(Stream::Stdout, &entry(T1, "partial output\n"));
        let logs = c.finish(false, true);
        assert_eq!(logs.lines.len(), 2);
        assert!(
            logs.lines[1].ends_with(&format!(" stderr: {}", messages::LOG_DEVELOPER_ERROR)),
            "{}",
            logs.lines[1]
        );
        assert!(!logs.failed, "the warning is not a collection failure");
    }
}
