//! What the `latency` example and the engine benches share: durations recorded per
//! named step with their medians, and the docker CLI as a subprocess (for
//! comparison only: the backend never runs the CLI).

// Each program that includes this module uses only part of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bollard::models::{ContainerCreateBody, HostConfig, HostConfigLogConfig, ResourcesUlimits};
use bollard::query_parameters::CreateContainerOptionsBuilder;
use proxy_core::container::client::{run_body, ActionClient, RunResult};
use proxy_core::container::{
    args, AckKind, Activation, ActivationSink, Container, ProxyConfig, ResponseLimits, Run,
};
use proxy_docker::DockerConfig;
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// What the benches' steps fail with.
pub(crate) type Failure = Box<dyn std::error::Error>;

/// The benches' action: a script that echoes a fixed JSON object.
pub(crate) const CODE: &str = "#!/bin/sh\necho '{\"greeting\": \"hello\"}'\n";

/// Durations recorded per named step, the steps in the order they were first seen.
#[derive(Default)]
pub(crate) struct Steps(Vec<(&'static str, Vec<Duration>)>);

impl Steps {
    /// Records one sample of `step`.
    pub(crate) fn add(&mut self, step: &'static str, took: Duration) {
        match self.0.iter_mut().find(|(s, _)| *s == step) {
            Some((_, all)) => all.push(took),
            None => self.0.push((step, vec![took])),
        }
    }

    /// The steps, in the order first seen.
    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(step, _)| *step)
    }

    /// The samples of `step`, in the order recorded.
    pub(crate) fn samples(&self, step: &str) -> &[Duration] {
        self.0.iter().find(|(s, _)| *s == step).map_or(&[], |(_, all)| all.as_slice())
    }

    /// The median of `step` (the upper one of an even count); zero without samples.
    pub(crate) fn median(&self, step: &str) -> Duration {
        median(self.samples(step).to_vec()).unwrap_or_default()
    }
}

/// The median of `values` (the upper one of an even count).
pub(crate) fn median<T: PartialOrd + Copy>(mut values: Vec<T>) -> Option<T> {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values.get(values.len() / 2).copied()
}

/// The engine, or `None` after printing `skipped: <why>`: how an engine bench ends
/// where no engine answers.
pub(crate) async fn engine_or_skip() -> Option<proxy_docker::Docker> {
    match proxy_docker::connect().await {
        Ok(docker) => Some(docker),
        Err(error) => {
            println!("skipped: {error}");
            None
        }
    }
}

/// The nearest-rank `p`-quantile of `values` (`p` in 0..=1): the smallest value
/// with at least `p` of the values at or below it (0.99 of fewer than 100 values is
/// the largest).
pub(crate) fn percentile<T: PartialOrd + Copy>(mut values: Vec<T>, p: f64) -> Option<T> {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let rank = (p.clamp(0.0, 1.0) * values.len() as f64).ceil() as usize;
    values.get(rank.max(1) - 1).copied()
}

/// Awaits `work` and records how long it took as a sample of `step`.
pub(crate) async fn timed<T>(
    steps: &mut Steps,
    step: &'static str,
    work: impl std::future::Future<Output = T>,
) -> T {
    let started = Instant::now();
    let out = work.await;
    steps.add(step, started.elapsed());
    out
}

/// Runs `docker <args>` and returns its trimmed standard output; panics when the
/// command fails.
pub(crate) fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("docker CLI");
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// [`docker`], its duration recorded as a sample of `step`.
pub(crate) fn cli(steps: &mut Steps, step: &'static str, args: &[&str]) -> String {
    let started = Instant::now();
    let out = docker(args);
    steps.add(step, started.elapsed());
    out
}

/// Removes every container (paused ones are unpaused first) and every network
/// carrying `label` (`key=value`), through the CLI; never panics, so that it can run
/// while unwinding. Returns the containers still listed afterwards.
pub(crate) fn remove_labelled(label: &str) -> Vec<String> {
    let filter = format!("label={label}");
    let list = |args: &[&str]| -> Vec<String> {
        Command::new("docker")
            .args(args)
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).split_whitespace().map(String::from).collect())
            .unwrap_or_default()
    };
    let quiet = |args: &[&str]| {
        let _ = Command::new("docker").args(args).output();
    };
    for id in list(&["ps", "-q", "--filter", &filter, "--filter", "status=paused"]) {
        quiet(&["unpause", &id]);
    }
    let containers = list(&["ps", "-aq", "--filter", &filter]);
    if !containers.is_empty() {
        let mut args = vec!["rm", "-f"];
        args.extend(containers.iter().map(String::as_str));
        quiet(&args);
    }
    for network in list(&["network", "ls", "-q", "--filter", &filter]) {
        quiet(&["network", "rm", &network]);
    }
    list(&["ps", "-aq", "--filter", &filter])
}

