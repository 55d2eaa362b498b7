//! Issue 4: the same steps on the same Docker engine, three ways, in one run.
//!
//! - **proxy**: a container proxy (`spawn_proxy`) on a [`DockerFactory`], driven by
//!   its events, as an invoker drives it;
//! - **floor**: the engine's API through bollard and the action client, with
//!   nothing around them: the least any way can cost;
//! - **CLI**: the engine steps through the `docker` CLI as a subprocess, as
//!   OpenWhisk's invoker does (`docker run -d`, `docker inspect`, `docker pause`..);
//!   `/init` and `/run` through the same action client as the floor.
//!
//! Four steps, each measured the three ways in every round, the ways' order rotated
//! from round to round (and from sample to sample for warm runs):
//!
//! - **cold**: a `Run` on a fresh proxy until its activation is acknowledged; floor:
//!   create, start, inspect (the address), `/init`, `/run`; CLI: `docker run -d`,
//!   `docker inspect` (the address), `/init`, `/run`;
//! - **warm**: one more activation on the warm container ([`WARM_SAMPLES`] per round);
//!   floor and CLI: one `/run` (the same code: the CLI has no part in a warm run);
//! - **pause-resume-run**: the container paused first (untimed), then: the proxy's
//!   `Run` until acknowledged (the proxy paused after its pause grace, [`PAUSE_GRACE`]);
//!   floor: unpause and `/run`; CLI: `docker unpause` and `/run`;
//! - **removal**: the proxy's `Remove` until it is `Removed` (stopped); floor: remove
//!   with force; CLI: `docker rm -f`.
//!
//! Every way runs the same action in the same image (the runtime image, with a
//! `#!/bin/sh` script that echoes a fixed JSON object), with the same container
//! settings (256 MB, the backend's limits and least privilege, on the backend's
//! bridge network, reached at the container's address), a log limit of 0 and
//! blocking activations, so no log is read. A warm-up round is not counted. The
//! medians, the ratios of the medians and the medians of the same-round ratios are
//! printed, with the issue's targets, and where the time goes: the proxy's share
//! is read from the activation's interval (the `/init` and `/run` calls) and from
//! its factory, a pass-through around the `DockerFactory` that times `create`.
//!
//! ```sh
//! cargo bench -p proxy-docker --bench engine
//! ```
//!
//! It needs a Docker engine and builds the static `proxy-runtime` first (a no-op when
//! fresh; `PROXY_RUNTIME_BINARY` names a prebuilt one). Every container and the
//! network it creates carry the label `proxy.bench=engine-<pid>` and are removed when
//! it ends, also on a panic or Ctrl-C.

#[path = "../examples/support/mod.rs"]
mod support;
#[path = "../tests/support/mod.rs"]
mod test_support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bollard::query_parameters::RemoveContainerOptionsBuilder;
use proxy_core::container::{
    spawn_proxy, Action, ActionLimits, Activation, ActivationMessage, ActivationStatus, Container,
    ContainerFactory, ContainerProxyAny, ContainerProxyEvent as Event, CreateSpec, ProxyConfig, ProxyDeps,
    Run, StartupError, ToParent,
};
use proxy_core::machine::driver::{Notice, Notices, Running};
use proxy_docker::{Docker, DockerConfig, DockerFactory, Reach, RUNTIME_PORT};
use serde_json::{json, Value};
use support::{floor_start, median, AckSink, Cleanup, Direct, Failure, FloorStart, Settings, Steps, CODE};
use tokio::sync::mpsc;

/// Counted rounds (after one warm-up round).
const ROUNDS: usize = 15;
/// Warm activations per way and round.
const WARM_SAMPLES: usize = 10;
/// The action's memory limit.
const MEMORY_MB: u64 = 256;
/// The pause grace of the proxy whose pause-resume-run is measured.
const PAUSE_GRACE: Duration = Duration::from_millis(50);
/// The label on everything this bench creates (valued `engine-<pid>`).
const BENCH_LABEL: &str = "proxy.bench";
/// How long any one wait may take before the bench gives up.
const PATIENCE: Duration = Duration::from_secs(30);

const COLD: &str = "cold";
const WARM: &str = "warm";
const PAUSED: &str = "pause-resume-run";
const REMOVAL: &str = "removal";

