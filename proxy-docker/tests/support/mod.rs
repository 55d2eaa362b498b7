//! What the engine tests share: finding the engine (or skipping), one test at a time,
//! a per-test instance whose containers are removed however the test ends, the
//! images, and the static `proxy-runtime` binary (built when missing).

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};
use futures_util::FutureExt;
use proxy_docker::image::{self, ImageRecipe};
use proxy_docker::{Docker, DockerConfig, DockerFactory};

/// The label on every container a test creates, valued with this process's run id.
pub const TEST_LABEL: &str = "proxy.test";

/// Engine tests share one engine and real time: they run one after the other.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// This process's value of [`TEST_LABEL`].
pub fn run_id() -> String {
    format!("run-{}", std::process::id())
}

/// The engine, or `None` after printing why the test is skipped; with
/// `PROXY_REQUIRE_DOCKER=1` a missing engine fails the test instead.
pub async fn engine() -> Option<Docker> {
    match proxy_docker::connect().await {
        Ok(docker) => Some(docker),
        Err(error) => {
            let message = match error {
                // Its text already reads "no Docker engine at <socket>: <error>".
                proxy_docker::DockerError::EngineUnreachable { .. }
                | proxy_docker::DockerError::EngineConnect { .. } => error.to_string(),
                _ => format!("no Docker engine at {}: {error}", proxy_docker::docker_host()),
            };
            if std::env::var("PROXY_REQUIRE_DOCKER").as_deref() == Ok("1") {
                panic!("PROXY_REQUIRE_DOCKER=1 but {message}");
            }
            println!("skipped: {message}");
            None
        }
    }
}

/// A test's world: the engine, a factory of its own instance (labelled as a test
/// container), and the lock that keeps the other tests out.
pub struct Env {
    pub docker: Docker,
    pub factory: DockerFactory,
    pub instance: String,
}

impl Env {
    /// A configuration for this test's instance.
    pub fn config(instance: &str) -> DockerConfig {
        let mut config = DockerConfig::new(instance);
        config.labels = BTreeMap::from([(TEST_LABEL.to_string(), run_id())]);
        config
    }

    /// Containers carrying this run's test label, in any state.
    pub async fn test_containers(docker: &Docker) -> Vec<String> {
        let filters = HashMap::from([("label", vec![format!("{TEST_LABEL}={}", run_id())])]);
        let options = ListContainersOptionsBuilder::default().all(true).filters(&filters).build();
        docker
            .list_containers(Some(options))
            .await
            .expect("list containers")
            .into_iter()
            .filter_map(|c| c.id)
            .collect()
    }

    /// Removes every container carrying this run's test label.
    pub async fn remove_test_containers(docker: &Docker) {
        for id in Self::test_containers(docker).await {
            let _ = docker.unpause_container(&id).await;
            let options = RemoveContainerOptionsBuilder::default().force(true).build();
            let _ = docker.remove_container(&id, Some(options)).await;
        }
    }
}

impl Env {
    /// Removes every network carrying this run's test label (a failed test may leave
    /// the network of a second factory).
    pub async fn remove_test_networks(docker: &Docker) {
        let filters = HashMap::from([("label", vec![format!("{TEST_LABEL}={}", run_id())])]);
        let options =
            bollard::query_parameters::ListNetworksOptionsBuilder::default().filters(&filters).build();
        for network in docker.list_networks(Some(options)).await.unwrap_or_default() {
            if let Some(id) = network.id {
                let _ = docker.remove_network(&id).await;
            }
        }
    }
}

/// Runs `test` with an [`Env`] for instance `test-<name>-<pid>`, configured by
/// `tweak`; skips when there is no engine. Afterwards, even when `test` panicked,
/// removes every container of the run and checks that none is left.
pub async fn with_env<F, Fut>(name: &str, tweak: impl FnOnce(&mut DockerConfig), test: F)
where
    F: FnOnce(Env) -> Fut,
    Fut: Future<Output = ()>,
{
    let _serial = SERIAL.lock().await;
    let Some(docker) = engine().await else { return };
    let instance = format!("test-{name}-{}", std::process::id());
    let mut config = Env::config(&instance);
    tweak(&mut config);
    let factory = DockerFactory::start(docker.clone(), config).await.expect("factory starts");
    let env = Env { docker: docker.clone(), factory: factory.clone(), instance };
    let outcome = AssertUnwindSafe(test(env)).catch_unwind().await;

    let cleaned = factory.shutdown().await;
    let owned_left = factory.owned_containers().await.expect("list");
    Env::remove_test_containers(&docker).await;
    Env::remove_test_networks(&docker).await;
    let left = Env::test_containers(&docker).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    cleaned.expect("cleanup succeeds");
    assert!(owned_left.is_empty(), "cleanup left containers of its instance: {owned_left:?}");
    assert!(left.is_empty(), "test containers left: {left:?}");
}

/// Waits until `check` holds, polling every 20 ms, at most `within`.
pub async fn eventually<Fut: Future<Output = bool>>(
    what: &str,
    within: Duration,
    mut check: impl FnMut() -> Fut,
) {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("not within {within:?}: {what}");
}

/// The workspace's root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_path_buf()
}