/// `/init` and `/run` as the proxy sends them (`initialize_and_run`), through the
/// action client alone: the floor's and the CLI's way to run.
pub(crate) struct Direct {
    to: To,
}

/// Where [`Direct`] sends its calls.
enum To {
    /// A runtime that asks for no token (the floor's and the CLI's containers).
    Client(ActionClient),
    /// A container of the backend, through its own client (which holds its token).
    Container(Arc<dyn Container>),
}

impl Direct {
    /// The runtime listening at `addr`.
    pub(crate) fn new(addr: SocketAddr) -> Self {
        Direct { to: To::Client(ActionClient::new(addr)) }
    }

    /// The runtime of a container the backend created, without a proxy.
    pub(crate) fn of(container: Arc<dyn Container>) -> Self {
        Direct { to: To::Container(container) }
    }

    /// `/init` of `job`'s action.
    pub(crate) async fn init(&self, job: &Run) -> Result<(), Failure> {
        let timeout = job.action.limits.timeout;
        let (env, _) = args::partition_arguments(job.msg.content.as_ref(), &job.msg.init_args);
        let environment = args::environment(job, args::deadline_epoch_ms(timeout));
        let mut init_env = env;
        init_env.extend(args::ow_environment(&environment));
        let initializer = args::initializer(job, &init_env);
        let result = match &self.to {
            To::Client(client) => client.init(initializer, timeout).await,
            To::Container(container) => {
                container.initialize(initializer, timeout, job.action.limits.max_concurrent).await
            }
        };
        check_answer("/init", &result)
    }

    /// `/run` of `job`.
    pub(crate) async fn run(&self, job: &Run) -> Result<(), Failure> {
        let timeout = job.action.limits.timeout;
        let (_, parameters) = args::partition_arguments(job.msg.content.as_ref(), &job.msg.init_args);
        let environment = args::environment(job, args::deadline_epoch_ms(timeout));
        let limits = ResponseLimits::default();
        let result = match &self.to {
            To::Client(client) => client.run(run_body(parameters, environment), timeout, limits).await,
            To::Container(container) => container.run(parameters, environment, timeout, limits).await,
        };
        check_answer("/run", &result)
    }
}

/// The runtime's answer must be the script's object.
pub(crate) fn check_answer(what: &str, run: &RunResult) -> Result<(), Failure> {
    match &run.response {
        Ok(r) if r.ok_status() && what == "/init" => Ok(()),
        Ok(r)
            if r.ok_status()
                && serde_json::from_str::<Value>(&r.entity).ok() == Some(json!({"greeting": "hello"})) =>
        {
            Ok(())
        }
        other => Err(format!("{what} answered {other:?}").into()),
    }
}

/// The acknowledgements of a proxy's activations: when each was acknowledged, and
/// the record.
pub(crate) struct AckSink(pub(crate) mpsc::UnboundedSender<(Instant, Activation)>);

#[async_trait]
impl ActivationSink for AckSink {
    async fn ack(&self, _kind: AckKind, activation: &Activation, _blocking: bool) {
        let at = Instant::now();
        let _ = self.0.send((at, activation.clone()));
    }

    async fn store(&self, _activation: &Activation, _blocking: bool) {}
}

/// The stored activations of a pool's proxies: when each was stored, and the
/// record (acknowledgements are ignored: "submit to stored" is the figure).
pub(crate) struct StoreSink(pub(crate) mpsc::UnboundedSender<(Instant, Activation)>);

#[async_trait]
impl ActivationSink for StoreSink {
    async fn ack(&self, _kind: AckKind, _activation: &Activation, _blocking: bool) {}

    async fn store(&self, activation: &Activation, _blocking: bool) {
        let at = Instant::now();
        let _ = self.0.send((at, activation.clone()));
    }
}

/// Removes everything labelled for this run when dropped: at the end, after a
/// panic, or after Ctrl-C.
pub(crate) struct Cleanup(pub(crate) String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let left = remove_labelled(&self.0);
        if left.is_empty() {
            println!("cleanup: no container labelled {} left", self.0);
        } else {
            eprintln!("cleanup: containers labelled {} still listed: {left:?}", self.0);
        }
    }
}

