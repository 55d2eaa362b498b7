//! Issue 8's last target: after a restart with adoption (proxy-core's D28), the
//! next activation of an adopted action against a warm one and against a cold
//! start without adoption, on the same Docker engine in one run.
//!
//! Every round, on an instance of this process (`bench-adopt-<pid>`) and a ledger
//! directory of the round's own:
//!
//! 1. **pool A** (adoption on) runs [`CONTAINERS`] actions once each, one after the
//!    other (cold starts: recorded as "cold, adoption on"), waits until the ledger
//!    holds their records and the engine lists them paused (after the pause grace,
//!    [`PAUSE_GRACE`]), and shuts down with `ShutdownMode::LeaveWarm`;
//! 2. **pool B** (adoption on, same instance and ledger, on a factory of its own
//!    started with `keep_survivors`, as a new process would) starts: the time from
//!    `spawn_pool` to its first snapshot is its adoption at start (list, ledger,
//!    inspect of each survivor), also given per container;
//! 3. for each action in turn, on B: **adopted** (its first activation, on the
//!    paused survivor: resume + `/run`), then **warm** (the next one, on the
//!    container now ready), then, once B has paused it again, **warm, resumed**
//!    (resume + `/run` on a container B paused itself, [`SETTLE`] after the engine
//!    listed it paused: the like-for-like of the adopted one). Each is timed from
//!    `submit` to the sink's `store`; between them (untimed) the pool is asked until
//!    the container is free again, so that a run never finds it still busy and
//!    starts a second one;
//! 4. B shuts down and removes its containers;
//! 5. the same restart again on a second instance (`bench-adopt-<pid>-running`)
//!    with `DockerConfig::pause` off: A's containers are left running, B adopts them
//!    ready (after a connect to each runtime), and there is no resume to measure.
//!    What the adopted activation costs besides the resume;
//! 6. **cold** (the baseline): pool C, adoption off, on an instance of its own
//!    (`bench-adopt-<pid>-cold`), spawned for the round, runs the first action once:
//!    create, start, `/init`, `/run`. C runs before the restarts in even rounds
//!    and after them in odd ones, so that neither side always follows the other's
//!    engine work.
//!
//! A, B and C have the same action (the engine benches' `#!/bin/sh` script echoing
//! a fixed object; 256 MB; no logs; blocking), image, network (the backend's bridge)
//! and container settings. Every adopted and warm activation must be stored with the
//! script's result and without `initTime` (no `/init`), every cold one with it, and
//! B must create no container.
//!
//! Printed: p50 and p99 (nearest rank) of every figure; adopted − warm (the target:
//! at most +1 ms) and adopted − warm resumed, both as the difference of the p50s
//! and as the p50 and p99 of the same-container differences; cold / adopted; where
//! an activation's time goes (inside `/run`, the activation's own interval, and the
//! rest: the resume, the pool and the proxy).
//!
//! Not criterion: every sample needs a round of engine work before it (three cold
//! starts, pauses, a shutdown, a restart), so criterion's warm-up and sampling would
//! only add rounds; the interleaved rounds are the distribution.
//!
//! ```sh
//! cargo bench -p proxy-docker --bench adoption
//! ```
//!
//! Without an engine it prints `skipped: ..` and ends. Every container and network it
//! creates carry `proxy.bench=adopt-<pid>` and are removed when it ends, also on a
//! failure, a panic or Ctrl-C; the ledger directories are removed too.

#[path = "../examples/support/mod.rs"]
mod support;
#[path = "../tests/support/mod.rs"]
mod test_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use proxy_core::container::{
    Action, Activation, ActivationMessage, ActivationStatus, ProxyConfig, ProxyDeps, Run,
};
use proxy_core::pool::{spawn_pool, AdoptionConfig, Ledger, PoolConfig, PoolHandle, ShutdownMode};
use proxy_docker::{Docker, DockerConfig, DockerFactory, Reach};
use serde_json::json;
use support::{percentile, Cleanup, Failure, StoreSink, CODE};
use test_support::submit;
use tokio::sync::mpsc;

