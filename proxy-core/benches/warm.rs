//! Warm activations through the container proxy on in-memory containers, and what
//! an idle proxy costs in memory.
//!
//! Three figures, each printed (no criterion statistics: these are plain timing
//! loops, as the figures are percentiles and totals):
//!
//! - `latency`: one proxy on a `current_thread` runtime. After a first (cold) run
//!   reaches `Ready`, each sample sends a `Run` and waits for the `NeedWork` message
//!   and the `Running -> Ready` transition; p50, p99 and mean over
//!   [`LATENCY_SAMPLES`] warm activations, in µs;
//! - `throughput`: [`PROXIES`] warm proxies on a multi-thread runtime with 2 workers,
//!   each fed by its own task in a closed loop (the next `Run` when the previous one
//!   is back in `Ready`) for [`THROUGHPUT_FOR`]; total activations/s;
//! - `memory`: [`IDLE_PROXIES`] proxies spawned and left in `Uninitialized`, then
//!   each taken to `Ready` by one cold run; resident memory (`/proc/self/statm`)
//!   before and after, per proxy; and the sizes of `ContainerProxyAny`, `ProxyCx`
//!   and the driver's messages.
//!
//! Each latency and throughput figure is measured on two in-memory backends, in the
//! same run:
//!
//! - `scripted`: the crate's scripted test backend (`ScriptedFactory`,
//!   `RecordingSink`), as the scenario tests use it. Every call it does not have a
//!   step for completes "at once", which is a `tokio::time::sleep(Duration::ZERO)`,
//!   and it records every body and activation;
//! - `instant`: a backend defined here whose calls complete without waiting or
//!   recording (the sink only counts), so the figure is the proxy's and the
//!   driver's own cost.
//!
//! The action has a log limit of 0 (no log collection) and a concurrency of 1; the
//! pause grace is an hour, so no proxy pauses while measured.
//!
//! Run with `cargo bench -p proxy-core --bench warm`; `cargo test --benches` runs
//! it once with small counts.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use proxy_core::container::scripted::{RecordingSink, ScriptedFactory};
use proxy_core::container::{
    spawn_proxy, Action, ActionLimits, ActivationMessage, ContainerProxyAny, ContainerProxyEvent as Event,
    ProxyConfig, ProxyCx, ProxyDeps, Run, ToParent,
};
use proxy_core::machine::driver::{Notice, Notices, Running};
use serde_json::json;
use support::{CountingSink, InstantFactory};

/// Warm activations timed by `latency` (after as many untimed ones).
const LATENCY_SAMPLES: usize = 10_000;
/// Proxies fed at once by `throughput`.
const PROXIES: usize = 100;
/// How long `throughput` feeds them.
const THROUGHPUT_FOR: Duration = Duration::from_secs(2);
/// Proxies spawned by `memory`.
const IDLE_PROXIES: usize = 10_000;

/// The counts of one run: full under `cargo bench`, small under `cargo test`.
#[derive(Clone, Copy)]
struct Counts {
    latency_samples: usize,
    proxies: usize,
    throughput_for: Duration,
    idle_proxies: usize,
}

/// Which in-memory backend the proxies use.
#[derive(Clone, Copy, Debug)]
enum Backend {
    Scripted,
    Instant,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Scripted => "scripted",
            Backend::Instant => "instant",
        }
    }

    fn deps(self) -> Arc<ProxyDeps> {
        let config = ProxyConfig { pause_grace: Duration::from_secs(3600), ..ProxyConfig::default() };
        match self {
            Backend::Scripted => {
                Arc::new(ProxyDeps::new(ScriptedFactory::new(), RecordingSink::new(), config))
            }
            Backend::Instant => Arc::new(ProxyDeps::new(
                Arc::new(InstantFactory::default()),
                Arc::new(CountingSink::default()),
                config,
            )),
        }
    }
}

/// The action: no logs, one activation at a time.
fn action() -> Arc<Action> {
    Arc::new(Action {
        kind: "nodejs:20".into(),
        limits: ActionLimits {
            timeout: Duration::from_secs(60),
            memory_mb: 256,
            logs_mb: 0,
            max_concurrent: 1,
        },
        ..Action::new("guest", "hello", "runtime:latest", "function main() {}")
    })
}

/// A blocking job for `action`.
fn job(action: &Arc<Action>, id: u64) -> Run {
    Run {
        action: action.clone(),
        msg: Arc::new(ActivationMessage {
            api_key: Some("uuid:secret".into()),
            content: Some(json!({"name": "world"})),
            ..ActivationMessage::new(format!("{id:032x}"), "guest")
        }),
    }
}

/// Reads notices until the proxy is back in `Ready`, having asked for work on the way.
async fn until_ready(notices: &mut Notices<ContainerProxyAny>) {
    let mut asked = false;
    loop {
        match notices.recv().await.expect("the proxy is alive") {
            Notice::Message(ToParent::NeedWork(_)) => asked = true,
            Notice::Transition(t) if t.to == "Ready" => {
                assert!(asked, "NeedWork before Ready");
                return;
            }
            Notice::Transition(_) => {}
            other => panic!("unexpected notice {other:?}"),
        }
    }
}

/// A proxy taken to `Ready` by one cold run.
async fn warm_proxy(
    deps: Arc<ProxyDeps>,
    action: &Arc<Action>,
) -> (Running<ContainerProxyAny>, Notices<ContainerProxyAny>) {
    let (running, mut notices) = spawn_proxy(deps);
    running.send(Event::Run(job(action, 0))).expect("the proxy is alive");
    until_ready(&mut notices).await;
    (running, notices)
}

/// The `q`-quantile of sorted samples, in µs.
fn quantile_us(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e6
}

