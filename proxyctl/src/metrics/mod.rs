//! The server's Prometheus metrics, scraped at `GET /metrics` ([`scrape`]).
//!
//! The families (all prefixed `proxyctl_`):
//! - `activations_total{outcome, start}`: ended activations by outcome (`success`,
//!   `application_error`, `developer_error`, `whisk_error`) and by whether they
//!   initialised their container (`start="cold"`) or not (`"warm"`);
//! - `activation_duration_seconds{start}`: their durations, init included;
//! - `activation_wait_seconds{start}`: from the `waitTime` annotation, the time from
//!   the request to the start of the run (or of the init), the container's create
//!   included for a cold one;
//! - `activation_init_seconds`: from the `initTime` annotation, cold ones only;
//! - `containers{state}`: the pool's containers in each state of the container
//!   table (every state listed, zero included), from the [`Board`];
//! - `pool_memory_mb`, `pool_buffered`, `pool_activations_in_flight`: from the pool's
//!   snapshot (missing once the pool stopped).
//!
//! Every ended activation passes [`Board::record`], which feeds
//! [`ActivationMetrics::observe`]: the counts here and the board's stats come from
//! one code path and cannot disagree.
//!
//! The annotations carry whole milliseconds, so waits and inits below 1 ms are
//! counted as 0 (in the lowest bucket); the durations are exact.

pub mod exposition;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use proxy_core::container::{Activation, ActivationStatus, ContainerProxyAny};
use proxy_core::pool::PoolSnapshot;

use crate::api::AppState;
use crate::board::{outcome_name, started_cold, Board};
use exposition::{Counter, Histogram, Kind, Text, LATENCY_BUCKETS};

/// Every outcome, in the order of the counters.
const OUTCOMES: [ActivationStatus; 4] = [
    ActivationStatus::Success,
    ActivationStatus::ApplicationError,
    ActivationStatus::DeveloperError,
    ActivationStatus::WhiskError,
];

/// The `start` label's values, indexed by `usize::from(!cold)`.
const STARTS: [&str; 2] = ["cold", "warm"];

fn outcome_index(status: ActivationStatus) -> usize {
    match status {
        ActivationStatus::Success => 0,
        ActivationStatus::ApplicationError => 1,
        ActivationStatus::DeveloperError => 2,
        ActivationStatus::WhiskError => 3,
    }
}

fn start_index(cold: bool) -> usize {
    usize::from(!cold)
}

/// The milliseconds of annotation `key`, when the record has it.
fn annotated_ms(activation: &Activation, key: &str) -> Option<Duration> {
    activation.annotations.get(key)?.as_u64().map(Duration::from_millis)
}

/// The counts and latencies of ended activations.
#[derive(Debug)]
pub struct ActivationMetrics {
    total: [[Counter; 2]; 4],
    duration: [Histogram; 2],
    wait: [Histogram; 2],
    init: Histogram,
}

impl Default for ActivationMetrics {
    fn default() -> Self {
        let latency = || Histogram::new(LATENCY_BUCKETS);
        ActivationMetrics {
            total: Default::default(),
            duration: [latency(), latency()],
            wait: [latency(), latency()],
            init: latency(),
        }
    }
}

impl ActivationMetrics {
    /// Counts an ended activation (from [`Board::record`] only: see the module docs).
    pub fn observe(&self, activation: &Activation) {
        let start = start_index(started_cold(activation));
        self.total[outcome_index(activation.response.status)][start].inc();
        self.duration[start].observe(activation.interval.duration());
        if let Some(wait) = annotated_ms(activation, "waitTime") {
            self.wait[start].observe(wait);
        }
        if let Some(init) = annotated_ms(activation, "initTime") {
            self.init.observe(init);
        }
    }

    /// How many activations ended with `status`, cold or warm.
    pub fn count(&self, status: ActivationStatus, cold: bool) -> u64 {
        self.total[outcome_index(status)][start_index(cold)].get()
    }