/// Rounds, each a restart.
const ROUNDS: usize = 20;
/// Containers pool A leaves and pool B adopts every round (one action each).
const CONTAINERS: usize = 3;
/// The actions' memory.
const MEMORY_MB: u64 = 256;
/// The proxies' pause grace: short, so that A's containers are paused soon after
/// their run, and B's warm one soon after its warm run.
const PAUSE_GRACE: Duration = Duration::from_millis(100);
/// How long a container B paused is left paused before its resumed run, so that
/// the engine's work for the pause is over, as for the survivors, paused long
/// before their adopted run.
const SETTLE: Duration = Duration::from_millis(100);
/// The grace of A's and B's shutdowns (nothing runs then: the runs are stored).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// The label on everything this bench creates (valued `adopt-<pid>`).
const BENCH_LABEL: &str = "proxy.bench";
/// How long any one wait may take before the bench gives up.
const PATIENCE: Duration = Duration::from_secs(60);

/// One stored activation: `submit` to `store`, and its own interval (`/init`
/// start, or `/run` start, to `/run` end).
#[derive(Clone, Copy)]
struct Sample {
    took: Duration,
    inside: Duration,
}

/// Whether an activation must have run `/init`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Start {
    Cold,
    Warm,
}

/// A pool and the activations its proxies store.
struct Pool {
    name: &'static str,
    handle: PoolHandle,
    stored: mpsc::UnboundedReceiver<(Instant, Activation)>,
    next: usize,
}

impl Pool {
    /// A pool of [`CONTAINERS`] containers' budget on `factory`, adopting from
    /// `ledger` when given.
    fn spawn(name: &'static str, factory: &DockerFactory, ledger: Option<&Path>) -> Self {
        let (sender, stored) = mpsc::unbounded_channel();
        let budget = CONTAINERS as u64 * MEMORY_MB;
        let config =
            ProxyConfig { pause_grace: PAUSE_GRACE, user_memory_mb: budget, ..ProxyConfig::default() };
        let deps = Arc::new(ProxyDeps::new(Arc::new(factory.clone()), Arc::new(StoreSink(sender)), config));
        let adoption = ledger.map(|dir| AdoptionConfig { dir: dir.to_path_buf() });
        let handle = spawn_pool(PoolConfig { adoption, ..PoolConfig::new(budget, vec![]) }, deps);
        Pool { name, handle, stored, next: 0 }
    }

    /// One activation of `action`, `submit` to `store`; checks its result and
    /// whether it ran `/init`; then waits (untimed) until the pool holds no
    /// activation, so that the next run finds the container free.
    async fn run(&mut self, action: &Arc<Action>, start: Start) -> Result<Sample, Failure> {
        self.next += 1;
        let id = format!("{}-{}", self.name, self.next);
        let run = Run::new(action.clone(), ActivationMessage::new(id.clone(), "guest"));
        let started = Instant::now();
        submit(&self.handle, run).await;
        let (at, activation) = tokio::time::timeout(PATIENCE, self.stored.recv())
            .await
            .map_err(|_| format!("{}: nothing stored within {PATIENCE:?}", self.name))?
            .ok_or("the sink went away")?;
        let initialized = activation.annotations.contains_key("initTime");
        if activation.activation_id != id
            || activation.response.status != ActivationStatus::Success
            || activation.response.result != json!({"greeting": "hello"})
            || initialized != (start == Start::Cold)
        {
            return Err(format!("{}: unexpected activation {activation:?}", self.name).into());
        }
        self.idle().await?;
        Ok(Sample { took: at - started, inside: activation.interval.duration() })
    }

    /// Waits until the pool counts no activation in flight: the proxy's `NeedWork`
    /// (sent after the store) has reached it.
    async fn idle(&self) -> Result<(), Failure> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let s = self.handle.snapshot().await.ok_or("the pool stopped")?;
            if s.busy == 0 && s.activations == 0 && s.buffered == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{}: still busy after {PATIENCE:?}: {s:?}", self.name).into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Shuts the pool down in `mode`; fails unless every run was done and every
    /// container left (`LeaveWarm`) or removed (`Remove`).
    async fn shutdown(self, mode: ShutdownMode, expected: usize) -> Result<(), Failure> {
        let report = self.handle.shutdown(SHUTDOWN_GRACE, mode).await.ok_or("the pool stopped already")?;
        let done = match mode {
            ShutdownMode::LeaveWarm => report.left.len(),
            ShutdownMode::Remove => report.removed,
        };
        if !report.handed_back.is_empty() || !report.destroy_failed.is_empty() || done != expected {
            return Err(format!("{}: shutdown in {mode:?}: {report:?}", self.name).into());
        }
        Ok(())
    }
}