/// Warm activation latency through one proxy.
fn latency(backend: Backend, samples: usize) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let action = action();
    let mut timings = rt.block_on(async {
        let (running, mut notices) = warm_proxy(backend.deps(), &action).await;
        let mut timings = Vec::with_capacity(samples);
        for i in 0..2 * samples {
            let job = job(&action, i as u64 + 1);
            let start = Instant::now();
            running.send(Event::Run(job)).expect("the proxy is alive");
            until_ready(&mut notices).await;
            let elapsed = start.elapsed();
            // The first half warms up.
            if i >= samples {
                timings.push(elapsed);
            }
        }
        let _machine = running.shutdown(Duration::ZERO).await.expect("the proxy's task");
        timings
    });
    timings.sort();
    let mean = timings.iter().sum::<Duration>().as_secs_f64() * 1e6 / timings.len() as f64;
    println!(
        "latency [{}]: {} warm activations, p50 {:.1} µs, p99 {:.1} µs, mean {:.1} µs, max {:.1} µs",
        backend.name(),
        timings.len(),
        quantile_us(&timings, 0.50),
        quantile_us(&timings, 0.99),
        mean,
        quantile_us(&timings, 1.0),
    );
}

/// Activations/s through `proxies` warm proxies fed in closed loops.
fn throughput(backend: Backend, proxies: usize, run_for: Duration) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let action = action();
    let (total, elapsed) = rt.block_on(async {
        let mut warm = Vec::with_capacity(proxies);
        for _ in 0..proxies {
            warm.push(warm_proxy(backend.deps(), &action).await);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let feeders: Vec<_> = warm
            .into_iter()
            .enumerate()
            .map(|(p, (running, mut notices))| {
                let (stop, action) = (stop.clone(), action.clone());
                tokio::spawn(async move {
                    let mut done = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        running.send(Event::Run(job(&action, (p as u64) << 32 | done))).expect("alive");
                        until_ready(&mut notices).await;
                        done += 1;
                    }
                    (done, running)
                })
            })
            .collect();
        tokio::time::sleep(run_for).await;
        stop.store(true, Ordering::Relaxed);
        let (mut total, mut stopped) = (0, Vec::with_capacity(proxies));
        for feeder in feeders {
            let (done, running) = feeder.await.expect("a feeder");
            total += done;
            stopped.push(running);
        }
        // Up to the last activation's end; the shutdowns (and the scripted backend's
        // records being freed) are not counted.
        let elapsed = start.elapsed();
        for running in stopped {
            let _machine = running.shutdown(Duration::ZERO).await.expect("the proxy's task");
        }
        (total, elapsed)
    });
    println!(
        "throughput [{}]: {proxies} proxies, 2 workers, {total} activations in {:.2} s: {:.0} activations/s",
        backend.name(),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
}

/// Resident memory in bytes, from `/proc/self/statm`.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Resident memory per idle proxy, in `Uninitialized` and in `Ready`.
fn memory(count: usize) {
    println!(
        "sizes: ContainerProxyAny {} B, ProxyCx {} B, ContainerProxyEvent {} B, Notice {} B, Run {} B",
        size_of::<ContainerProxyAny>(),
        size_of::<ProxyCx>(),
        size_of::<Event>(),
        size_of::<Notice<Event, ToParent>>(),
        size_of::<Run>(),
    );
    let Some(baseline) = resident_bytes() else {
        println!("memory: no /proc/self/statm; skipped");
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let action = action();
    // One backend for all, as an invoker shares its deps; the instant one records
    // nothing, so what grows is the proxies.
    let deps = Backend::Instant.deps();
    rt.block_on(async {
        // Let the runtime and the allocator reach their steady size first.
        drop(warm_proxy(deps.clone(), &action).await);
        let before = resident_bytes().unwrap_or(baseline);
        let mut proxies: Vec<_> = (0..count).map(|_| spawn_proxy(deps.clone())).collect();
        // Every driver task runs to its first wait.
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
        let uninitialized = resident_bytes().unwrap_or(before);
        for (running, _) in &proxies {
            running.send(Event::Run(job(&action, 1))).expect("the proxy is alive");
        }
        for (_, notices) in &mut proxies {
            until_ready(notices).await;
        }
        let ready = resident_bytes().unwrap_or(uninitialized);
        let per = |bytes: u64| bytes as f64 / count as f64;
        println!(
            "memory: {count} proxies, resident {:.1} MiB before; Uninitialized +{:.1} MiB ({:.0} B/proxy); \
             Ready +{:.1} MiB ({:.0} B/proxy)",
            before as f64 / 1048576.0,
            (uninitialized - before) as f64 / 1048576.0,
            per(uninitialized.saturating_sub(before)),
            (ready - before) as f64 / 1048576.0,
            per(ready.saturating_sub(before)),
        );
        for (running, _) in proxies {
            let _machine = running.shutdown(Duration::ZERO).await.expect("the proxy's task");
        }
    });
}

fn main() {
    // Full counts only under `cargo bench`, not when `cargo test --benches` runs it.
    let counts = if std::env::args().any(|arg| arg == "--bench") {
        Counts {
            latency_samples: LATENCY_SAMPLES,
            proxies: PROXIES,
            throughput_for: THROUGHPUT_FOR,
            idle_proxies: IDLE_PROXIES,
        }
    } else {
        Counts {
            latency_samples: 100,
            proxies: 4,
            throughput_for: Duration::from_millis(50),
            idle_proxies: 10,
        }
    };
    // First, while the process is fresh and no freed memory is waiting for reuse.
    memory(counts.idle_proxies);
    for backend in [Backend::Instant, Backend::Scripted] {
        latency(backend, counts.latency_samples);
    }
    for backend in [Backend::Instant, Backend::Scripted] {
        throughput(backend, counts.proxies, counts.throughput_for);
    }
}