/// The three ways, in the order of the table's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Proxy,
    Floor,
    Cli,
}

const WAYS: [Way; 3] = [Way::Proxy, Way::Floor, Way::Cli];

/// The ways in the order of round `n`: rotated by one each round.
fn order(n: usize) -> [Way; 3] {
    let mut ways = WAYS;
    ways.rotate_left(n % 3);
    ways
}

fn main() -> Result<(), Failure> {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and there
    // this bench, which takes a minute of the engine's time, only says how to run it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("engine bench: run it with `cargo bench -p proxy-docker --bench engine`");
        return Ok(());
    }
    let label = format!("engine-{}", std::process::id());
    let _cleanup = Cleanup(format!("{BENCH_LABEL}={label}"));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        tokio::select! {
            outcome = bench(label.clone()) => outcome,
            _ = tokio::signal::ctrl_c() => Err("interrupted".into()),
        }
    })
}

/// The proxies' factory: the bench's [`DockerFactory`], with the duration of each
/// `create` (create, start, inspect) recorded on the way through.
struct TimedFactory {
    inner: DockerFactory,
    creates: std::sync::Mutex<Vec<Duration>>,
}

impl TimedFactory {
    /// The duration of the latest `create`.
    fn last_create(&self) -> Duration {
        self.creates.lock().expect("not poisoned").last().copied().unwrap_or_default()
    }
}

#[async_trait]
impl ContainerFactory for TimedFactory {
    async fn create(&self, spec: CreateSpec) -> Result<Arc<dyn Container>, StartupError> {
        let started = Instant::now();
        let created = self.inner.create(spec).await;
        self.creates.lock().expect("not poisoned").push(started.elapsed());
        created
    }
}

/// A proxy's activation, from the `Run` sent to the ack: in all, and before, inside
/// and after the activation's interval.
struct Split {
    took: Duration,
    before: Duration,
    inside: Duration,
    after: Duration,
}

/// One proxy on the bench's factory.
struct Proxy {
    running: Running<ContainerProxyAny>,
    notices: Notices<ContainerProxyAny>,
    acks: mpsc::UnboundedReceiver<(Instant, Activation)>,
}

impl Proxy {
    fn spawn(factory: &Arc<TimedFactory>, pause_grace: Duration) -> Self {
        let (sender, acks) = mpsc::unbounded_channel();
        let config = ProxyConfig { pause_grace, ..Default::default() };
        let deps = Arc::new(ProxyDeps::new(factory.clone(), Arc::new(AckSink(sender)), config));
        let (running, notices) = spawn_proxy(deps);
        Proxy { running, notices, acks }
    }

    /// Sends `job` and waits for its acknowledgement: the time from the send to the
    /// ack, split at the start and the end of the activation's interval (`/init` and
    /// `/run`, or `/run` alone). `job`'s transaction start is set just before the send.
    async fn run(&mut self, mut job: Run) -> Result<Split, Failure> {
        let sent = tokio::time::Instant::now();
        Arc::make_mut(&mut job.msg).transaction_start = sent;
        self.running.send(Event::Run(job)).map_err(|_| "the proxy stopped")?;
        let (acked, activation) =
            tokio::time::timeout(PATIENCE, self.acks.recv()).await?.ok_or("the proxy dropped its sink")?;
        check(&activation.response.status, &activation.response.result)?;
        let acked = tokio::time::Instant::from_std(acked);
        let interval = activation.interval;
        Ok(Split {
            took: acked.saturating_duration_since(sent),
            before: interval.start.saturating_duration_since(sent),
            inside: interval.duration(),
            after: acked.saturating_duration_since(interval.end),
        })
    }

    /// Reads notices until the proxy enters `state`.
    async fn until(&mut self, state: &str) -> Result<(), Failure> {
        loop {
            let notice = tokio::time::timeout(PATIENCE, self.notices.recv())
                .await
                .map_err(|_| format!("the proxy did not reach {state}"))?
                .ok_or_else(|| format!("the proxy's notices ended before {state}"))?;
            match notice {
                Notice::Transition(t) if t.to == state => return Ok(()),
                Notice::Transition(t) if t.to == "Removing" || t.to == "Removed" => {
                    return Err(format!("the proxy went {} -> {} waiting for {state}", t.from, t.to).into())
                }
                Notice::Stopped { state: last, .. } => {
                    return Err(format!("the proxy stopped in {last}").into())
                }
                Notice::EffectPanicked { state: at } => {
                    return Err(format!("an effect panicked in {at}").into())
                }
                _ => {}
            }
        }
    }

