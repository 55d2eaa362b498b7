//! What only the process backend does: its rlimits, its environment and token, its
//! process group, and its errors at start. Needs no Docker engine.

use std::sync::Arc;
use std::time::Duration;

use proxy_core::container::{outcome, ActivationStatus, Container, CreateSpec, LogRead};
use proxy_process::{
    limits, CgroupSupport, ProcessConfig, ProcessContainer, ProcessError, ProcessFactory, Resource,
};
use serde_json::{json, Map};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(10);

fn factory(temp: &tempfile::TempDir, tweak: impl FnOnce(&mut ProcessConfig)) -> ProcessFactory {
    let mut config = ProcessConfig::new(format!("process-{}", std::process::id()));
    config.runtime = Some(proxy_suite::runtime::native_runtime().unwrap_or_else(|e| panic!("{e}")));
    config.temp_root = Some(temp.path().to_path_buf());
    tweak(&mut config);
    ProcessFactory::new(config).expect("the factory starts")
}

fn spec(name: &str, memory_mb: u64) -> CreateSpec {
    CreateSpec {
        transaction_id: "test".into(),
        name: format!("{name}-{}", std::process::id()),
        image: "unused".into(),
        memory_mb,
        cpu_shares: 256,
        cpu_limit: None,
    }
}

async fn init(container: &ProcessContainer, code: &str) {
    let initializer = json!({"name": "t", "main": "main", "code": code});
    outcome::init(container, initializer, LIMIT, 1, true).await.expect("init");
}

#[tokio::test]
async fn the_runtime_runs_under_its_rlimits() {
    let temp = tempfile::tempdir().unwrap();
    let factory = factory(&temp, |c| {
        c.nofile = 256;
        c.cpu_seconds = Some(120);
        c.nproc = Some(2000);
    });
    let container = factory.create_container(&spec("limits", 128)).await.unwrap();
    let pid = container.pid();
    assert_eq!(limits::current(pid, Resource::AS).unwrap(), 128 * 1024 * 1024);
    assert_eq!(limits::current(pid, Resource::NOFILE).unwrap(), 256);
    assert_eq!(limits::current(pid, Resource::CPU).unwrap(), 120);
    assert_eq!(limits::current(pid, Resource::NPROC).unwrap(), 2000);
    assert_eq!(limits::current(pid, Resource::CORE).unwrap(), 0);

    // The action inherits them: an allocation past the address space fails.
    init(&container, "#!/bin/sh\nulimit -n >&2\nif dd if=/dev/zero of=/dev/null bs=200M count=1 2>/dev/null; then echo '{\"big\": \"fit\"}'; else echo '{\"big\": \"refused\"}'; fi\n").await;
    let (_, response) =
        outcome::run(&container, json!({}), Map::new(), LIMIT, Default::default(), false).await.unwrap();
    assert_eq!(response.result, json!({"big": "refused"}), "{response:?}");
    let logs = container.logs(1024, LogRead::UntilSentinels).await.unwrap();
    assert!(logs.lines.iter().any(|l| l.ends_with("stderr: 256")), "{logs:?}");
    container.destroy().await.unwrap();
}

#[tokio::test]
async fn the_action_sees_its_own_directory_and_neither_token_nor_runtime_settings() {
    let temp = tempfile::tempdir().unwrap();
    let factory = factory(&temp, |c| c.extra_env = vec![("EXTRA".into(), "yes".into())]);
    let container = factory.create_container(&spec("env", 128)).await.unwrap();
    let dir = container.dir().unwrap();
    assert!(container.runtime_addr().ip().is_loopback());
    init(
        &container,
        "#!/bin/sh\necho \"{\\\"home\\\": \\\"$HOME\\\", \\\"tmp\\\": \\\"$TMPDIR\\\", \\\"pwd\\\": \\\"$(pwd)\\\", \
         \\\"token\\\": \\\"${__PROXY_RUNTIME_TOKEN:-}\\\", \\\"listen\\\": \\\"${PROXY_RUNTIME_LISTEN:-}${PROXY_RUNTIME_ANNOUNCE:-}\\\", \
         \\\"extra\\\": \\\"${EXTRA:-}\\\", \\\"api\\\": \\\"${__OW_API_HOST:-}\\\"}\"\n",
    )
    .await;
    let (_, response) =
        outcome::run(&container, json!({}), Map::new(), LIMIT, Default::default(), false).await.unwrap();
    assert_eq!(response.status, ActivationStatus::Success, "{response:?}");
    let dir = dir.display().to_string();
    // The runtime runs the action in the directory it wrote the executable to.
    let pwd = format!("{dir}/action");
    assert_eq!(
        response.result,
        json!({"home": dir, "tmp": dir, "pwd": pwd, "token": "", "listen": "", "extra": "yes", "api": "https://localhost"})
    );
    container.destroy().await.unwrap();
    assert!(!std::path::Path::new(&dir).exists(), "destroy removes the working directory");
}

