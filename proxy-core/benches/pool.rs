//! Warm activations through the container pool and its proxies on in-memory
//! containers, against the same activations sent straight to the proxies. (What an
//! idle warm container costs in memory is `pool_memory`, a binary of its own because
//! it counts every allocation.)
//!
//! The invoker: [`CONTAINERS`] distinct actions (256 MB, concurrency 1, no logs),
//! each with one warm container in a pool whose budget holds exactly that many, on
//! the `instant` backend (`support`: every container call answers at once), on a
//! multi-thread tokio runtime with 2 workers. [`IN_FLIGHT`] feeders (fewer when
//! there are fewer than [`SLICE`] actions each) keep one activation each in flight; feeder `f` cycles through its own slice of
//! the actions (`f`, `f + IN_FLIGHT`, ..), so every container takes work in turn and
//! each activation goes to a container that finished its previous one long before.
//! That is a busy invoker with many actions: every container warm, a bounded number
//! of activations out at once (as upstream's feed bounds them), every decision a
//! warm hit. (One feeder per action would send an action's next activation as soon
//! as the previous one is stored, which the proxy does before it tells the pool the
//! container is free again: the pool would see the container busy and evict another
//! one to start a second container, as upstream does. That is a test of the race,
//! not of a busy invoker.) The summary prints how many containers were created while
//! it measured: 0 when every activation was a warm hit.
//!
//! - `pool`: each activation submitted to the pool (through [`submit`]);
//! - `direct` (the baseline): the same activations, built the same way, sent to the
//!   action's already-warm proxy (`Running::send`), no pool. The proxies' notice
//!   receivers are dropped, so that the proxies build no notices nobody reads.
//!
//! In both, a feeder's activation ends when the sink stores it (the sink wakes the
//! feeder named in the activation id). Criterion measures both (`iter_custom`, one
//! iteration = one activation); then, under `cargo bench`, a summary measures them in
//! alternation ([`ROUNDS`] rounds of [`BATCH`] activations each way, the order
//! swapped every round) and prints the median rates and the median of the
//! same-round ratios pool / direct.
//!
//! Run with `cargo bench -p proxy-core --bench pool`; `cargo test --benches` runs it
//! once with small counts.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use proxy_core::container::{ContainerProxyAny, ContainerProxyEvent as Event};
use proxy_core::machine::driver::Running;
use proxy_core::pool::PoolHandle;
use support::pool::{job, submit, World};
use tokio::runtime::Runtime;

/// Warm containers, one per action.
const CONTAINERS: usize = 1_000;
/// Activations in flight at once, one per feeder.
const IN_FLIGHT: usize = 100;
/// The fewest actions each feeder cycles through: its next activation of an action
/// comes [`SLICE`] - 1 of its own activations after the last.
const SLICE: usize = 10;
/// Activations per way and round of the summary.
const BATCH: usize = 100_000;
/// Rounds of the summary.
const ROUNDS: usize = 9;

/// Where a feeder's activations go.
enum Target {
    Pool(PoolHandle),
    Direct(Vec<Running<ContainerProxyAny>>),
}

/// One way of running activations, and how far each feeder has gone through its
/// slice of the actions, so that a batch goes on where the last one stopped (a
/// feeder starting over would send an action's next activation right after the
/// last one, the race the module's documentation describes).
struct Way {
    name: &'static str,
    target: Target,
    sent: Vec<AtomicU64>,
}

impl Way {
    fn new(name: &'static str, target: Target, feeders: usize) -> Arc<Self> {
        Arc::new(Way { name, target, sent: (0..feeders).map(|_| AtomicU64::new(0)).collect() })
    }
}

