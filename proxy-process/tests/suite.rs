//! The backend contract suite (proxy-suite) against the process backend. Needs no
//! Docker engine: `proxy-runtime` is built with cargo when missing or stale. Every
//! runtime a test starts is killed when the test ends, however it ends; each test
//! then checks that no process and no working directory is left.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_util::FutureExt;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use proxy_core::container::{
    BackendError, Container, ContainerFactory, ContainerId, CreateSpec, StartupError,
};
use proxy_process::{ProcessConfig, ProcessFactory};
use proxy_suite::Backend;

/// What the outside knows of a container: its pid and directory.
type Known = Arc<Mutex<HashMap<ContainerId, (i32, PathBuf)>>>;

/// The factory under test, remembering each container's pid and directory.
struct Recording {
    factory: ProcessFactory,
    known: Known,
}

#[async_trait]
impl ContainerFactory for Recording {
    async fn create(&self, spec: CreateSpec) -> Result<Arc<dyn Container>, StartupError> {
        let container = self
            .factory
            .create_container(&spec)
            .await
            .map_err(|e| StartupError::Other(BackendError::new(e)))?;
        let dir = container.dir().expect("a working directory");
        assert!(dir.join("action").is_dir(), "the runtime gets an action directory of its own");
        self.known.lock().unwrap().insert(container.id().clone(), (container.pid(), dir));
        Ok(Arc::new(container))
    }
}

struct Process {
    factory: Arc<Recording>,
    known: Known,
}

impl Process {
    fn pid(&self, container: &dyn Container) -> i32 {
        self.known.lock().unwrap()[container.id()].0
    }
}

/// `/proc/<pid>/stat`'s state letter, `None` when the process is gone.
fn state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

#[async_trait]
impl Backend for Process {
    fn factory(&self) -> Arc<dyn ContainerFactory> {
        self.factory.clone()
    }

    fn spec(&self, name: &str, memory_mb: u64) -> CreateSpec {
        CreateSpec {
            transaction_id: "suite".into(),
            name: format!("{name}-{}", std::process::id()),
            image: "unused".into(),
            memory_mb,
            cpu_shares: 256,
            cpu_limit: None,
        }
    }

    async fn kill(&self, container: &dyn Container) {
        killpg(Pid::from_raw(self.pid(container)), Signal::SIGKILL).expect("killed");
        // The runtime is a zombie until the backend reaps it: wait for that state.
        let pid = self.pid(container);
        for _ in 0..200 {
            if matches!(state(pid), Some('Z') | None) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("the runtime {pid} did not die");
    }

    async fn freeze(&self, container: &dyn Container, frozen: bool) {
        let signal = if frozen { Signal::SIGSTOP } else { Signal::SIGCONT };
        killpg(Pid::from_raw(self.pid(container)), signal).expect("signalled");
    }

    async fn frozen(&self, container: &dyn Container) -> bool {
        state(self.pid(container)) == Some('T')
    }

    async fn exists(&self, container: &dyn Container) -> bool {
        let (pid, dir) = self.known.lock().unwrap()[container.id()].clone();
        state(pid).is_some() || dir.exists()
    }
}

/// Runs `test` against a fresh factory of instance `suite-<name>-<pid>`, working
/// directories in a temp directory of its own; afterwards, even when `test`
/// panicked, kills every runtime it left and checks that none was left.
async fn with_backend<F, Fut>(name: &str, test: F)
where
    F: FnOnce(Process) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = proxy_suite::runtime::native_runtime().unwrap_or_else(|e| panic!("{e}"));
    let temp = tempfile::tempdir().expect("a temp directory");
    let mut config = ProcessConfig::new(format!("suite-{name}-{}", std::process::id()));
    config.runtime = Some(runtime);
    config.temp_root = Some(temp.path().to_path_buf());
    config.log_idle_timeout = std::time::Duration::from_millis(400);
    let factory = ProcessFactory::new(config).expect("the factory starts");
    let known: Known = Arc::default();
    let recording = Arc::new(Recording { factory, known: known.clone() });
    let process = Process { factory: recording.clone(), known: known.clone() };
    let outcome = AssertUnwindSafe(test(process)).catch_unwind().await;

    let left: Vec<i32> = known
        .lock()
        .unwrap()
        .values()
        .map(|(pid, _)| *pid)
        .filter(|pid| matches!(state(*pid), Some(s) if s != 'Z'))
        .collect();
    for pid in &left {
        let _ = killpg(Pid::from_raw(*pid), Signal::SIGKILL);
    }
    let dirs: Vec<_> =
        std::fs::read_dir(temp.path()).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    assert!(left.is_empty(), "runtimes left running: {left:?}");
    assert!(dirs.is_empty(), "working directories left: {dirs:?}");
}

proxy_suite::backend_suite!(with_backend);