    /// Sends `Remove` and waits until the proxy is `Removed`: the time until then,
    /// and until the proxy told its parent that the container is going (the
    /// parent's capacity is free from then on).
    async fn remove(&mut self) -> Result<(Duration, Duration), Failure> {
        let started = Instant::now();
        self.running.send(Event::Remove).map_err(|_| "the proxy stopped")?;
        let mut told = None;
        loop {
            let notice = tokio::time::timeout(PATIENCE, self.notices.recv())
                .await
                .map_err(|_| "the proxy was not removed")?
                .ok_or("the proxy's notices ended before Removed")?;
            match notice {
                Notice::Message(ToParent::ContainerRemoved { .. } | ToParent::RescheduleJob) => {
                    told.get_or_insert(started.elapsed());
                }
                Notice::Transition(t) if t.to == "Removed" => {
                    return Ok((started.elapsed(), told.ok_or("Removed without telling the parent")?))
                }
                Notice::Message(ToParent::DestroyFailed { error, .. }) => {
                    return Err(format!("destroy failed: {error}").into())
                }
                _ => {}
            }
        }
    }
}

/// The action's result must be the script's object.
fn check(status: &ActivationStatus, result: &Value) -> Result<(), Failure> {
    if *status == ActivationStatus::Success && *result == json!({"greeting": "hello"}) {
        Ok(())
    } else {
        Err(format!("unexpected activation: {status:?} {result}").into())
    }
}

fn action(image: &str) -> Arc<Action> {
    Arc::new(Action {
        limits: ActionLimits {
            timeout: Duration::from_secs(10),
            memory_mb: MEMORY_MB,
            logs_mb: 0,
            max_concurrent: 1,
        },
        // Our runtime writes the end sentinels.
        sentinelled_logs: true,
        ..Action::new("guest", "hello", image, CODE)
    })
}

fn job(action: &Arc<Action>, id: String) -> Run {
    Run {
        action: action.clone(),
        msg: Arc::new(ActivationMessage {
            api_key: Some("uuid:secret".into()),
            content: Some(json!({"name": "world"})),
            init_args: BTreeSet::new(),
            ..ActivationMessage::new(id, "guest")
        }),
    }
}

/// The floor's container: bollard, then the action client.
struct FloorContainer {
    id: String,
    direct: Direct,
}

/// The CLI's container.
struct CliContainer {
    id: String,
    direct: Direct,
}

fn cli(args: &[&str]) -> String {
    support::docker(args)
}

/// Everything one run measures.
#[derive(Default)]
struct Results {
    /// Per way (index of [`WAYS`]): the samples of every step, in round order, so
    /// that the i-th samples of two ways come from the same round.
    ways: [Steps; 3],
    /// Where the time of a cold start and of a pause-resume-run goes.
    parts: [Steps; 3],
}

impl Results {
    fn of(&mut self, way: Way) -> &mut Steps {
        &mut self.ways[way as usize]
    }

    fn parts(&mut self, way: Way) -> &mut Steps {
        &mut self.parts[way as usize]
    }
}

