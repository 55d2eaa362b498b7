//! One container: a runtime child process. `/init` and `/run` go through proxy-core's
//! action client; suspend and resume are `SIGSTOP` and `SIGCONT` to its process
//! group (through `nix`'s safe `killpg`); destroy is `SIGKILL` to the group, the
//! reap, and the removal of its cgroup and working directory.
//!
//! The runtime is reaped only by [`destroy`](Container::destroy): until then a dead
//! runtime stays a zombie, which keeps its pid, and so its process group id, from
//! being reused, so a signal to the group can never reach another process.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use proxy_core::container::client::{run_body, ActionClient, RunResult};
use proxy_core::container::{
    Container, ContainerFacts, ContainerId, LogRead, Logs, OperationError, ResponseLimits, Symptom,
};
use serde_json::{Map, Value};
use tempfile::TempDir;
use tokio::process::Child;

use crate::cgroup::Cgroup;
use crate::error::ProcessError;
use crate::factory::Shared;
use proxy_core::container::logbuf::LogBuffer;

/// How long suspend waits for the runtime to be seen stopped.
const STOP_WAIT: Duration = Duration::from_millis(100);

/// How long a killed runtime may take to be reaped.
const REAP_TIMEOUT: Duration = Duration::from_secs(5);

/// A started runtime process. Created by [`ProcessFactory`](crate::ProcessFactory).
pub struct ProcessContainer {
    shared: Arc<Shared>,
    id: ContainerId,
    pid: i32,
    addr: SocketAddr,
    client: ActionClient,
    /// `None` once destroyed (killed and reaped).
    child: tokio::sync::Mutex<Option<Child>>,
    logs: Arc<LogBuffer>,
    dir: Mutex<Option<TempDir>>,
    cgroup: Option<Cgroup>,
    /// The cgroup's out-of-memory kills when the last call began.
    oom_before: AtomicU64,
    /// Stopped by this backend (so resume continues only what suspend stopped).
    paused: AtomicBool,
    /// Destroyed: no signal goes to the pid any more.
    destroyed: AtomicBool,
}

impl std::fmt::Debug for ProcessContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessContainer")
            .field("id", &self.id.0)
            .field("pid", &self.pid)
            .field("addr", &self.addr)
            .field("cgroup", &self.cgroup.is_some())
            .field("paused", &self.paused.load(Ordering::Relaxed))
            .finish()
    }
}

impl ProcessContainer {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        shared: Arc<Shared>,
        name: String,
        pid: i32,
        addr: SocketAddr,
        token: String,
        child: Child,
        logs: Arc<LogBuffer>,
        dir: TempDir,
        cgroup: Option<Cgroup>,
    ) -> Self {
        ProcessContainer {
            shared,
            id: ContainerId(name),
            pid,
            addr,
            client: ActionClient::new(addr).with_token(token),
            child: tokio::sync::Mutex::new(Some(child)),
            logs,
            dir: Mutex::new(Some(dir)),
            cgroup,
            oom_before: AtomicU64::new(0),
            paused: AtomicBool::new(false),
            destroyed: AtomicBool::new(false),
        }
    }

    /// The runtime's pid (also its process group's id).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The action runtime's address (`127.0.0.1`).
    pub fn runtime_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The container's working directory (its `HOME` and `TMPDIR`), while it exists.
    pub fn dir(&self) -> Option<std::path::PathBuf> {
        self.dir.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|d| d.path().to_path_buf())
    }

    /// Whether the container has a cgroup of its own.
    pub fn has_cgroup(&self) -> bool {
        self.cgroup.is_some()
    }

    /// The runtime's state letter in `/proc/<pid>/stat` (`S`, `R`, `T` stopped, `Z`
    /// dead and not reaped), or `None` when it is gone.
    fn state(&self) -> Option<char> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // The command name, in parentheses, may hold spaces and parentheses itself.
        stat.rsplit_once(')')?.1.trim_start().chars().next()
    }

    fn signal(&self, operation: &'static str, signal: Signal) -> Result<(), OperationError> {
        if self.destroyed.load(Ordering::SeqCst) {
            return Err(OperationError::new(operation, "the container was destroyed"));
        }
        killpg(Pid::from_raw(self.pid), signal).map_err(|source| {
            OperationError::new(
                operation,
                ProcessError::Signal { signal: signal.as_str(), pgid: self.pid, source },
            )
        })
    }

    fn mark_call(&self) {
        if let Some(cgroup) = &self.cgroup {
            self.oom_before.store(cgroup.oom_kills(), Ordering::SeqCst);
        }
    }
}

/// Kills `pid`'s process group and reaps `child` (best effort: for a runtime that
/// could not be set up). The group is signalled only while the runtime is not
/// reaped yet (`try_wait` reaps a dead one: then its pid may be anyone's).
pub(crate) async fn kill_group(pid: i32, child: &mut Child) {
    if pid > 0 && matches!(child.try_wait(), Ok(None)) {
        let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
    }
    let _ = tokio::time::timeout(REAP_TIMEOUT, child.wait()).await;
}