/// Whether the restart's containers are paused (the backend's default) or left
/// running (`DockerConfig::pause` off): the same restart without the resume.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pausing {
    On,
    Off,
}

/// What every round shares.
struct Bench {
    docker: Docker,
    /// The adopting instances' settings (survivors kept at a factory's start): with
    /// pausing on, and off (an instance of its own).
    paused: DockerConfig,
    running: DockerConfig,
    /// Pool C's factory, on an instance of its own.
    cold: DockerFactory,
    actions: Vec<Arc<Action>>,
    ledgers: PathBuf,
}

/// Every figure, all rounds.
#[derive(Default)]
struct Figures {
    cold: Vec<Sample>,
    paused: Restarts,
    running: Restarts,
}

/// The figures of the restarts of one [`Pausing`].
#[derive(Default)]
struct Restarts {
    cold_adoption_on: Vec<Sample>,
    adopted: Vec<Sample>,
    warm: Vec<Sample>,
    /// Pausing on only.
    resumed: Vec<Sample>,
    adoption: Vec<Duration>,
}

impl Bench {
    /// One cold start of the first action on a fresh pool C (adoption off).
    async fn cold(&self, figures: &mut Figures) -> Result<(), Failure> {
        let mut pool = Pool::spawn("cold", &self.cold, None);
        figures.cold.push(pool.run(&self.actions[0], Start::Cold).await?);
        pool.shutdown(ShutdownMode::Remove, 1).await?;
        expect_containers(&self.cold, 0).await
    }

    /// One restart: A leaves its warm containers, B adopts and runs them.
    async fn restart(&self, round: usize, pausing: Pausing, figures: &mut Restarts) -> Result<(), Failure> {
        let (config, paused) = match pausing {
            Pausing::On => (&self.paused, true),
            Pausing::Off => (&self.running, false),
        };
        let ledger = self.ledgers.join(format!("{}-{round}", config.instance));
        let a_factory = DockerFactory::start(self.docker.clone(), config.clone()).await?;
        expect_containers(&a_factory, 0).await?;
        let mut a = Pool::spawn("A", &a_factory, Some(&ledger));
        for action in &self.actions {
            figures.cold_adoption_on.push(a.run(action, Start::Cold).await?);
        }
        let records = Ledger::new(&ledger);
        wait_for("A's records in the ledger", || async {
            Ok(records.read().map(|entries| entries.len() == CONTAINERS).unwrap_or(false))
        })
        .await?;
        wait_for("A's containers paused (or running)", || all_in(&a_factory, paused)).await?;
        a.shutdown(ShutdownMode::LeaveWarm, CONTAINERS).await?;
        // A's factory is dropped, not shut down: that would remove the containers.
        drop(a_factory);

        let b_factory = DockerFactory::start(self.docker.clone(), config.clone()).await?;
        let outcome = self.adopt(&b_factory, &ledger, paused, figures).await;
        let cleaned = b_factory.cleanup().await;
        outcome?;
        cleaned?;
        expect_containers(&b_factory, 0).await
    }

    /// Pool B adopts A's containers and runs each action three times.
    async fn adopt(
        &self,
        factory: &DockerFactory,
        ledger: &Path,
        paused: bool,
        figures: &mut Restarts,
    ) -> Result<(), Failure> {
        if !all_in(factory, paused).await? {
            return Err(format!("A's containers are not all (paused: {paused}) at B's start").into());
        }
        let survivors = factory.owned_containers().await?;
        let started = Instant::now();
        let mut b = Pool::spawn("B", factory, Some(ledger));
        let snapshot = b.handle.snapshot().await.ok_or("pool B stopped")?;
        figures.adoption.push(started.elapsed());
        if snapshot.adopted != CONTAINERS {
            return Err(format!("B adopted {} of {CONTAINERS}: {snapshot:?}", snapshot.adopted).into());
        }
        for action in &self.actions {
            figures.adopted.push(b.run(action, Start::Warm).await?);
            figures.warm.push(b.run(action, Start::Warm).await?);
            if paused {
                wait_for("B's container paused again", || all_in(factory, true)).await?;
                // The survivors were paused long before their run: so is this one.
                tokio::time::sleep(SETTLE).await;
                figures.resumed.push(b.run(action, Start::Warm).await?);
            }
        }
        let mut after = factory.owned_containers().await?;
        let mut before = survivors;
        after.sort_by(|x, y| x.0.cmp(&y.0));
        before.sort_by(|x, y| x.0.cmp(&y.0));
        if after != before {
            return Err(format!("B's containers changed: {before:?} -> {after:?}").into());
        }
        b.shutdown(ShutdownMode::Remove, CONTAINERS).await
    }
}