/// The static `proxy-runtime`, built with the documented command (once per run: a
/// no-op when it is up to date). `PROXY_RUNTIME_BINARY` names a prebuilt one instead.
pub fn runtime_binary() -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(prebuilt) = std::env::var_os("PROXY_RUNTIME_BINARY") {
                return Ok(PathBuf::from(prebuilt));
            }
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| workspace().join("target"), PathBuf::from);
            let binary = target.join("x86_64-unknown-linux-gnu/release/proxy-runtime");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            println!("building the static proxy-runtime (a no-op when up to date)");
            let status = Command::new(cargo)
                .current_dir(workspace())
                .env("RUSTFLAGS", "-C target-feature=+crt-static")
                .args(["build", "-p", "proxy-runtime", "--release", "--target", "x86_64-unknown-linux-gnu"])
                .status()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !status.success() || !binary.exists() {
                return Err(format!(
                    "building proxy-runtime failed ({status}); {} missing",
                    binary.display()
                ));
            }
            Ok(binary)
        })
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The runtime image (built when missing).
pub async fn runtime_image(docker: &Docker) -> String {
    image::ensure_runtime_image(docker, &runtime_binary()).await.expect("runtime image")
}

/// A busybox-only image whose entrypoint is `sh -c <script>`.
pub async fn script_image(docker: &Docker, script: &str) -> String {
    let busybox = image::read_busybox().expect("busybox-static installed");
    ImageRecipe::new("proxy-test-busybox")
        .busybox(busybox)
        .dir("/tmp", 0o1777)
        .entrypoint(["/bin/sh", "-c", script])
        .ensure(docker)
        .await
        .expect("busybox image")
}

/// A static ELF action (Rust, std only) that prints `{"binary": true, "args": <argv[1]>}`.
pub fn binary_action() -> Vec<u8> {
    static BUILT: OnceLock<Vec<u8>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            rust_action(
                "action",
                r#"fn main() {
                    let args = std::env::args().nth(1).unwrap_or_else(|| "{}".into());
                    eprintln!("binary action on stderr");
                    println!("binary action on stdout");
                    println!("{{\"binary\": true, \"args\": {args}}}");
                }"#,
            )
        })
        .clone()
}

/// The one place the engine tests and benches hand a pool a job (the pool's
/// `submit` is to become asynchronous and back-pressured: only this changes then).
pub async fn submit(pool: &proxy_core::pool::PoolHandle, run: proxy_core::container::Run) {
    pool.submit(run).await.expect("the pool runs");
}

/// A [`DockerFactory`] that records every container it creates: its name (a
/// prewarm's contains `_prewarm_`), its id, and when the create returned.
pub struct RecordingFactory {
    pub inner: DockerFactory,
    pub created: std::sync::Mutex<Vec<Created>>,
}

/// One container a [`RecordingFactory`] created.
#[derive(Debug, Clone)]
pub struct Created {
    pub name: String,
    pub id: String,
    pub at: std::time::Instant,
}

impl RecordingFactory {
    pub fn new(inner: DockerFactory) -> std::sync::Arc<Self> {
        std::sync::Arc::new(RecordingFactory { inner, created: Default::default() })
    }

    /// Every container created so far, in order.
    pub fn created(&self) -> Vec<Created> {
        self.created.lock().expect("not poisoned").clone()
    }
}

#[async_trait::async_trait]
impl proxy_core::container::ContainerFactory for RecordingFactory {
    async fn create(
        &self,
        spec: proxy_core::container::CreateSpec,
    ) -> Result<std::sync::Arc<dyn proxy_core::container::Container>, proxy_core::container::StartupError>
    {
        let name = spec.name.clone();
        let created = self.inner.create(spec).await?;
        let record = Created { name, id: created.id().0.clone(), at: std::time::Instant::now() };
        self.created.lock().expect("not poisoned").push(record);
        Ok(created)
    }
}

/// What the pool's engine tests and bench run: an action `name` of `kind` in `image`
/// with `code`, of `memory_mb`, concurrency 1, no logs, a 30 s timeout.
pub fn pool_action(
    image: &str,
    name: &str,
    kind: &str,
    code: &str,
    memory_mb: u64,
) -> std::sync::Arc<proxy_core::container::Action> {
    use proxy_core::container::{Action, ActionLimits};
    std::sync::Arc::new(Action {
        kind: kind.into(),
        limits: ActionLimits { timeout: Duration::from_secs(30), memory_mb, logs_mb: 0, max_concurrent: 1 },
        ..Action::new("guest", name, image, code)
    })
}

/// `source` (Rust, std only) compiled by `rustc` into a static ELF executable, in this
/// process's own temp directory as `name`.
pub fn rust_action(name: &str, source: &str) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("proxy-docker-action-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let source_file = dir.join(format!("{name}.rs"));
    std::fs::write(&source_file, source).expect("write source");
    let out = dir.join(name);
    let status = Command::new("rustc")
        .args(["--edition", "2021", "-C", "opt-level=1", "-C", "strip=symbols"])
        .args(["-C", "target-feature=+crt-static", "--target", "x86_64-unknown-linux-gnu", "-o"])
        .arg(&out)
        .arg(&source_file)
        .status()
        .expect("run rustc");
    assert!(status.success(), "rustc failed");
    std::fs::read(out).expect("read action")
}