#[async_trait]
impl Container for ProcessContainer {
    fn id(&self) -> &ContainerId {
        &self.id
    }

    fn addr(&self) -> Option<SocketAddr> {
        Some(self.addr)
    }

    async fn initialize(&self, initializer: Value, timeout: Duration, _max_concurrent: usize) -> RunResult {
        self.mark_call();
        self.client.init(initializer, timeout).await
    }

    async fn run(
        &self,
        parameters: Value,
        environment: Map<String, Value>,
        timeout: Duration,
        limits: ResponseLimits,
    ) -> RunResult {
        self.mark_call();
        self.client.run(run_body(parameters, environment), timeout, limits).await
    }

    /// Running and paused from `/proc/<pid>/stat`; an out-of-memory kill from the
    /// cgroup's `memory.events` (more kills than when the last call began), and never
    /// without a cgroup: under rlimits only, an allocation past the limit fails
    /// inside the action instead of a kill, and a `SIGKILL` says nothing of who sent it.
    async fn facts(&self, _since: SystemTime, symptom: Symptom) -> ContainerFacts {
        let state = if self.destroyed.load(Ordering::SeqCst) { None } else { self.state() };
        let oom_killed = match (&self.cgroup, symptom) {
            // A timeout stays a timeout: only a stop from outside explains it.
            (_, Symptom::TimedOut) | (None, _) => false,
            (Some(cgroup), _) => cgroup.oom_kills() > self.oom_before.load(Ordering::SeqCst),
        };
        ContainerFacts {
            oom_killed,
            paused: state == Some('T') && !self.paused.load(Ordering::SeqCst),
            running: matches!(state, Some(s) if s != 'Z' && s != 'X'),
        }
    }

    async fn suspend(&self) -> Result<(), OperationError> {
        // The client keeps no connection, so there is none to drop.
        if !self.shared.config.pause {
            return Ok(());
        }
        self.signal("pause", Signal::SIGSTOP)?;
        self.paused.store(true, Ordering::SeqCst);
        // The stop takes effect when the kernel next schedules the runtime: wait for
        // it (briefly), so that a suspended container is stopped, as a paused Docker
        // container is frozen, when this returns.
        let deadline = tokio::time::Instant::now() + STOP_WAIT;
        while matches!(self.state(), Some('R' | 'S' | 'D')) {
            if tokio::time::Instant::now() >= deadline {
                tracing::debug!(container = %self.id, "the runtime is not stopped yet; going on");
                break;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        Ok(())
    }

    async fn resume(&self) -> Result<(), OperationError> {
        if !self.paused.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        self.signal("unpause", Signal::SIGCONT)
    }

    async fn logs(&self, limit_bytes: usize, read: LogRead) -> Result<Logs, OperationError> {
        Ok(self.logs.read(limit_bytes, read, self.shared.config.log_idle_timeout).await)
    }

    async fn destroy(&self) -> Result<(), OperationError> {
        let mut slot = self.child.lock().await;
        let Some(child) = slot.as_mut() else { return Ok(()) };
        // A stopped group dies of SIGKILL all the same. ESRCH: every process of the
        // group is gone already (the zombie leader is no member).
        match killpg(Pid::from_raw(self.pid), Signal::SIGKILL) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
            Err(source) => {
                let error = ProcessError::Signal { signal: "SIGKILL", pgid: self.pid, source };
                return Err(OperationError::new("remove", error));
            }
        }
        match tokio::time::timeout(REAP_TIMEOUT, child.wait()).await {
            Ok(Ok(_)) => {}
            Ok(Err(source)) => {
                return Err(OperationError::new("remove", ProcessError::Wait { pid: self.pid, source }))
            }
            Err(_) => {
                let error = ProcessError::NotReaped { pid: self.pid, timeout: REAP_TIMEOUT };
                return Err(OperationError::new("remove", error));
            }
        }
        *slot = None;
        self.destroyed.store(true, Ordering::SeqCst);
        if let Some(cgroup) = &self.cgroup {
            cgroup.remove();
        }
        let dir = self.dir.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(dir) = dir {
            let path = dir.path().to_path_buf();
            dir.close().map_err(|source| {
                OperationError::new("remove", ProcessError::RemoveDir { dir: path, source })
            })?;
        }
        Ok(())
    }
}

impl Drop for ProcessContainer {
    /// A container dropped without `destroy`: its whole group is killed (the child
    /// handle then kills and reaps the runtime, the directory removes itself).
    fn drop(&mut self) {
        if !self.destroyed.load(Ordering::SeqCst) && self.pid > 0 {
            let _ = killpg(Pid::from_raw(self.pid), Signal::SIGKILL);
        }
    }
}