    fn write(&self, text: &mut Text) {
        let name = "proxyctl_activations_total";
        text.family(
            name,
            "Activations ended, by outcome and by whether they initialised their container (cold) or not (warm).",
            Kind::Counter,
        );
        for status in OUTCOMES {
            for (start, label) in STARTS.iter().enumerate() {
                let labels = [("outcome", outcome_name(status)), ("start", *label)];
                text.sample(name, &labels, self.total[outcome_index(status)][start].get() as f64);
            }
        }
        let by_start = [
            (
                "proxyctl_activation_duration_seconds",
                "How long activations took, init included.",
                &self.duration,
            ),
            (
                "proxyctl_activation_wait_seconds",
                "How long activations waited before their run or init began (the waitTime annotation; a cold one's container create included).",
                &self.wait,
            ),
        ];
        for (name, help, histograms) in by_start {
            text.family(name, help, Kind::Histogram);
            for (histogram, label) in histograms.iter().zip(STARTS) {
                text.histogram(name, &[("start", label)], &histogram.read());
            }
        }
        let name = "proxyctl_activation_init_seconds";
        text.family(
            name,
            "How long the init of cold activations took (the initTime annotation).",
            Kind::Histogram,
        );
        text.histogram(name, &[], &self.init.read());
    }
}

/// The whole scrape: the activation metrics and containers by state from `board`,
/// the pool's gauges from `pool` (none when the pool has stopped).
pub fn render(board: &Board, pool: Option<&PoolSnapshot>) -> String {
    let mut text = Text::default();
    board.activation_metrics().write(&mut text);

    let name = "proxyctl_containers";
    text.family(name, "Containers in each state of the container lifecycle.", Kind::Gauge);
    let states = board.states();
    for state in ContainerProxyAny::META.states {
        let count = states.get(state.name).copied().unwrap_or(0);
        text.sample(name, &[("state", state.name)], count as f64);
    }

    if let Some(pool) = pool {
        let gauges = [
            ("proxyctl_pool_memory_mb", "Memory of the pool's containers, MB.", pool.memory_mb as f64),
            ("proxyctl_pool_buffered", "Runs waiting in the pool for room.", pool.buffered as f64),
            (
                "proxyctl_pool_activations_in_flight",
                "Activations the pool counts in flight on its containers.",
                pool.activations as f64,
            ),
        ];
        for (name, help, value) in gauges {
            text.family(name, help, Kind::Gauge);
            text.sample(name, &[], value);
        }
    }
    text.finish()
}