#[tokio::test]
async fn a_request_without_the_token_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    let container = factory(&temp, |_| {}).create_container(&spec("token", 128)).await.unwrap();
    let mut stream = tokio::net::TcpStream::connect(container.runtime_addr()).await.unwrap();
    let body = json!({"value": {"code": "#!/bin/sh\necho {}"}}).to_string();
    let request = format!(
        "POST /init HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    container.destroy().await.unwrap();
}

/// Destroy kills the whole process group: an action still running dies with its
/// runtime.
#[tokio::test]
async fn destroy_kills_the_actions_too() {
    let temp = tempfile::tempdir().unwrap();
    let container = Arc::new(factory(&temp, |_| {}).create_container(&spec("group", 128)).await.unwrap());
    init(&container, "#!/bin/sh\necho \"pid $$\" >&2\nexec sleep 30\n").await;
    let running = Arc::clone(&container);
    let run =
        tokio::spawn(async move { running.run(json!({}), Map::new(), LIMIT, Default::default()).await });
    let mut pid = None;
    for _ in 0..100 {
        let logs = container.logs(1024, LogRead::Now).await.unwrap();
        pid = logs
            .lines
            .iter()
            .find_map(|l| l.rsplit_once("stderr: pid ").and_then(|(_, p)| p.parse::<i32>().ok()));
        if pid.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = pid.expect("the action said its pid");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    container.destroy().await.unwrap();
    let result = run.await.unwrap();
    assert!(result.response.is_err(), "{result:?}");
    for _ in 0..100 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if stat.is_empty()
            || stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the action {pid} survived its container");
}

#[tokio::test]
async fn cgroups_are_used_where_available_and_said_why_not_elsewhere() {
    let temp = tempfile::tempdir().unwrap();
    let factory = factory(&temp, |_| {});
    let container = factory.create_container(&spec("cgroup", 128)).await.unwrap();
    match factory.cgroups() {
        CgroupSupport::Available(dir) => {
            assert!(container.has_cgroup(), "a cgroup under {}", dir.display());
            let memory =
                std::fs::read_to_string(dir.join(container.id().0.as_str()).join("memory.max")).unwrap();
            assert_eq!(memory.trim(), (128u64 * 1024 * 1024).to_string());
        }
        CgroupSupport::Unavailable(reason) => {
            println!("no cgroups here: {reason}");
            assert!(!reason.is_empty());
            assert!(!container.has_cgroup());
        }
    }
    let off = ProcessConfig { cgroup: false, ..factory.config().clone() };
    let off = ProcessFactory::new(off).unwrap();
    assert!(matches!(off.cgroups(), CgroupSupport::Unavailable(reason) if reason.contains("turned off")));
    container.destroy().await.unwrap();
}

#[tokio::test]
async fn a_missing_runtime_names_the_fix() {
    let mut config = ProcessConfig::new("missing");
    config.runtime = Some("/nonexistent/proxy-runtime".into());
    let error = ProcessFactory::new(config).unwrap_err();
    assert!(matches!(error, ProcessError::RuntimeMissing { .. }), "{error:?}");
    assert!(error.to_string().contains("cargo build -p proxy-runtime"), "{error}");
}

#[tokio::test]
async fn a_runtime_that_fails_at_start_is_reported_with_what_it_said() {
    let temp = tempfile::tempdir().unwrap();
    let fake = temp.path().join("fake-runtime");
    std::fs::write(&fake, "#!/bin/sh\necho 'cannot start: no luck' >&2\nexit 7\n").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let roots = tempfile::tempdir().unwrap();
    let factory = factory(&roots, |c| c.runtime = Some(fake.clone()));
    match factory.create_container(&spec("fails", 128)).await.unwrap_err() {
        ProcessError::Exited { status, stderr } => {
            assert!(status.contains('7'), "{status}");
            assert_eq!(stderr, "cannot start: no luck");
        }
        other => panic!("{other:?}"),
    }

    let chatty = temp.path().join("chatty-runtime");
    std::fs::write(&chatty, "#!/bin/sh\necho hello\nexec sleep 30\n").unwrap();
    std::fs::set_permissions(&chatty, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let factory = self::factory(&roots, |c| c.runtime = Some(chatty.clone()));
    let error = factory.create_container(&spec("chatty", 128)).await.unwrap_err();
    assert!(matches!(&error, ProcessError::BadAnnouncement { line } if line == "hello\n"), "{error:?}");
    // Nothing of the failed starts is left.
    assert_eq!(std::fs::read_dir(roots.path()).unwrap().count(), 0);
}

/// The cgroup path on a machine without cgroup v2 (this one has v1): a directory
/// laid out as a delegated cgroup v2 parent, whose files the kernel would act on.
/// What is checked is the backend's side: the limits it writes, the pid it moves,
/// and an out-of-memory kill read from `memory.events` making the run's failure
/// "exhausted its memory" (the kernel's side, the kill itself, is not exercised).
#[tokio::test]
async fn an_out_of_memory_kill_in_the_cgroup_is_reported_as_such() {
    let temp = tempfile::tempdir().unwrap();
    let parent = tempfile::tempdir().unwrap();
    std::fs::write(parent.path().join("cgroup.controllers"), "cpu memory pids\n").unwrap();
    std::fs::write(parent.path().join("cgroup.subtree_control"), "cpu memory\n").unwrap();
    let factory = factory(&temp, |c| c.cgroup_parent = Some(parent.path().to_path_buf()));
    assert_eq!(factory.cgroups(), &CgroupSupport::Available(parent.path().to_path_buf()));
    let mut spec = spec("oom", 128);
    spec.cpu_limit = Some(0.5);
    let container = factory.create_container(&spec).await.unwrap();
    assert!(container.has_cgroup());
    let cgroup = parent.path().join(&container.id().0);
    let read = |file: &str| std::fs::read_to_string(cgroup.join(file)).unwrap();
    assert_eq!(read("memory.max"), (128u64 * 1024 * 1024).to_string());
    assert_eq!(read("memory.swap.max"), "0");
    assert_eq!(read("cpu.max"), "50000 100000");
    assert_eq!(read("cgroup.procs"), container.pid().to_string());

    init(&container, "#!/bin/sh\nsleep 1\necho '{}'\n").await;
    // A kill before this run is not this run's.
    std::fs::write(cgroup.join("memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n").unwrap();
    let (_, response) =
        outcome::run(&container, json!({}), Map::new(), LIMIT, Default::default(), false).await.unwrap();
    assert_eq!(response.status, ActivationStatus::Success);
    let facts =
        container.facts(std::time::SystemTime::now(), proxy_core::container::Symptom::ConnectionLost).await;
    assert!(!facts.oom_killed, "counted from the last call's start: {facts:?}");
    let container = Arc::new(container);
    let running = Arc::clone(&container);
    let run = tokio::spawn(async move {
        outcome::run(&*running, json!({}), Map::new(), LIMIT, Default::default(), false).await.unwrap()
    });
    // The kernel's part, during the run: the kill, and its count.
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::fs::write(cgroup.join("memory.events"), "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\n").unwrap();
    nix::sys::signal::killpg(nix::unistd::Pid::from_raw(container.pid()), nix::sys::signal::Signal::SIGKILL)
        .unwrap();
    let (_, response) = run.await.unwrap();
    assert_eq!(response.status, ActivationStatus::DeveloperError, "{response:?}");
    assert_eq!(
        response.result,
        json!({"error": proxy_core::container::response::messages::MEMORY_EXHAUSTED})
    );
    container.destroy().await.unwrap();
}
