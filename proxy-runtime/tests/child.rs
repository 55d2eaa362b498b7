//! The runtime as a child process of the invoker (the process backend's way): it
//! listens where `PROXY_RUNTIME_LISTEN` says, announces its address first thing on
//! stdout, and stops once its parent is gone when asked to.

use std::process::Command;
use std::time::{Duration, Instant};

use proxy_runtime::server::{ANNOUNCE_ENV, ANNOUNCE_PREFIX, EXIT_WITH_PARENT_ENV, LISTEN_ENV};

/// Starts the runtime from a shell that exits at once (so the runtime is orphaned),
/// with `exit_with_parent`; returns its pid and its log file.
fn orphan(exit_with_parent: bool, name: &str) -> (i32, std::path::PathBuf) {
    let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("child-{name}-{}.log", std::process::id()));
    let output = Command::new("sh")
        .args(["-c", "[ -n \"$2\" ] && export $2=$$; \"$0\" >\"$1\" 2>&1 </dev/null & echo $!"])
        .arg(env!("CARGO_BIN_EXE_proxy-runtime"))
        .arg(&log)
        .arg(if exit_with_parent { EXIT_WITH_PARENT_ENV } else { "" })
        .env(LISTEN_ENV, "127.0.0.1:0")
        .env(ANNOUNCE_ENV, "1")
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&output.stdout).trim().parse().unwrap();
    (pid, log)
}

fn alive(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    !stat.is_empty() && !stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
}

fn announced(log: &std::path::Path) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(line) = text.lines().next() {
            return line.to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(5), "nothing announced");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn an_orphaned_runtime_stops_when_asked_to_exit_with_its_parent() {
    let (pid, log) = orphan(true, "exits");
    let line = announced(&log);
    let addr: std::net::SocketAddr = line.strip_prefix(ANNOUNCE_PREFIX).expect(&line).parse().unwrap();
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    let start = Instant::now();
    while alive(pid) {
        assert!(start.elapsed() < Duration::from_secs(5), "the orphaned runtime {pid} still runs");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_file(log);
}

#[test]
fn without_it_an_orphaned_runtime_keeps_serving() {
    let (pid, log) = orphan(false, "stays");
    announced(&log);
    std::thread::sleep(Duration::from_millis(1200));
    let still = alive(pid);
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    let _ = std::fs::remove_file(log);
    assert!(still, "the runtime stopped without being asked to");
}