/// `total` activations by the way's feeders (one activation in flight each); the
/// time until the last is stored, and how many containers were created meanwhile
/// (0 when every activation was a warm hit).
async fn batch(world: &Arc<World>, way: &Arc<Way>, total: u64) -> (Duration, u64) {
    let feeders = way.sent.len();
    // The first `total % feeders` feeders take one more.
    let share = move |f: usize| total / feeders as u64 + u64::from((f as u64) < total % feeders as u64);
    let created = world.factory.created();
    let start = Instant::now();
    let tasks: Vec<_> = (0..feeders)
        .map(|f| {
            let (world, way) = (world.clone(), way.clone());
            tokio::spawn(async move {
                let actions = world.actions.len();
                let first = way.sent[f].fetch_add(share(f), Ordering::Relaxed);
                for n in first..first + share(f) {
                    let a = (f + n as usize * feeders) % actions;
                    let run = job(&world.actions[a], f, n + 1);
                    match &way.target {
                        Target::Pool(pool) => submit(pool, run).await,
                        Target::Direct(proxies) => proxies[a].send(Event::Run(run)).expect("the proxy runs"),
                    }
                    world.sink.feeders[f].notified().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a feeder");
    }
    (start.elapsed(), world.factory.created() - created)
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime")
}

/// The ways, warmed: the pool's containers and the direct proxies are distinct, of
/// the same actions, on the same backend and sink.
fn ways(rt: &Runtime, containers: usize) -> (Arc<World>, [Arc<Way>; 2]) {
    // With fewer containers (under `cargo test`), fewer feeders, each still cycling.
    let feeders = IN_FLIGHT.min(containers / SLICE).max(1);
    let world = Arc::new(World::new(containers, feeders));
    let (pool, proxies) = rt.block_on(async { (world.warm_pool().await, world.warm_proxies().await) });
    let pool = Way::new("pool", Target::Pool(pool), feeders);
    let direct = Way::new("direct", Target::Direct(proxies), feeders);
    (world, [pool, direct])
}

fn criterion_figures(c: &mut Criterion, rt: &Runtime, world: &Arc<World>, ways: &[Arc<Way>; 2]) {
    let mut group = c.benchmark_group("pool");
    group.throughput(Throughput::Elements(1));
    for way in ways {
        group.bench_function(way.name, |b| b.iter_custom(|iters| rt.block_on(batch(world, way, iters)).0));
    }
    group.finish();
}

/// Both ways in alternation ([`ROUNDS`] rounds, the order swapped every round);
/// the median rates and the median of the same-round ratios.
fn summary(
    rt: &Runtime,
    world: &Arc<World>,
    [pool, direct]: &[Arc<Way>; 2],
    rounds: usize,
    activations: u64,
) {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut created = 0;
    let mut rate = |way: &Arc<Way>| {
        let (elapsed, cold) = rt.block_on(batch(world, way, activations));
        created += cold;
        activations as f64 / elapsed.as_secs_f64()
    };
    let (mut pool_rates, mut direct_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (p, d) = if round % 2 == 0 {
            let p = rate(pool);
            (p, rate(direct))
        } else {
            let d = rate(direct);
            (rate(pool), d)
        };
        pool_rates.push(p);
        direct_rates.push(d);
        ratios.push(p / d);
    }
    println!(
        "summary: {} warm containers, {} in flight, 2 workers, {rounds} rounds of {activations} each way: \
         pool {:.0} activations/s, direct (proxies alone) {:.0} activations/s, pool / direct {:.3} \
         (same-round ratios {:.3}..{:.3}); containers created while measured: {created}",
        world.actions.len(),
        pool.sent.len(),
        median(pool_rates),
        median(direct_rates),
        median(ratios.clone()),
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
    );
}

// `criterion_group!` would define an undocumented `pub fn`; this is what it and
// `criterion_main!` expand to.
fn main() {
    // Full counts only under `cargo bench`, not when `cargo test --benches` runs it.
    let full = std::env::args().any(|arg| arg == "--bench");
    let containers = if full { CONTAINERS } else { 20 };
    let rt = runtime();
    let (world, ways) = ways(&rt, containers);
    if full {
        let mut c = Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .sample_size(20)
            .configure_from_args();
        criterion_figures(&mut c, &rt, &world, &ways);
        c.final_summary();
        // Under a profiler (`--profile-time`), only criterion's loop of the chosen way.
        if !std::env::args().any(|arg| arg == "--profile-time") {
            summary(&rt, &world, &ways, ROUNDS, BATCH as u64);
        }
    } else {
        summary(&rt, &world, &ways, 1, 200);
    }
}
