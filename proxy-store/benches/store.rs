//! Activations stored per second with group commit against one transaction per
//! record, and the latency from `store()` to durable.
//!
//! - criterion groups: `throughput/{batched,per_record}` queue [`BURST`] activations
//!   through the store's `ActivationSink::store` (as the container proxy does) and
//!   wait for them all to be durable (`flush`); `per_record` is the same store with
//!   `batch_limit: 1`, so each record is its own transaction; both again with
//!   `sync_to_disk` (`_full_sync`). `latency/idle`: one record queued and awaited on
//!   an idle store (default options).
//! - a printed summary, measured interleaved (rounds alternating the two stores, so
//!   load drift hits both): records/s of each and their ratio, for the default
//!   `synchronous=NORMAL` and for `FULL` (`sync_to_disk`); then `store()` -> durable p50/p99 for a
//!   lone record and for records queued by [`PRODUCERS`] tasks at once.
//!
//! Each store lives in its own temporary directory (on the same disk as `/tmp`).
//! Run with `cargo bench -p proxy-store --bench store`; `cargo test --benches` runs
//! each group once and the summary with small counts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use proxy_core::container::{
    Action, Activation, ActivationMessage, ActivationResponse, ActivationSink, Interval, Run,
};
use proxy_store::{Options, SqliteStore, Store};
use serde_json::json;
use tempfile::TempDir;
use tokio::runtime::Runtime;

/// Activations per measured burst.
const BURST: usize = 256;
/// Tasks queueing at once in the loaded latency figure.
const PRODUCERS: usize = 8;

/// Ids unique across every store of the run.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn open(batch_limit: usize, sync_to_disk: bool) -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let options = Options { batch_limit, sync_to_disk, ..Options::default() };
    let store = SqliteStore::open_with(dir.path(), &options).unwrap().store;
    (dir, store)
}

/// A finished activation of a small action, with two log lines, as a proxy hands it over.
fn record() -> Activation {
    let id = format!("bench{:020}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let action = Arc::new(Action::new("guest", "hello", "runtime:latest", "echo"));
    let job = Run::new(action, ActivationMessage::new(id, "guest"));
    let now = tokio::time::Instant::now();
    let total = Interval { start: now, end: now + Duration::from_millis(3) };
    let mut activation =
        Activation::new(&job, None, total, false, ActivationResponse::success(json!({"greeting": "hi"})));
    activation.logs =
        vec!["2026-12-02T06:00:00.000Z stdout: hello".into(), "2026-12-02T06:00:00.001Z stderr: bye".into()];
    activation
}

/// Queues `n` records through the sink and waits until all are durable.
async fn burst(store: &SqliteStore, records: Vec<Activation>) {
    for activation in &records {
        store.store(activation, false).await;
    }
    store.flush().await.unwrap();
}

fn records(n: usize) -> Vec<Activation> {
    (0..n).map(|_| record()).collect()
}

fn throughput(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("throughput");
    group.throughput(Throughput::Elements(BURST as u64)).sample_size(10);
    for (name, batch_limit, sync) in [
        ("batched", usize::MAX, false),
        ("per_record", 1, false),
        ("batched_full_sync", usize::MAX, true),
        ("per_record_full_sync", 1, true),
    ] {
        let (_dir, store) = open(batch_limit, sync);
        group.bench_function(name, |b| {
            b.iter_batched(
                || records(BURST),
                |batch| rt.block_on(burst(&store, batch)),
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn latency(c: &mut Criterion) {
    let rt = runtime();
    let (_dir, store) = open(usize::MAX, false);
    c.bench_function("latency/idle", |b| {
        b.iter_batched(
            record,
            |activation| {
                rt.block_on(async { store.queue_activation(&activation).await.unwrap().await.unwrap() })
            },
            criterion::BatchSize::PerIteration,
        )
    });
}

/// Records/s of `batched` and `per_record`, interleaved over `rounds`.
fn interleaved(rt: &Runtime, sync_to_disk: bool, rounds: usize, n: usize) -> (f64, f64) {
    let (_a, batched) = open(usize::MAX, sync_to_disk);
    let (_b, per_record) = open(1, sync_to_disk);
    let mut spent = [Duration::ZERO; 2];
    for round in 0..rounds {
        for turn in 0..2 {
            let which = (round + turn) % 2;
            let store = if which == 0 { &batched } else { &per_record };
            let batch = records(n);
            let start = Instant::now();
            rt.block_on(burst(store, batch));
            spent[which] += start.elapsed();
        }
    }
    let total = (rounds * n) as f64;
    (total / spent[0].as_secs_f64(), total / spent[1].as_secs_f64())
}

/// `store()` -> durable latencies, in µs: `producers` tasks each queue `each` records
/// one after the other, each timed from the call to its durability.
fn latencies(rt: &Runtime, producers: usize, each: usize, sync_to_disk: bool) -> Vec<f64> {
    let (_dir, store) = open(usize::MAX, sync_to_disk);
    let mut all = rt.block_on(async {
        let tasks: Vec<_> = (0..producers)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut timed = Vec::with_capacity(each);
                    for _ in 0..each {
                        let activation = record();
                        let start = Instant::now();
                        store.queue_activation(&activation).await.unwrap().await.unwrap();
                        timed.push(start.elapsed().as_secs_f64() * 1e6);
                    }
                    timed
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all
    });
    all.sort_by(f64::total_cmp);
    all
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(quick: bool) {
    let rt = runtime();
    let (rounds, n, each) = if quick { (1, 16, 10) } else { (10, BURST, 300) };
    println!("\n== summary (interleaved, {rounds} rounds of {n} records each) ==");
    for (label, sync) in [("synchronous=NORMAL (default)", false), ("synchronous=FULL", true)] {
        let (batched, per_record) = interleaved(&rt, sync, rounds, n);
        println!(
            "{label}: batched {batched:.0} records/s, per_record {per_record:.0} records/s, ratio {:.1}x",
            batched / per_record
        );
    }
    for producers in [1, PRODUCERS] {
        for (label, sync) in [("NORMAL", false), ("FULL", true)] {
            let sorted = latencies(&rt, producers, each, sync);
            println!(
            "store() -> durable, {label}, {producers} producer(s), {} records: p50 {:.0} us, p99 {:.0} us",
            sorted.len(),
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.99)
        );
        }
    }
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let quick = !std::env::args().any(|arg| arg == "--bench");
    let mut c = Criterion::default().configure_from_args();
    throughput(&mut c);
    latency(&mut c);
    c.final_summary();
    summary(quick);
}
