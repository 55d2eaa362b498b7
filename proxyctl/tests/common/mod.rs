//! What the server's end-to-end tests share: the real `proxyctl serve` as a child
//! process on a loopback port 0 with a temporary data directory, on either backend
//! ([`Backend`]), a small HTTP/1.1 client, and a guard that stops the server and
//! removes every container of its instance however the test ends.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;

/// One `#[test]` per backend for each scenario `fn(Backend)`.
// Not every test file runs scenarios on both backends (live_view does not).
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod docker {
            $(#[test]
            fn $scenario() {
                super::$scenario(super::Backend::Docker)
            })*
        }
        mod process {
            $(#[test]
            fn $scenario() {
                super::$scenario(super::Backend::Process)
            })*
        }
    };
}

/// proxy-docker's engine-test support: the engine check and the static runtime
/// binary, built with the documented command when missing.
#[path = "../../../proxy-docker/tests/support/mod.rs"]
pub mod docker_support;

/// Engine tests share one engine and two cores: one at a time.
pub static SERIAL: Mutex<()> = Mutex::new(());

/// Which backend a scenario's server runs on (`serve --backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The Docker engine: skipped without one (unless `PROXY_REQUIRE_DOCKER=1`).
    Docker,
    /// The process backend: needs no engine; its server is pointed at a socket
    /// where none answers, so that nothing of it can reach Docker.
    Process,
}

impl Backend {
    /// Its `--backend` value.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Docker => "docker",
            Backend::Process => "process",
        }
    }

    /// The runtime binary `serve` gets: for Docker the static build its image is made
    /// of, for the process backend the native build in this test's profile (both
    /// built with cargo when missing or stale).
    fn runtime_binary(self) -> PathBuf {
        match self {
            Backend::Docker => docker_support::runtime_binary(),
            Backend::Process => proxy_suite::runtime::native_runtime().unwrap_or_else(|e| panic!("{e}")),
        }
    }
}

/// The lock for a scenario on `backend`, or `None` when it is to be skipped (Docker
/// without an engine).
pub fn serial(backend: Backend) -> Option<std::sync::MutexGuard<'static, ()>> {
    let guard = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match backend {
        Backend::Docker => engine_or_skip().then_some(guard),
        Backend::Process => Some(guard),
    }
}

/// A test's server: its data directory, instance, and the child process while it runs.
pub struct Server {
    pub backend: Backend,
    pub dir: tempfile::TempDir,
    pub instance: String,
    pub child: Option<Child>,
    pub port: u16,
    pub auth: String,
    pub stdout: Vec<String>,
    /// `serve --addr`: loopback port 0 unless a test needs another interface.
    pub addr: String,
    extra: Vec<String>,
}

/// An answer: status and JSON body (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// Whether an engine answers (else the test is skipped, or fails with
/// `PROXY_REQUIRE_DOCKER=1`).
pub fn engine_or_skip() -> bool {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(docker_support::engine())
        .is_some()
}

impl Server {
    /// A server for test `name` on `backend` (not started), with `extra` arguments
    /// for `serve`.
    pub fn new(name: &str, backend: Backend, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("tmp")).expect("temp root");
        Server {
            backend,
            dir,
            instance: format!("test-proxyctl-{name}-{}-{}", backend.name(), std::process::id()),
            child: None,
            port: 0,
            auth: String::new(),
            stdout: Vec::new(),
            addr: "127.0.0.1:0".into(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Replaces the extra `serve` arguments for the next start.
    pub fn set_extra(&mut self, extra: &[&str]) {
        self.extra = extra.iter().map(|s| s.to_string()).collect();
    }

    /// Starts `proxyctl serve` and waits for its `listening on` line.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "started twice");
        let mut command = Command::new(env!("CARGO_BIN_EXE_proxyctl"));
        if self.backend == Backend::Process {
            // The process backend's working directories go to the server's temp
            // directory: this test's own, where [`Server::containers`] looks.
            command.env("TMPDIR", self.temp_root()).env("DOCKER_HOST", self.no_engine());
        }
        let mut child = command
            .arg("serve")
            .args(["--backend", self.backend.name()])
            .args(["--addr", &self.addr, "--instance", &self.instance])
            .arg("--data-dir")
            .arg(self.dir.path())
            .arg("--runtime-binary")
            .arg(self.backend.runtime_binary())
            .args(["--label", &format!("{}={}", docker_support::TEST_LABEL, docker_support::run_id())])
            .args(&self.extra)
            .env("RUST_LOG", "warn,proxyctl=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn proxyctl");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        self.child = Some(child);
        self.stdout.clear();
        loop {
            let line = lines.next().expect("proxyctl printed its address before ending").expect("stdout");
            self.stdout.push(line.clone());
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().expect("an address");
                let port = addr.rsplit(':').next().expect("a port");
                self.port = port.parse().expect("port");
                break;
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        self.auth =
            std::fs::read_to_string(self.dir.path().join("guest.key")).expect("guest.key").trim().into();
    }

    /// Sends `signal` to the server and waits for it to end.
    pub fn signal(&mut self, signal: nix::sys::signal::Signal) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, signal).expect("signal");
        child.wait().expect("wait")
    }