/// Whether the engine lists [`CONTAINERS`] containers of `factory`'s instance,
/// every one paused (or every one not paused). An engine that cannot pause is an
/// error: the adopted activation would not be the one measured here.
async fn all_in(factory: &DockerFactory, paused: bool) -> Result<bool, Failure> {
    if paused && factory.pause_supported() == Some(false) {
        return Err("the engine cannot pause containers".into());
    }
    let owned = factory.owned_containers().await?;
    let mut matching = 0;
    for id in &owned {
        let inspected = factory.docker().inspect_container(&id.0, None).await?;
        matching += usize::from((inspected.state.and_then(|s| s.paused) == Some(true)) == paused);
    }
    Ok(owned.len() == CONTAINERS && matching == CONTAINERS)
}

/// Fails unless the engine lists `n` containers of `factory`'s instance.
async fn expect_containers(factory: &DockerFactory, n: usize) -> Result<(), Failure> {
    let owned = factory.owned_containers().await?;
    if owned.len() != n {
        return Err(format!(
            "{} containers of {}, not {n}: {owned:?}",
            owned.len(),
            factory.config().instance
        )
        .into());
    }
    Ok(())
}

/// Polls `check` every 10 ms until it holds, [`PATIENCE`] at most.
async fn wait_for<Fut>(what: &str, mut check: impl FnMut() -> Fut) -> Result<(), Failure>
where
    Fut: std::future::Future<Output = Result<bool, Failure>>,
{
    let deadline = Instant::now() + PATIENCE;
    while !check().await? {
        if Instant::now() > deadline {
            return Err(format!("not within {PATIENCE:?}: {what}").into());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// The ledger directories of this process, removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// `p50 / p99` in ms of `values`.
fn quantiles(values: Vec<f64>) -> String {
    let n = values.len();
    match (percentile(values.clone(), 0.5), percentile(values, 0.99)) {
        (Some(p50), Some(p99)) => format!("p50 {p50:.2} ms, p99 {p99:.2} ms (n = {n})"),
        _ => "no sample".into(),
    }
}

fn p50(values: Vec<f64>) -> Result<f64, Failure> {
    Ok(percentile(values, 0.5).ok_or("no sample")?)
}

fn took(samples: &[Sample]) -> Vec<f64> {
    samples.iter().map(|s| ms(s.took)).collect()
}

/// `a − b` of the same container, sample by sample.
fn differences(a: &[Sample], b: &[Sample]) -> Vec<f64> {
    a.iter().zip(b).map(|(a, b)| ms(a.took) - ms(b.took)).collect()
}

/// The figures of one way: p50 and p99 of submit to stored, of the activation's
/// own interval, and of the rest.
fn print_way(name: &str, samples: &[Sample]) {
    let inside = samples.iter().map(|s| ms(s.inside)).collect();
    let rest = samples.iter().map(|s| ms(s.took.saturating_sub(s.inside))).collect();
    println!("summary:   {name}: {}", quantiles(took(samples)));
    println!("summary:     inside the activation {}; the rest {}", quantiles(inside), quantiles(rest));
}

/// The restarts of one [`Pausing`], against the cold starts without adoption.
fn print_restarts(pausing: &str, figures: &Restarts, cold: f64) -> Result<(), Failure> {
    println!("summary: restarts, {pausing}:");
    print_way("cold start, pool A (adoption on)", &figures.cold_adoption_on);
    print_way("adopted: B's first activation on a survivor", &figures.adopted);
    print_way("warm: B's next one, the container ready", &figures.warm);
    if !figures.resumed.is_empty() {
        print_way("warm, resumed: B paused it, then one more", &figures.resumed);
    }
    let adopted = p50(took(&figures.adopted))?;
    let delta = adopted - p50(took(&figures.warm))?;
    println!(
        "summary:   adopted − warm: {delta:+.2} ms of the p50s (target ≤ +1 ms: {}); same container: {}",
        if delta <= 1.0 { "met" } else { "missed" },
        quantiles(differences(&figures.adopted, &figures.warm)),
    );
    if !figures.resumed.is_empty() {
        println!(
            "summary:   adopted − warm, resumed: {:+.2} ms of the p50s; same container: {}",
            adopted - p50(took(&figures.resumed))?,
            quantiles(differences(&figures.adopted, &figures.resumed)),
        );
    }
    println!(
        "summary:   cold (adoption off) / adopted: {:.1}x of the p50s; cold − adopted {:+.2} ms",
        cold / adopted,
        cold - adopted
    );
    let per_container: Vec<f64> = figures.adoption.iter().map(|d| ms(*d) / CONTAINERS as f64).collect();
    println!(
        "summary:   B's adoption at start (spawn to first snapshot), {CONTAINERS} containers: {}; per container {}",
        quantiles(figures.adoption.iter().map(|d| ms(*d)).collect()),
        quantiles(per_container),
    );
    Ok(())
}

fn print(figures: &Figures) -> Result<(), Failure> {
    println!("summary: {ROUNDS} rounds, {CONTAINERS} containers adopted per restart; submit to stored:");
    print_way("cold start, pool C (adoption off)", &figures.cold);
    let cold = p50(took(&figures.cold))?;
    print_restarts("containers paused (the backend's default)", &figures.paused, cold)?;
    print_restarts("pausing off (containers left running)", &figures.running, cold)
}

/// One round: a cold start, a restart with pausing on and one with it off, the
/// cold start first in even rounds and last in odd ones.
async fn round(bench: &Bench, round: usize, figures: &mut Figures) -> Result<(), Failure> {
    if round % 2 == 0 {
        bench.cold(figures).await?;
    }
    bench.restart(round, Pausing::On, &mut figures.paused).await?;
    bench.restart(round, Pausing::Off, &mut figures.running).await?;
    if round % 2 == 1 {
        bench.cold(figures).await?;
    }
    Ok(())
}

async fn rounds(bench: &Bench) -> Result<Figures, Failure> {
    // One round first, not counted: images, networks, caches.
    round(bench, ROUNDS, &mut Figures::default()).await?;
    let mut figures = Figures::default();
    for r in 0..ROUNDS {
        round(bench, r, &mut figures).await?;
    }
    Ok(figures)
}

fn main() -> Result<(), Failure> {
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` this bench, which
    // takes the engine for minutes, only says how to run it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("adoption engine bench: run it with `cargo bench -p proxy-docker --bench adoption`");
        return Ok(());
    }
    let pid = std::process::id();
    let label = format!("adopt-{pid}");
    let _cleanup = Cleanup(format!("{BENCH_LABEL}={label}"));
    let ledgers = TempDir(std::env::temp_dir().join(format!("proxy-bench-adopt-{pid}")));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let Some(docker) = rt.block_on(support::engine_or_skip()) else { return Ok(()) };
    let image = rt.block_on(test_support::runtime_image(&docker));
    let mut config = DockerConfig::new(format!("bench-adopt-{pid}"));
    config.reach = Reach::Bridge;
    config.labels = BTreeMap::from([(BENCH_LABEL.to_string(), label)]);
    config.keep_survivors = true;
    let mut running = config.clone();
    running.instance = format!("bench-adopt-{pid}-running");
    running.pause = false;
    let mut cold_config = config.clone();
    cold_config.instance = format!("bench-adopt-{pid}-cold");
    cold_config.keep_survivors = false;
    let cold = rt.block_on(DockerFactory::start(docker.clone(), cold_config))?;
    let actions = (0..CONTAINERS)
        .map(|i| test_support::pool_action(&image, &format!("adopt-{i}"), "blackbox", CODE, MEMORY_MB))
        .collect();
    println!("image {image}, the backend's bridge network");
    let bench =
        Bench { docker: docker.clone(), paused: config, running, cold, actions, ledgers: ledgers.0.clone() };
    // The pools' tasks run on `rt`, whenever it is driven.
    let _entered = rt.enter();
    let outcome = rt.block_on(async {
        tokio::select! {
            outcome = rounds(&bench) => outcome,
            _ = tokio::signal::ctrl_c() => Err("interrupted".into()),
        }
    });
    let shut = rt.block_on(async {
        for config in [&bench.paused, &bench.running] {
            DockerFactory::start(docker.clone(), config.clone()).await?.shutdown().await?;
        }
        bench.cold.shutdown().await
    });
    let figures = outcome?;
    shut?;
    print(&figures)
}