/// What the floor and the CLI create: the backend's container settings for this
/// action (`DockerFactory::create_container` on a bridge network).
pub(crate) struct Settings {
    pub(crate) image: String,
    pub(crate) network: String,
    pub(crate) memory_mb: u64,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) env: Vec<String>,
    pub(crate) cpu_shares: u32,
    pub(crate) pids_limit: i64,
    pub(crate) nofile: i64,
}

impl Settings {
    /// What a factory with `config` creates for an action of `memory_mb` on `image`.
    pub(crate) fn of(config: &DockerConfig, image: &str, memory_mb: u64) -> Self {
        Settings {
            image: image.to_string(),
            network: config.network_name(),
            memory_mb,
            labels: config.container_labels(),
            env: std::iter::once(format!("__OW_API_HOST={}", config.api_host))
                .chain(config.extra_env.iter().map(|(k, v)| format!("{k}={v}")))
                .collect(),
            cpu_shares: ProxyConfig::default().cpu_shares(memory_mb),
            pids_limit: config.pids_limit,
            nofile: config.nofile,
        }
    }

    pub(crate) fn body(&self) -> ContainerCreateBody {
        let memory = i64::try_from(self.memory_mb * 1024 * 1024).expect("small");
        ContainerCreateBody {
            image: Some(self.image.clone()),
            env: Some(self.env.clone()),
            labels: Some(self.labels.clone().into_iter().collect::<HashMap<_, _>>()),
            host_config: Some(HostConfig {
                memory: Some(memory),
                memory_swap: Some(memory),
                cpu_shares: Some(i64::from(self.cpu_shares)),
                pids_limit: Some(self.pids_limit),
                ulimits: Some(vec![ResourcesUlimits {
                    name: Some("nofile".into()),
                    soft: Some(self.nofile),
                    hard: Some(self.nofile),
                }]),
                cap_drop: Some(vec!["ALL".into()]),
                security_opt: Some(vec!["no-new-privileges".into()]),
                network_mode: Some(self.network.clone()),
                log_config: Some(HostConfigLogConfig { typ: Some("json-file".into()), config: None }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// `docker run -d` with the same settings.
    pub(crate) fn run_args(&self, name: &str) -> Vec<String> {
        let mut args: Vec<String> = vec!["run".into(), "-d".into(), "--name".into(), name.into()];
        for (key, value) in &self.labels {
            args.extend(["--label".into(), format!("{key}={value}")]);
        }
        for env in &self.env {
            args.extend(["-e".into(), env.clone()]);
        }
        let memory = format!("{}m", self.memory_mb);
        args.extend(
            [
                "--memory",
                &memory,
                "--memory-swap",
                &memory,
                "--cpu-shares",
                &self.cpu_shares.to_string(),
                "--pids-limit",
                &self.pids_limit.to_string(),
                "--ulimit",
                &format!("nofile={0}:{0}", self.nofile),
                "--cap-drop",
                "ALL",
                "--security-opt",
                "no-new-privileges",
                "--network",
                &self.network,
                "--log-driver",
                "json-file",
                &self.image,
            ]
            .map(String::from),
        );
        args
    }
}

/// A container the floor started with bollard alone, and when each step ended
/// (from the create call).
pub(crate) struct FloorStart {
    pub(crate) id: String,
    pub(crate) direct: Direct,
    pub(crate) created: Duration,
    pub(crate) running: Duration,
    /// Created, started and inspected (its address known).
    pub(crate) engine: Duration,
}

/// The floor's engine steps of a cold start: create, start, inspect for the address
/// on the settings' network; `/init` and `/run` are the caller's, through `direct`.
pub(crate) async fn floor_start(
    docker: &proxy_docker::Docker,
    settings: &Settings,
    name: &str,
) -> Result<FloorStart, Failure> {
    let started = Instant::now();
    let options = CreateContainerOptionsBuilder::default().name(name).build();
    let id = docker.create_container(Some(options), settings.body()).await?.id;
    let created = started.elapsed();
    docker.start_container(&id, None).await?;
    let running = started.elapsed();
    let inspected = docker.inspect_container(&id, None).await?;
    let ip = inspected
        .network_settings
        .and_then(|s| s.networks)
        .and_then(|n| n.get(&settings.network).and_then(|e| e.ip_address.clone()))
        .ok_or("no address")?
        .parse()?;
    let direct = Direct::new(SocketAddr::new(ip, proxy_docker::RUNTIME_PORT));
    Ok(FloorStart { id, direct, created, running, engine: started.elapsed() })
}
