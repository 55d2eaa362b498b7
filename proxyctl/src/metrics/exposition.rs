//! Prometheus' text exposition format 0.0.4, written by hand: counters and
//! histograms on atomics, and a writer of families and samples.
//!
//! Hand-written because the server needs three kinds of values, fixed label sets and
//! one text format; a metrics crate would bring a registry, label maps and a global
//! recorder for what is here a page of code (and would not know the fixed labels, so
//! zero-valued series would go missing until first seen).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The content type of a scrape's answer.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (`le`, seconds) of the latency histograms: 0.5 ms to 60 s, about
/// three a decade, so that a warm run on the process backend (a millisecond) and a
/// cold Docker start (hundreds of ms) both land in buckets of their own.
pub const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// A monotonic count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// The count now.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Durations counted into buckets, with their sum.
///
/// Each bucket counts the observations between its bound and the one below (the last
/// one those above every bound); [`Histogram::read`] makes them cumulative, as the
/// format wants, and takes the count from the buckets, so that a scrape during an
/// observation never shows a `_count` that disagrees with the `+Inf` bucket.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    buckets: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

/// A histogram's values at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramValues {
    /// `(le, observations at most le)`, cumulative, the `+Inf` one last.
    pub buckets: Vec<(f64, u64)>,
    /// The sum of the observations, seconds.
    pub sum: f64,
    /// How many observations.
    pub count: u64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending, seconds).
    pub fn new(bounds: &'static [f64]) -> Self {
        debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]), "bounds ascend: {bounds:?}");
        Histogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// Counts one observation.
    pub fn observe(&self, value: Duration) {
        let seconds = value.as_secs_f64();
        // `le` is inclusive: a value on a bound belongs to that bound's bucket.
        let bucket = self.bounds.iter().position(|&le| seconds <= le).unwrap_or(self.bounds.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(value.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The values now.
    pub fn read(&self) -> HistogramValues {
        let mut total = 0;
        let les = self.bounds.iter().copied().chain([f64::INFINITY]);
        let buckets = les
            .zip(self.buckets.iter())
            .map(|(le, bucket)| {
                total += bucket.load(Ordering::Relaxed);
                (le, total)
            })
            .collect();
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        HistogramValues { buckets, sum, count: total }
    }
}

/// The kind of a family, its `# TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up.
    Counter,
    /// Goes up and down.
    Gauge,
    /// Buckets, sum and count.
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// Labels of one sample, in order.
pub type Labels<'a> = &'a [(&'a str, &'a str)];

/// The text of a scrape, built family by family.
///
/// ```
/// use proxyctl::metrics::exposition::{Kind, Text};
/// let mut text = Text::default();
/// text.family("jobs_total", "Jobs done.", Kind::Counter);
/// text.sample("jobs_total", &[("queue", "a")], 3.0);
/// assert_eq!(text.finish(), "# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total{queue=\"a\"} 3\n");
/// ```
#[derive(Debug, Default)]
pub struct Text {
    out: String,
}

impl Text {
    /// Starts the family `name`: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, name: &str, help: &str, kind: Kind) {
        debug_assert!(valid_name(name), "metric name {name:?}");
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {}", kind.name());
    }

    /// One sample of the family last started (or, for a histogram, one of its
    /// `_bucket`, `_sum` or `_count` series).
    pub fn sample(&mut self, name: &str, labels: Labels<'_>, value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (label, value)) in labels.iter().enumerate() {
                debug_assert!(valid_name(label) && !label.contains(':'), "label name {label:?}");
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{label}=\"{}\"", escape_label_value(value));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {}", number(value));
    }

    /// The series of histogram `name` with `labels` (then `le` on each bucket).
    pub fn histogram(&mut self, name: &str, labels: Labels<'_>, values: &HistogramValues) {
        let bucket = format!("{name}_bucket");
        for &(le, count) in &values.buckets {
            let le = number(le);
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            self.sample(&bucket, &with_le, count as f64);
        }
        self.sample(&format!("{name}_sum"), labels, values.sum);
        self.sample(&format!("{name}_count"), labels, values.count as f64);
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }
}

