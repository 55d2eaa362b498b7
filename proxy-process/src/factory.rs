//! Creating containers: the runtime binary spawned as a child process in a process
//! group of its own, in a fresh working directory, with a clean environment, its
//! token, rlimits, and a cgroup where possible; it listens on `127.0.0.1` on a port
//! the kernel picks and says which on its first stdout line.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use async_trait::async_trait;
use proxy_core::container::logs::Stream;
use proxy_core::container::{BackendError, Container, ContainerFactory, CreateSpec, StartupError};
use proxy_runtime::action::ACTION_DIR_ENV;
use proxy_runtime::server::{ANNOUNCE_ENV, ANNOUNCE_PREFIX, EXIT_WITH_PARENT_ENV, LISTEN_ENV, TOKEN_ENV};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::cgroup::{Cgroup, CgroupSupport};
use crate::config::ProcessConfig;
use crate::container::{kill_group, ProcessContainer};
use crate::error::ProcessError;
use crate::limits;
use crate::logpipe::capture;
use proxy_core::container::logbuf::LogBuffer;

/// `PATH` for runtimes when this process has none.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// What the factory and its containers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: ProcessConfig,
    runtime: PathBuf,
    temp_root: PathBuf,
    cgroups: CgroupSupport,
    path: OsString,
}

/// Creates containers as child processes: the [`ContainerFactory`] of the proxy
/// where no Docker engine answers. See the [crate docs](crate) for how much weaker
/// its isolation is.
///
/// ```no_run
/// # async fn demo() -> Result<(), proxy_process::ProcessError> {
/// use std::sync::Arc;
/// use proxy_process::{ProcessConfig, ProcessFactory};
///
/// // Finds `proxy-runtime` next to the current executable.
/// let factory = ProcessFactory::new(ProcessConfig::new("wsk0"))?;
/// let shared: Arc<dyn proxy_core::container::ContainerFactory> = Arc::new(factory.clone());
/// # let _ = shared;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ProcessFactory {
    shared: Arc<Shared>,
}

impl ProcessFactory {
    /// A factory with `config`: finds and checks the runtime binary
    /// ([`ProcessError::RuntimeMissing`] names the fix), and decides once whether
    /// containers get cgroups (logging why not, when not).
    pub fn new(config: ProcessConfig) -> Result<Self, ProcessError> {
        let runtime = crate::locate::runtime_binary(config.runtime.as_deref())?;
        let temp_root = config.temp_root.clone().unwrap_or_else(std::env::temp_dir);
        let cgroups = if config.cgroup {
            CgroupSupport::detect(config.cgroup_parent.as_deref())
        } else {
            CgroupSupport::Unavailable("turned off in the configuration".into())
        };
        match &cgroups {
            CgroupSupport::Available(dir) => {
                tracing::info!(parent = %dir.display(), "process backend: each container gets a cgroup v2 with memory.max")
            }
            CgroupSupport::Unavailable(reason) => {
                tracing::info!(%reason, "process backend: no cgroups, containers are bounded by rlimits only")
            }
        }
        tracing::warn!(
            runtime = %runtime.display(),
            "process backend: actions run as this user, on this machine's filesystem and network; \
             isolation is much weaker than Docker's"
        );
        let path = std::env::var_os("PATH").unwrap_or_else(|| DEFAULT_PATH.into());
        Ok(ProcessFactory { shared: Arc::new(Shared { config, runtime, temp_root, cgroups, path }) })
    }

    /// The settings.
    pub fn config(&self) -> &ProcessConfig {
        &self.shared.config
    }

    /// The runtime binary every container runs.
    pub fn runtime(&self) -> &std::path::Path {
        &self.shared.runtime
    }

    /// Whether containers get cgroups, and where (or why not).
    pub fn cgroups(&self) -> &CgroupSupport {
        &self.shared.cgroups
    }