/// `GET /metrics`: the Prometheus scrape, in the text format 0.0.4.
///
/// Unauthenticated, as Prometheus scrapes are: it names no action, activation or
/// subject, only counts, latencies and container states. Bind `--addr` to a private
/// interface (the default is loopback) where those should not be public.
pub async fn scrape(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let pool = state.pool.snapshot().await;
    ([(CONTENT_TYPE, exposition::CONTENT_TYPE)], render(&state.board, pool.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proxy_core::container::{ActivationResponse, Interval};
    use serde_json::json;

    fn activation(status: ActivationResponse, ms: u64, init_ms: Option<u64>) -> Activation {
        let start = tokio::time::Instant::now();
        let mut annotations = serde_json::Map::new();
        annotations.insert("waitTime".into(), json!(3));
        if let Some(init) = init_ms {
            annotations.insert("initTime".into(), json!(init));
        }
        Activation {
            activation_id: "a".into(),
            namespace: "guest".into(),
            subject: "guest".into(),
            name: "echo".into(),
            version: "0.0.1".into(),
            interval: Interval { start, end: start + Duration::from_millis(ms) },
            response: status,
            logs: vec![],
            annotations,
        }
    }

    /// The value of the one line of `text` that starts with `series ` exactly.
    fn value(text: &str, series: &str) -> f64 {
        let found: Vec<&str> =
            text.lines().filter_map(|l| l.strip_prefix(series)?.strip_prefix(' ')).collect();
        assert_eq!(found.len(), 1, "{series} in\n{text}");
        found[0].parse().unwrap()
    }

    #[test]
    fn a_scrape_has_every_family_and_series_from_the_start() {
        let text = render(&Board::default(), None);
        for family in [
            "proxyctl_activations_total counter",
            "proxyctl_activation_duration_seconds histogram",
            "proxyctl_activation_wait_seconds histogram",
            "proxyctl_activation_init_seconds histogram",
            "proxyctl_containers gauge",
        ] {
            let name = family.split(' ').next().unwrap();
            assert!(text.contains(&format!("# TYPE {family}\n")), "{family} in\n{text}");
            assert!(text.contains(&format!("# HELP {name} ")), "help of {name}");
        }
        assert_eq!(value(&text, r#"proxyctl_activations_total{outcome="whisk_error",start="warm"}"#), 0.0);
        for state in ContainerProxyAny::META.states {
            assert_eq!(value(&text, &format!("proxyctl_containers{{state=\"{}\"}}", state.name)), 0.0);
        }
        assert!(!text.contains("proxyctl_pool_"), "no pool, no pool gauges");
    }

    #[test]
    fn activations_are_counted_by_outcome_and_start_with_their_latencies() {
        let board = Board::default();
        board.record(&activation(ActivationResponse::success(json!({})), 400, Some(300)));
        board.record(&activation(ActivationResponse::success(json!({})), 2, None));
        board.record(&activation(ActivationResponse::whisk_error("gone"), 0, None));
        let metrics = board.activation_metrics();
        assert_eq!(metrics.count(ActivationStatus::Success, true), 1);
        assert_eq!(metrics.count(ActivationStatus::Success, false), 1);
        assert_eq!(metrics.count(ActivationStatus::WhiskError, false), 1);

        let pool = PoolSnapshot { memory_mb: 256, buffered: 1, activations: 2, ..PoolSnapshot::default() };
        let text = render(&board, Some(&pool));
        assert_eq!(value(&text, r#"proxyctl_activations_total{outcome="success",start="cold"}"#), 1.0);
        assert_eq!(value(&text, r#"proxyctl_activations_total{outcome="success",start="warm"}"#), 1.0);
        assert_eq!(
            value(&text, r#"proxyctl_activations_total{outcome="application_error",start="cold"}"#),
            0.0
        );
        let duration = "proxyctl_activation_duration_seconds";
        assert_eq!(value(&text, &format!(r#"{duration}_count{{start="cold"}}"#)), 1.0);
        assert_eq!(value(&text, &format!(r#"{duration}_count{{start="warm"}}"#)), 2.0);
        assert_eq!(value(&text, &format!(r#"{duration}_sum{{start="cold"}}"#)), 0.4);
        assert_eq!(value(&text, &format!(r#"{duration}_bucket{{start="cold",le="0.25"}}"#)), 0.0);
        assert_eq!(value(&text, &format!(r#"{duration}_bucket{{start="cold",le="0.5"}}"#)), 1.0);
        assert_eq!(value(&text, &format!(r#"{duration}_bucket{{start="warm",le="0.0005"}}"#)), 1.0);
        assert_eq!(value(&text, &format!(r#"{duration}_bucket{{start="warm",le="0.0025"}}"#)), 2.0);
        assert_eq!(value(&text, r#"proxyctl_activation_wait_seconds_count{start="warm"}"#), 2.0);
        assert_eq!(value(&text, r#"proxyctl_activation_wait_seconds_sum{start="warm"}"#), 0.006);
        assert_eq!(value(&text, "proxyctl_activation_init_seconds_count"), 1.0);
        assert_eq!(value(&text, "proxyctl_activation_init_seconds_sum"), 0.3);
        assert_eq!(value(&text, "proxyctl_pool_memory_mb"), 256.0);
        assert_eq!(value(&text, "proxyctl_pool_buffered"), 1.0);
        assert_eq!(value(&text, "proxyctl_pool_activations_in_flight"), 2.0);
    }

    #[test]
    fn containers_are_counted_by_their_state() {
        use proxy_core::pool::{PoolEvent, ProxyKey};
        let board = Board::default();
        for proxy in 1..=3 {
            let at = tokio::time::Instant::now();
            board.apply(&PoolEvent::Spawned { proxy: ProxyKey(proxy), state: "Uninitialized", at });
        }
        let text = render(&board, None);
        assert_eq!(value(&text, r#"proxyctl_containers{state="Uninitialized"}"#), 3.0);
        assert_eq!(value(&text, r#"proxyctl_containers{state="Ready"}"#), 0.0);
    }
}
