//! Warm blocking invokes through `proxyctl serve`'s API against the same activations
//! handed to the pool directly, in one process and one run.
//!
//! The server is [`Server::start`] in this process, on the store in a temporary data
//! directory (SQLite, WAL, group commit) and the `instant` in-memory backend of
//! proxy-core's benches (every container call answers at once), on a tokio runtime
//! with 2 workers. The action is a native script (128 MB, concurrency 1); the pool's
//! budget holds one container per client, each warmed before measuring.
//!
//! - `api`: `POST /api/v1/namespaces/_/actions/{name}?blocking=true` on a kept-alive
//!   loopback connection (a minimal HTTP/1.1 client: the figure is the server's, not a
//!   client library's), answered with the activation once its record is durable
//!   (deviation D45);
//! - `direct` (the baseline): the run the handler builds, submitted with
//!   [`PoolHandle::submit`](proxy_core::pool::PoolHandle::submit) after registering
//!   with the same waiters, finished when the same sink says its record is durable.
//!
//! The difference is what the API adds: HTTP, auth (a key hash compared against the
//! store's cached subject), the action's lookup in the store, JSON both ways.
//!
//! Latency: [`ROUNDS`] rounds of [`BATCH`] invokes each way on one connection,
//! alternating, every invoke timed: p50 and p99 per way and their differences.
//! Throughput: [`CLIENTS`] connections (or tasks, for `direct`) at once, each
//! invoking in a loop, for [`BATCH`] x [`CLIENTS`] invokes per round, alternating.
//! Criterion measures one invoke each way as well.
//!
//! Run with `cargo bench -p proxyctl --bench api`; `cargo test --benches` runs it
//! once with small counts.

#[path = "../../proxy-core/benches/support/mod.rs"]
mod core_support;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use proxy_core::container::{ActivationMessage, Run};
use proxyctl::backend::Backend;
use proxyctl::serve::Server;
use proxyctl::sink::Heard;
use serde_json::json;
use support::{Connection, Started};
use tokio::runtime::Runtime;

/// Invokes per way and round (per client for throughput).
const BATCH: usize = 2_000;
/// Rounds of the summary.
const ROUNDS: usize = 5;
/// Connections at once in the throughput rounds.
const CLIENTS: usize = 16;
/// The action's memory; the budget holds one container per client.
const MEMORY_MB: u64 = 128;

/// The server, its guest's auth, the action, and what `direct` submits.
struct World {
    server: Server,
    auth: String,
    action: Arc<proxy_core::container::Action>,
    _dir: tempfile::TempDir,
}