    /// Starts a runtime for `spec` and waits until it listens. `spec.image` is not
    /// used: every container runs the configured runtime binary. A runtime that
    /// started but could not be set up is killed and its directory removed.
    pub async fn create_container(&self, spec: &CreateSpec) -> Result<ProcessContainer, ProcessError> {
        let config = &self.shared.config;
        let name = config.container_name(&spec.name);
        let token = proxy_core::random::hex(16).map_err(ProcessError::NoRandomness)?;
        let root = &self.shared.temp_root;
        let dir = tempfile::Builder::new()
            .prefix(&format!("proxy-{name}-"))
            .tempdir_in(root)
            .map_err(|source| ProcessError::TempDir { root: root.clone(), source })?;
        let action_dir = dir.path().join("action");
        std::fs::create_dir(&action_dir)
            .map_err(|source| ProcessError::TempDir { root: root.clone(), source })?;

        let mut command = Command::new(&self.shared.runtime);
        command
            .env_clear()
            .env("PATH", &self.shared.path)
            .env("HOME", dir.path())
            .env("TMPDIR", dir.path())
            .env("__OW_API_HOST", &config.api_host)
            .envs(config.extra_env.iter().map(|(k, v)| (k, v)))
            .env(LISTEN_ENV, "127.0.0.1:0")
            .env(ANNOUNCE_ENV, "1")
            // An invoker killed outright leaves no runtime behind for long.
            .env(EXIT_WITH_PARENT_ENV, std::process::id().to_string())
            .env(ACTION_DIR_ENV, &action_dir)
            // Last, so that no extra variable can replace it.
            .env(TOKEN_ENV, &token)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group: suspend, resume and destroy signal the runtime and its
            // actions together.
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .map_err(|source| ProcessError::Spawn { path: self.shared.runtime.clone(), source })?;
        let pid = child.id().and_then(|id| i32::try_from(id).ok()).unwrap_or(0);
        match self.set_up(spec, &name, pid, &mut child).await {
            Ok((addr, cgroup, stdout)) => {
                let logs = Arc::new(LogBuffer::new(config.log_buffer_bytes));
                capture(&logs, Stream::Stdout, stdout);
                if let Some(stderr) = child.stderr.take() {
                    capture(&logs, Stream::Stderr, BufReader::new(stderr));
                }
                tracing::debug!(container = %name, pid, %addr, "runtime started");
                Ok(ProcessContainer::new(
                    Arc::clone(&self.shared),
                    name,
                    pid,
                    addr,
                    token,
                    child,
                    logs,
                    dir,
                    cgroup,
                ))
            }
            Err(error) => {
                kill_group(pid, &mut child).await;
                Err(error)
            }
        }
    }

    /// Limits, cgroup, and the announced address of a spawned runtime.
    async fn set_up(
        &self,
        spec: &CreateSpec,
        name: &str,
        pid: i32,
        child: &mut Child,
    ) -> Result<(SocketAddr, Option<Cgroup>, BufReader<tokio::process::ChildStdout>), ProcessError> {
        let config = &self.shared.config;
        limits::apply(pid, &limits::for_spec(spec, config))?;
        let cgroup = match &self.shared.cgroups {
            CgroupSupport::Available(parent) => {
                let memory = spec.memory_mb.saturating_mul(1024 * 1024);
                match Cgroup::create(parent, name, memory, spec.cpu_limit)
                    .and_then(|c| c.add(pid).map(|()| c))
                {
                    Ok(cgroup) => Some(cgroup),
                    Err(error) => {
                        tracing::warn!(container = %name, %error, "no cgroup for this container: rlimits only");
                        None
                    }
                }
            }
            CgroupSupport::Unavailable(_) => None,
        };
        let Some(stdout) = child.stdout.take() else {
            return Err(ProcessError::Stdout(std::io::Error::other("the runtime's stdout is not piped")));
        };
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let read = tokio::time::timeout(config.start_timeout, stdout.read_line(&mut line)).await;
        match read {
            Err(_) => Err(ProcessError::StartTimedOut(config.start_timeout)),
            Ok(Err(error)) => Err(ProcessError::Stdout(error)),
            Ok(Ok(0)) => Err(self.exited(child).await),
            Ok(Ok(_)) => {
                let addr = line.trim_end().strip_prefix(ANNOUNCE_PREFIX).and_then(|a| a.parse().ok());
                match addr {
                    Some(addr) => Ok((addr, cgroup, stdout)),
                    None => Err(ProcessError::BadAnnouncement { line }),
                }
            }
        }
    }

    /// The error of a runtime that closed its stdout before announcing: its exit
    /// status and what it said on stderr.
    async fn exited(&self, child: &mut Child) -> ProcessError {
        let mut stderr = String::new();
        if let Some(pipe) = child.stderr.take() {
            let mut pipe = pipe.take(4096);
            let _ = tokio::time::timeout(self.shared.config.start_timeout, pipe.read_to_string(&mut stderr))
                .await;
        }
        let status = match tokio::time::timeout(self.shared.config.start_timeout, child.wait()).await {
            Ok(Ok(status)) => status.to_string(),
            _ => "still running".into(),
        };
        ProcessError::Exited { status, stderr: stderr.trim_end().to_string() }
    }
}

#[async_trait]
impl ContainerFactory for ProcessFactory {
    async fn create(&self, spec: CreateSpec) -> Result<Arc<dyn Container>, StartupError> {
        match self.create_container(&spec).await {
            Ok(container) => Ok(Arc::new(container)),
            Err(error) => Err(StartupError::Other(BackendError::new(error))),
        }
    }
}