/// A label value with `\`, `"` and line feeds escaped, as the format wants.
fn escape_label_value(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A sample value or an `le`: Go's float syntax, `+Inf` for infinity. (Rust prints
/// no exponent and integers without a fraction, both of which Prometheus parses.)
fn number(value: f64) -> String {
    if value == f64::INFINITY {
        "+Inf".into()
    } else if value == f64::NEG_INFINITY {
        "-Inf".into()
    } else if value.is_nan() {
        "NaN".into()
    } else {
        value.to_string()
    }
}

/// Whether `name` is a valid metric (or label) name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_and_help_are_escaped() {
        let mut text = Text::default();
        text.family("x", "a \\ back\nslash", Kind::Gauge);
        text.sample("x", &[("path", "C:\\dir \"q\"\nnext"), ("b", "")], 1.5);
        assert_eq!(
            text.finish(),
            "# HELP x a \\\\ back\\nslash\n# TYPE x gauge\nx{path=\"C:\\\\dir \\\"q\\\"\\nnext\",b=\"\"} 1.5\n"
        );
    }

    #[test]
    fn numbers_in_the_formats_syntax() {
        assert_eq!(number(0.0005), "0.0005");
        assert_eq!(number(60.0), "60");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NEG_INFINITY), "-Inf");
        assert_eq!(number(f64::NAN), "NaN");
    }

    #[test]
    fn buckets_are_cumulative_with_inclusive_bounds_and_count_is_the_inf_bucket() {
        static BOUNDS: &[f64] = &[0.001, 0.01, 0.1];
        let histogram = Histogram::new(BOUNDS);
        for ms in [0, 1, 2, 10, 10, 50, 2000] {
            histogram.observe(Duration::from_millis(ms));
        }
        histogram.observe(Duration::from_micros(1500));
        let values = histogram.read();
        assert_eq!(values.buckets, vec![(0.001, 2), (0.01, 6), (0.1, 7), (f64::INFINITY, 8)]);
        assert_eq!(values.count, 8);
        assert!((values.sum - 2.0745).abs() < 1e-9, "{}", values.sum);

        let mut text = Text::default();
        text.family("d_seconds", "D.", Kind::Histogram);
        text.histogram("d_seconds", &[("start", "cold")], &values);
        let text = text.finish();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[2..],
            [
                "d_seconds_bucket{start=\"cold\",le=\"0.001\"} 2",
                "d_seconds_bucket{start=\"cold\",le=\"0.01\"} 6",
                "d_seconds_bucket{start=\"cold\",le=\"0.1\"} 7",
                "d_seconds_bucket{start=\"cold\",le=\"+Inf\"} 8",
                "d_seconds_sum{start=\"cold\"} 2.0745",
                "d_seconds_count{start=\"cold\"} 8",
            ]
        );
    }

    #[test]
    fn an_empty_histogram_has_every_bucket_at_zero() {
        let values = Histogram::new(LATENCY_BUCKETS).read();
        assert_eq!(values.buckets.len(), LATENCY_BUCKETS.len() + 1);
        assert!(values.buckets.iter().all(|&(_, n)| n == 0));
        assert_eq!((values.sum, values.count), (0.0, 0));
    }

    #[test]
    fn counters_count() {
        let counter = Counter::default();
        counter.inc();
        counter.inc();
        assert_eq!(counter.get(), 2);
    }

    #[test]
    fn names_are_checked() {
        assert!(valid_name("proxyctl_activations_total") && valid_name("_x") && valid_name("a:b"));
        assert!(!valid_name("") && !valid_name("1x") && !valid_name("a-b") && !valid_name("a b"));
    }
}