impl World {
    async fn start() -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let memory = (CLIENTS as u64 * MEMORY_MB).to_string();
        let args = support::serve_args(&dir, &["--memory", &memory]);
        let factory = Arc::new(core_support::InstantFactory::default());
        let backend = Backend::custom(factory, "runtime:latest".into(), "in-memory (instant)".into());
        let Started { server, auth } = support::start(&dir, args, backend).await;
        let mut connection = Connection::open(server.addr, &auth, "hello").await;
        let put = json!({"exec": {"kind": "blackbox", "code": "#!/bin/sh\necho '{}'"},
                         "limits": {"memory": MEMORY_MB, "timeout": 20000}});
        connection.put_action("hello", &put).await;
        let stored =
            server.state.store.get_action("guest", "hello").await.expect("store").expect("the action");
        let action = server.state.kinds.action(&stored.action).expect("a runnable action");
        World { server, auth, action, _dir: dir }
    }

    /// One `direct` invoke: the handler's run, submitted to the pool, finished once
    /// its record is durable.
    async fn direct(&self) {
        let state = &self.server.state;
        let activation_id = proxyctl::ids::hex_id().expect("id");
        let msg = ActivationMessage {
            transaction_id: proxyctl::ids::hex_id().expect("id"),
            blocking: true,
            content: Some(json!({})),
            ..ActivationMessage::new(activation_id.clone(), "guest".to_string())
        };
        let mut waiting = state.waiters.wait_for(&activation_id);
        state.pool.submit(Run::new(self.action.clone(), msg)).await.expect("the pool runs");
        loop {
            match waiting.heard.recv().await.expect("the sink tells") {
                Heard::Result(_) => {}
                Heard::Stored(_, queued) => {
                    queued.expect("queued").await.expect("durable");
                    return;
                }
            }
        }
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[rank]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// One warm blocking invoke: through the API on `connection`, or `direct`.
async fn invoke(world: &World, connection: &mut Connection, api: bool) {
    if api {
        connection.invoke().await;
    } else {
        world.direct().await;
    }
}

/// Every invoke of a batch timed, on one connection (api) or one task (direct).
async fn latencies(world: &World, connection: &mut Connection, api: bool, batch: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(batch);
    for _ in 0..batch {
        let start = Instant::now();
        invoke(world, connection, api).await;
        times.push(start.elapsed());
    }
    times
}

/// Invokes per second with every connection at once, `batch` each; the
/// connections come back for the next round.
async fn throughput(
    world: &Arc<World>,
    connections: Vec<Connection>,
    api: bool,
    batch: usize,
) -> (f64, Vec<Connection>) {
    let clients = connections.len();
    let start = Instant::now();
    let tasks: Vec<_> = connections
        .into_iter()
        .map(|mut connection| {
            let world = Arc::clone(world);
            tokio::spawn(async move {
                for _ in 0..batch {
                    invoke(&world, &mut connection, api).await;
                }
                connection
            })
        })
        .collect();
    let mut back = Vec::with_capacity(clients);
    for task in tasks {
        back.push(task.await.expect("client task"));
    }
    ((batch * clients) as f64 / start.elapsed().as_secs_f64(), back)
}

fn summary(rt: &Runtime, world: &Arc<World>, rounds: usize, batch: usize) {
    let mut one = rt.block_on(Connection::open(world.server.addr, &world.auth, "hello"));
    let mut api_times = Vec::new();
    let mut direct_times = Vec::new();
    let mut p50_deltas = Vec::new();
    for round in 0..rounds {
        for api in if round % 2 == 0 { [true, false] } else { [false, true] } {
            let mut times = rt.block_on(latencies(world, &mut one, api, batch));
            times.sort_unstable();
            if api {
                api_times.push(times);
            } else {
                direct_times.push(times);
            }
        }
        let (a, d) = (api_times.last().expect("api"), direct_times.last().expect("direct"));
        p50_deltas.push(us(percentile(a, 0.5)) - us(percentile(d, 0.5)));
    }
    let all = |runs: &[Vec<Duration>]| {
        let mut all: Vec<Duration> = runs.iter().flatten().copied().collect();
        all.sort_unstable();
        all
    };
    let (api_all, direct_all) = (all(&api_times), all(&direct_times));
    println!("\nwarm blocking invoke, one at a time ({rounds} rounds x {batch} each way, alternating):");
    for (name, times) in [("api", &api_all), ("direct", &direct_all)] {
        println!(
            "  {name:6} p50 {:7.1} µs  p90 {:7.1} µs  p99 {:7.1} µs  (n = {})",
            us(percentile(times, 0.5)),
            us(percentile(times, 0.9)),
            us(percentile(times, 0.99)),
            times.len()
        );
    }
    p50_deltas.sort_by(f64::total_cmp);
    println!(
        "  overhead api - direct: p50 {:.1} µs (median of the rounds' differences; rounds: {}), p99 {:.1} µs",
        p50_deltas[p50_deltas.len() / 2],
        p50_deltas.iter().map(|d| format!("{d:.1}")).collect::<Vec<_>>().join(", "),
        us(percentile(&api_all, 0.99)) - us(percentile(&direct_all, 0.99)),
    );

    let mut connections: Vec<Connection> = (0..CLIENTS)
        .map(|_| rt.block_on(Connection::open(world.server.addr, &world.auth, "hello")))
        .collect();
    let mut rates = (Vec::new(), Vec::new());
    for round in 0..rounds {
        for api in if round % 2 == 0 { [true, false] } else { [false, true] } {
            let (rate, back) = rt.block_on(throughput(world, connections, api, batch / 4));
            connections = back;
            if api {
                rates.0.push(rate);
            } else {
                rates.1.push(rate);
            }
        }
    }
    let median = |rates: &mut Vec<f64>| {
        rates.sort_by(f64::total_cmp);
        rates[rates.len() / 2]
    };
    let (api_rate, direct_rate) = (median(&mut rates.0), median(&mut rates.1));
    println!(
        "\nwarm blocking invokes, {CLIENTS} at once ({rounds} rounds x {} each way): api {api_rate:.0}/s, \
         direct {direct_rate:.0}/s, api/direct {:.2}",
        CLIENTS * (batch / 4),
        api_rate / direct_rate
    );
}

fn criterion_figures(c: &mut Criterion, rt: &Runtime, world: &Arc<World>) {
    let mut group = c.benchmark_group("warm_blocking_invoke");
    let mut connection = rt.block_on(Connection::open(world.server.addr, &world.auth, "hello"));
    for (name, api) in [("api", true), ("direct", false)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        invoke(world, &mut connection, api).await;
                    }
                    start.elapsed()
                })
            })
        });
    }
    group.finish();
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    // Full counts only under `cargo bench`, not when `cargo test --benches` runs it.
    let full = std::env::args().any(|arg| arg == "--bench");
    let rt = runtime();
    let world = Arc::new(rt.block_on(World::start()));
    // Warm one container per client: CLIENTS invokes at once.
    rt.block_on(async {
        let warm: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let world = Arc::clone(&world);
                tokio::spawn(async move { world.direct().await })
            })
            .collect();
        for task in warm {
            task.await.expect("warm-up");
        }
    });
    if full {
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(30)
            .configure_from_args();
        criterion_figures(&mut c, &rt, &world);
        c.final_summary();
        summary(&rt, &world, ROUNDS, BATCH);
    } else {
        summary(&rt, &world, 1, 40);
    }
    let world = Arc::into_inner(world).expect("no task holds the world");
    rt.block_on(world.server.drain());
}
