//! The container backend `serve` runs on, behind proxy-core's
//! [`ContainerFactory`]: Docker when an engine answers, else (or with `--backend
//! process`) the process backend of crate `proxy-process`, whose isolation is
//! weaker: the start-up line and a warning say so.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proxy_core::container::ContainerFactory;
use proxy_docker::{DockerConfig, DockerError, DockerFactory};
use proxy_process::{ProcessConfig, ProcessError, ProcessFactory};

use crate::cli::{BackendChoice, ServeArgs};

/// Why no backend could be started.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// No engine answered, and Docker was asked for.
    #[error(
        "no container backend: {0}. Start a Docker engine (or point DOCKER_HOST at one), \
         or pass --backend process"
    )]
    NoEngine(#[source] DockerError),
    /// The process backend did not start.
    #[error("the process backend did not start: {0}")]
    Process(#[source] ProcessError),
    /// The runtime image could not be found or built.
    #[error("the runtime image could not be made: {0}; pass --runtime-binary or --runtime-image")]
    RuntimeImage(#[source] DockerError),
    /// The Docker backend did not start (network, cleanup).
    #[error("the Docker backend did not start: {0}")]
    Start(#[source] DockerError),
}

/// A started backend.
#[derive(Clone)]
pub struct Backend {
    /// What the proxies create containers with.
    pub factory: Arc<dyn ContainerFactory>,
    /// The image native actions run on (the process backend runs every action on
    /// its runtime binary and ignores images).
    pub runtime_image: String,
    kind: Kind,
}

/// Which backend, with what only it can do.
#[derive(Clone)]
enum Kind {
    Docker(DockerFactory),
    Process(ProcessFactory),
    /// Another factory (benchmarks, tests), and what to call it.
    Custom(String),
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").field("runtime_image", &self.runtime_image).finish_non_exhaustive()
    }
}

impl Backend {
    /// A backend on any factory, named `describe` in the start-up line: for
    /// benchmarks and tests that measure the server over an in-memory backend.
    pub fn custom(factory: Arc<dyn ContainerFactory>, runtime_image: String, describe: String) -> Self {
        Backend { factory, runtime_image, kind: Kind::Custom(describe) }
    }

    /// The Docker factory, when this is the Docker backend (benchmarks read its
    /// configuration to start containers the same way without it).
    pub fn docker(&self) -> Option<&DockerFactory> {
        match &self.kind {
            Kind::Docker(docker) => Some(docker),
            _ => None,
        }
    }

    /// Which backend this is, for the start-up line.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Docker(docker) => format!("docker (instance {})", docker.config().instance),
            Kind::Process(process) => format!(
                "process (instance {}; weaker isolation than Docker: same user, same filesystem)",
                process.config().instance
            ),
            Kind::Custom(describe) => describe.clone(),
        }
    }

    /// Removes what the backend still owns (containers the pool left, the network),
    /// unless containers are to stay for adoption.
    pub async fn shutdown(&self, keep_containers: bool) {
        let Kind::Docker(docker) = &self.kind else {
            // The pool destroyed its processes; a runtime left behind exits with us.
            return;
        };
        if keep_containers {
            return;
        }
        match docker.shutdown().await {
            Ok(removed) if removed > 0 => tracing::info!(removed, "containers removed at shutdown"),
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "the Docker backend's cleanup failed"),
        }
    }
}

/// Where the static runtime binary is looked for when not given: the workspace's
/// static release build, beside this executable's target directory, then from the
/// current directory.
fn default_runtime_binary() -> PathBuf {
    const STATIC: &str = "x86_64-unknown-linux-gnu/release/proxy-runtime";
    let beside =
        std::env::current_exe().ok().and_then(|exe| exe.parent()?.parent().map(|target| target.join(STATIC)));
    beside.filter(|p| p.exists()).unwrap_or_else(|| Path::new("target").join(STATIC))
}

/// The backend for `args`: Docker if an engine answers (or as `--backend` says),
/// else the process backend.
pub async fn choose(args: &ServeArgs, api_host: String) -> Result<Backend, BackendError> {
    match args.backend {
        BackendChoice::Process => process(args, api_host),
        BackendChoice::Docker => docker(args, api_host).await,
        BackendChoice::Auto => match docker(args, api_host.clone()).await {
            Err(BackendError::NoEngine(error)) => {
                tracing::warn!(
                    error = &error as &dyn std::error::Error,
                    "no Docker engine answers: falling back to the process backend, whose isolation is weaker \
                     (actions run as this user, on this filesystem); pass --backend docker to refuse"
                );
                eprintln!(
                    "proxyctl: no Docker engine ({error}); using the process backend (weaker isolation)"
                );
                process(args, api_host)
            }
            other => other,
        },
    }
}

async fn docker(args: &ServeArgs, api_host: String) -> Result<Backend, BackendError> {
    let docker = proxy_docker::connect().await.map_err(BackendError::NoEngine)?;
    let runtime_image = match &args.runtime_image {
        Some(image) => image.clone(),
        None => {
            let binary = args.runtime_binary.clone().unwrap_or_else(default_runtime_binary);
            proxy_docker::image::ensure_runtime_image(&docker, &binary)
                .await
                .map_err(BackendError::RuntimeImage)?
        }
    };
    let mut config = DockerConfig::new(args.instance.clone());
    config.api_host = api_host;
    config.labels.extend(args.labels.iter().cloned());
    config.keep_survivors = args.adopt;
    let factory = DockerFactory::start(docker, config).await.map_err(BackendError::Start)?;
    Ok(Backend { factory: Arc::new(factory.clone()), runtime_image, kind: Kind::Docker(factory) })
}

fn process(args: &ServeArgs, api_host: String) -> Result<Backend, BackendError> {
    let mut config = ProcessConfig::new(args.instance.clone());
    config.api_host = api_host;
    if let Some(binary) = &args.runtime_binary {
        config.runtime = Some(binary.clone());
    }
    let factory = ProcessFactory::new(config).map_err(BackendError::Process)?;
    Ok(Backend {
        factory: Arc::new(factory.clone()),
        runtime_image: "proxy-runtime (process backend)".into(),
        kind: Kind::Process(factory),
    })
}