async fn bench(label: String) -> Result<(), Failure> {
    let docker = proxy_docker::connect().await?;
    let image = test_support::runtime_image(&docker).await;
    let facts = engine_facts(&docker).await?;

    let instance = format!("bench-{}", std::process::id());
    let mut config = DockerConfig::new(&instance);
    config.reach = Reach::Bridge;
    config.labels = BTreeMap::from([(BENCH_LABEL.to_string(), label.clone())]);
    let factory = DockerFactory::start(docker.clone(), config.clone()).await?;
    let settings = Settings::of(&config, &image, MEMORY_MB);
    println!("{facts}");
    println!(
        "image {image}, network {} (user-defined bridge), runtime reached at <container IP>:{RUNTIME_PORT}",
        settings.network
    );
    println!("{ROUNDS} rounds after a warm-up round, {WARM_SAMPLES} warm samples per way and round");

    let timed = Arc::new(TimedFactory { inner: factory.clone(), creates: Default::default() });
    let action = action(&image);
    let mut results = Results::default();
    let started = Instant::now();
    for round in 0..=ROUNDS {
        let mut scratch = Results::default();
        let into = if round == 0 { &mut scratch } else { &mut results };
        one_round(round, &docker, &timed, &settings, &action, into).await?;
        println!(
            "round {round}{} done after {:.1?}",
            if round == 0 { " (warm-up)" } else { "" },
            started.elapsed()
        );
    }
    factory.shutdown().await?;
    report(&results);
    Ok(())
}

async fn engine_facts(docker: &Docker) -> Result<String, Failure> {
    let version = docker.version().await?;
    let info = docker.info().await?;
    Ok(format!(
        "engine {} (API {}), storage driver {}, cgroup {} ({} driver), kernel {}, {} CPUs, {}",
        version.version.unwrap_or_default(),
        version.api_version.unwrap_or_default(),
        info.driver.unwrap_or_default(),
        info.cgroup_version.map(|v| v.to_string()).unwrap_or_default(),
        info.cgroup_driver.map(|v| v.to_string()).unwrap_or_default(),
        info.kernel_version.unwrap_or_default(),
        info.ncpu.unwrap_or_default(),
        info.operating_system.unwrap_or_default(),
    ))
}