    /// A request as the guest.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        self.call_as(Some(&self.auth.clone()), method, path, body)
    }

    /// A request with `auth` (`uuid:key`) or none.
    pub fn call_as(&self, auth: Option<&str>, method: &str, path: &str, body: Option<&Value>) -> Answer {
        request(self.port, auth, method, path, body).expect("HTTP exchange")
    }

    /// Puts the action `name` with `body`, expecting 200.
    pub fn put_action(&self, name: &str, body: Value) -> Value {
        let answer = self.call("PUT", &format!("/api/v1/namespaces/_/actions/{name}"), Some(&body));
        assert_eq!(answer.status, 200, "put {name}: {:?}", answer.body);
        answer.body
    }

    /// Polls `GET path` until it answers 200, at most `within`.
    pub fn eventually_ok(&self, path: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let answer = self.call("GET", path, None);
            if answer.status == 200 {
                return answer.body;
            }
            assert!(Instant::now() < deadline, "{path} not 200 within {within:?}: {answer:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Where the server's process-backend runtimes get their working directories.
    pub fn temp_root(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// A `DOCKER_HOST` where no engine answers (the socket does not exist).
    pub fn no_engine(&self) -> String {
        format!("unix://{}/no-engine.sock", self.dir.path().display())
    }

    /// Containers of this server's instance, in any state: for the process backend,
    /// the working directories its runtimes still have.
    pub fn containers(&self) -> Vec<String> {
        if self.backend == Backend::Process {
            return process_containers(&self.temp_root()).into_iter().map(|(dir, _)| dir).collect();
        }
        with_engine(|docker| {
            let instance = self.instance.clone();
            async move { instance_containers(&docker, &instance).await }
        })
    }

    /// Kills the server if it runs, and removes every container and network of its
    /// instance.
    pub fn clean_up(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if self.backend == Backend::Process {
            // Runtimes exit with their server; a killed one's may take a moment, so
            // kill them (and their actions: each runtime leads its process group).
            for pid in process_containers(&self.temp_root()).into_iter().flat_map(|(_, pids)| pids) {
                let pid = nix::unistd::Pid::from_raw(pid);
                let _ = nix::sys::signal::killpg(pid, nix::sys::signal::SIGKILL);
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::SIGKILL);
            }
            return;
        }
        let instance = self.instance.clone();
        with_engine(|docker| async move {
            for id in instance_containers(&docker, &instance).await {
                let _ = docker.unpause_container(&id).await;
                let options =
                    bollard::query_parameters::RemoveContainerOptionsBuilder::default().force(true).build();
                let _ = docker.remove_container(&id, Some(options)).await;
            }
            let _ = docker.remove_network(&format!("proxy-{instance}")).await;
        });
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.clean_up();
    }
}

/// The process backend's containers under `root`: each working directory (named
/// `proxy-<instance>_<name>-..`) with the pids of the processes working in it.
fn process_containers(root: &Path) -> Vec<(String, Vec<i32>)> {
    let dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    let cwds: Vec<(i32, PathBuf)> = std::fs::read_dir("/proc")
        .map(|entries| {
            entries
                .filter_map(|e| {
                    let pid = e.ok()?.file_name().to_str()?.parse().ok()?;
                    Some((pid, std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    dirs.into_iter()
        .map(|dir| {
            let pids = cwds.iter().filter(|(_, cwd)| cwd.starts_with(&dir)).map(|(pid, _)| *pid).collect();
            (dir.display().to_string(), pids)
        })
        .collect()
}

fn with_engine<T, F, Fut>(f: F) -> T
where
    F: FnOnce(bollard::Docker) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let docker = proxy_docker::connect().await.expect("engine");
        f(docker).await
    })
}

async fn instance_containers(docker: &bollard::Docker, instance: &str) -> Vec<String> {
    let filters = HashMap::from([("label", vec![format!("{}={instance}", proxy_docker::INSTANCE_LABEL)])]);
    let options = bollard::query_parameters::ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    docker.list_containers(Some(options)).await.expect("list").into_iter().filter_map(|c| c.id).collect()
}

/// One HTTP/1.1 exchange on a new connection (`Connection: close`).
pub fn request(
    port: u16,
    auth: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(90)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(auth) = auth {
        head.push_str(&format!(
            "Authorization: Basic {}\r\n",
            base64::engine::general_purpose::STANDARD.encode(auth)
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {head:?}")))?;
    Ok(Answer { status, body: serde_json::from_str(body).unwrap_or(Value::Null) })
}

/// A script action's put body: native (`blackbox` + code) on our runtime.
pub fn script(code: &str) -> Value {
    serde_json::json!({"exec": {"kind": "blackbox", "code": code}, "limits": {"memory": 128, "timeout": 20000}})
}

/// Where the workspace is.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_path_buf()
}