async fn one_round(
    round: usize,
    docker: &Docker,
    factory: &Arc<TimedFactory>,
    settings: &Settings,
    action: &Arc<Action>,
    results: &mut Results,
) -> Result<(), Failure> {
    let pid = std::process::id();
    let mut next_id = {
        let mut n = 0;
        move |way: &str| {
            n += 1;
            format!("{way}-{round}-{n}")
        }
    };

    // Cold starts.
    let mut proxy = None;
    let mut floor = None;
    let mut cli_container = None;
    for way in order(round) {
        match way {
            Way::Proxy => {
                let mut fresh = Proxy::spawn(factory, Duration::from_secs(3600));
                let split = fresh.run(job(action, next_id("proxy"))).await?;
                results.of(way).add(COLD, split.took);
                let parts = results.parts(way);
                let create = factory.last_create();
                parts.add("cold: engine steps (create, start, inspect)", create);
                parts.add("cold: Run to /init besides the engine steps", split.before.saturating_sub(create));
                parts.add("cold: /init + /run", split.inside);
                parts.add("cold: after /run (to the ack)", split.after);
                fresh.until("Ready").await?;
                proxy = Some(fresh);
            }
            Way::Floor => {
                let job = job(action, next_id("floor"));
                let name = format!("bench-floor-{pid}-{round}");
                let started = Instant::now();
                let FloorStart { id, direct, created, running, engine } =
                    floor_start(docker, settings, &name).await?;
                direct.init(&job).await?;
                direct.run(&job).await?;
                let took = started.elapsed();
                results.of(way).add(COLD, took);
                let parts = results.parts(way);
                parts.add("cold: engine steps (create, start, inspect)", engine);
                parts.add("cold: create", created);
                parts.add("cold: start", running - created);
                parts.add("cold: inspect", engine - running);
                parts.add("cold: /init + /run", took - engine);
                floor = Some(FloorContainer { id, direct });
            }
            Way::Cli => {
                let job = job(action, next_id("cli"));
                let name = format!("bench-cli-{pid}-{round}");
                let run_args = settings.run_args(&name);
                let started = Instant::now();
                let id = cli(&run_args.iter().map(String::as_str).collect::<Vec<_>>());
                let running = started.elapsed();
                let format =
                    format!("{{{{(index .NetworkSettings.Networks \"{}\").IPAddress}}}}", settings.network);
                let ip = cli(&["inspect", "--format", &format, &id]).parse()?;
                let direct = Direct::new(SocketAddr::new(ip, RUNTIME_PORT));
                let engine = started.elapsed();
                direct.init(&job).await?;
                direct.run(&job).await?;
                let took = started.elapsed();
                results.of(way).add(COLD, took);
                let parts = results.parts(way);
                parts.add("cold: engine steps (create, start, inspect)", engine);
                parts.add("cold: docker run -d (create, start)", running);
                parts.add("cold: inspect", engine - running);
                parts.add("cold: /init + /run", took - engine);
                cli_container = Some(CliContainer { id, direct });
            }
        }
    }
    let mut proxy = proxy.expect("measured");
    let floor = floor.expect("measured");
    let cli_container = cli_container.expect("measured");

    // Warm activations.
    for sample in 0..WARM_SAMPLES {
        for way in order(round + sample) {
            match way {
                Way::Proxy => {
                    let split = proxy.run(job(action, next_id("proxy"))).await?;
                    results.of(way).add(WARM, split.took);
                    results.parts(way).add("warm: to /run", split.before);
                    results.parts(way).add("warm: /run", split.inside);
                    results.parts(way).add("warm: after /run (to the ack)", split.after);
                    proxy.until("Ready").await?;
                }
                Way::Floor => {
                    let job = job(action, next_id("floor"));
                    let started = Instant::now();
                    floor.direct.run(&job).await?;
                    results.of(way).add(WARM, started.elapsed());
                    results.parts(way).add("warm: /run", started.elapsed());
                }
                Way::Cli => {
                    let job = job(action, next_id("cli"));
                    let started = Instant::now();
                    cli_container.direct.run(&job).await?;
                    results.of(way).add(WARM, started.elapsed());
                    results.parts(way).add("warm: /run", started.elapsed());
                }
            }
        }
    }

    // Pause, then resume and run. The proxy pauses by itself after its grace: a
    // second proxy with a short grace (the first one's grace would pause it between
    // the warm samples).
    let mut pausing = Proxy::spawn(factory, PAUSE_GRACE);
    pausing.run(job(action, next_id("proxy"))).await?;
    pausing.until("Paused").await?;
    docker.pause_container(&floor.id).await?;
    cli(&["pause", &cli_container.id]);
    for way in order(round) {
        match way {
            Way::Proxy => {
                let split = pausing.run(job(action, next_id("proxy"))).await?;
                results.of(way).add(PAUSED, split.took);
                results.parts(way).add("paused: to /run (unpause)", split.before);
                results.parts(way).add("paused: /run", split.inside);
                results.parts(way).add("paused: after /run (to the ack)", split.after);
                // Out of the way before the next timed step: no pause in flight.
                pausing.until("Ready").await?;
                pausing.remove().await?;
            }
            Way::Floor => {
                let job = job(action, next_id("floor"));
                let started = Instant::now();
                docker.unpause_container(&floor.id).await?;
                let unpaused = started.elapsed();
                floor.direct.run(&job).await?;
                let took = started.elapsed();
                results.of(way).add(PAUSED, took);
                results.parts(way).add("paused: to /run (unpause)", unpaused);
                results.parts(way).add("paused: /run", took - unpaused);
            }
            Way::Cli => {
                let job = job(action, next_id("cli"));
                let started = Instant::now();
                cli(&["unpause", &cli_container.id]);
                let unpaused = started.elapsed();
                cli_container.direct.run(&job).await?;
                let took = started.elapsed();
                results.of(way).add(PAUSED, took);
                results.parts(way).add("paused: to /run (unpause)", unpaused);
                results.parts(way).add("paused: /run", took - unpaused);
            }
        }
    }

    // Removal.
    for way in order(round) {
        match way {
            Way::Proxy => {
                let (took, told) = proxy.remove().await?;
                results.of(way).add(REMOVAL, took);
                results.parts(way).add("removal: Remove to the parent told (capacity free)", told);
            }
            Way::Floor => {
                let started = Instant::now();
                let force = RemoveContainerOptionsBuilder::default().force(true).build();
                docker.remove_container(&floor.id, Some(force)).await?;
                results.of(way).add(REMOVAL, started.elapsed());
                results.parts(way).add("removal: remove -f", started.elapsed());
            }
            Way::Cli => {
                let started = Instant::now();
                cli(&["rm", "-f", &cli_container.id]);
                results.of(way).add(REMOVAL, started.elapsed());
                results.parts(way).add("removal: remove -f", started.elapsed());
            }
        }
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(results: &Results) {
    let [proxy, floor, cli] = &results.ways;
    println!();
    println!("medians (ms) of {ROUNDS} rounds ({} warm samples per way)", ROUNDS * WARM_SAMPLES);
    println!(
        "| step | proxy | floor (bollard) | docker CLI | proxy / floor | proxy - floor (ms) | CLI / proxy | same-round proxy / floor | same-round CLI / proxy |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for step in [COLD, WARM, PAUSED, REMOVAL] {
        let (p, f, c) = (proxy.median(step), floor.median(step), cli.median(step));
        let paired = |a: &Steps, b: &Steps| {
            let ratios = a.samples(step).iter().zip(b.samples(step)).map(|(x, y)| ms(*x) / ms(*y)).collect();
            median(ratios).unwrap_or_default()
        };
        println!(
            "| {step} | {:.2} | {:.2} | {:.2} | {:.3} | {:+.2} | {:.2} | {:.3} | {:.2} |",
            ms(p),
            ms(f),
            ms(c),
            ms(p) / ms(f),
            ms(p) - ms(f),
            ms(c) / ms(p),
            paired(proxy, floor),
            paired(cli, proxy),
        );
    }
    println!();
    println!("every sample (ms), in round order:");
    for step in [COLD, PAUSED, REMOVAL] {
        for (way, steps) in WAYS.iter().zip(&results.ways) {
            let all: Vec<String> = steps.samples(step).iter().map(|d| format!("{:.1}", ms(*d))).collect();
            println!("  {step:<17} {:<6} {}", format!("{way:?}"), all.join(", "));
        }
    }
    for (way, steps) in WAYS.iter().zip(&results.ways) {
        let mut all: Vec<f64> = steps.samples(WARM).iter().map(|d| ms(*d)).collect();
        all.sort_by(f64::total_cmp);
        let at = |q: f64| all.get(((all.len() - 1) as f64 * q).round() as usize).copied().unwrap_or_default();
        println!(
            "  {WARM:<17} {:<6} min {:.2}, p25 {:.2}, p50 {:.2}, p75 {:.2}, max {:.2}",
            format!("{way:?}"),
            at(0.0),
            at(0.25),
            at(0.5),
            at(0.75),
            at(1.0)
        );
    }
    println!();
    println!("where the time goes (medians, ms):");
    let mut names: Vec<&'static str> = Vec::new();
    for parts in &results.parts {
        for name in parts.names() {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    // By step, in the order first seen within a step.
    let phase = |name: &str| ["cold", "warm", "paused", "removal"].iter().position(|p| name.starts_with(p));
    names.sort_by_key(|name| phase(name));
    for name in names {
        let cells: Vec<String> =
            results
                .parts
                .iter()
                .map(|p| {
                    if p.samples(name).is_empty() {
                        "-".into()
                    } else {
                        format!("{:.2}", ms(p.median(name)))
                    }
                })
                .collect();
        println!("  {name:<42} proxy {:>8}  floor {:>8}  CLI {:>8}", cells[0], cells[1], cells[2]);
    }

    println!();
    println!("targets:");
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    let ratio = |a: &Steps, b: &Steps, step: &str| ms(a.median(step)) / ms(b.median(step));
    let cold = ratio(proxy, floor, COLD);
    println!("  cold <= 1.2x the floor: {cold:.3}x, {}", verdict(cold <= 1.2));
    let warm = ms(proxy.median(WARM)) - ms(floor.median(WARM));
    println!("  warm <= floor + 0.2 ms: {warm:+.3} ms, {}", verdict(warm <= 0.2));
    let paused = ratio(proxy, floor, PAUSED);
    println!("  pause-resume-run <= 1.2x the floor: {paused:.3}x, {}", verdict(paused <= 1.2));
    for step in [COLD, WARM, PAUSED, REMOVAL] {
        let faster = ratio(cli, proxy, step);
        let note = if step == WARM {
            " (no engine step: the CLI way's warm run is the floor's HTTP call)"
        } else {
            ""
        };
        println!("  {step}: CLI / proxy >= 2: {faster:.2}x, {}{note}", verdict(faster >= 2.0));
    }
}
