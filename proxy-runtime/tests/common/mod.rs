//! The harness of the runtime's end-to-end tests: the runtime binary started on a
//! free port with its stdout and stderr captured, driven over HTTP/1.1 with
//! `Connection: close` as the invoker does.

#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The end-of-activation sentinel, with its newline.
pub const SENTINEL: &str = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n";

/// The runtime under test; killed when dropped.
pub struct Runtime {
    pub child: Child,
    pub port: u16,
    pub stdout: Arc<Mutex<String>>,
    pub stderr: Arc<Mutex<String>>,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Runtime {
    /// Starts the runtime on a port no other test of this process was given; starts
    /// it again on another port if it exits at once (a port taken meanwhile).
    pub fn start() -> Runtime {
        Runtime::start_with(&[])
    }

    /// [`start`](Self::start) with more environment variables.
    pub fn start_with(env: &[(&str, &str)]) -> Runtime {
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(env!("CARGO_BIN_EXE_proxy-runtime"))
                .envs(env.iter().copied())
                .env("PROXY_RUNTIME_PORT", port.to_string())
                .env("TMPDIR", env!("CARGO_TARGET_TMPDIR"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let stdout = capture(child.stdout.take().unwrap());
            let stderr = capture(child.stderr.take().unwrap());
            let mut runtime = Runtime { child, port, stdout, stderr };
            let start = Instant::now();
            loop {
                if runtime.child.try_wait().unwrap().is_some() {
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return runtime;
                }
                assert!(start.elapsed() < Duration::from_secs(5), "the runtime did not open port {port}");
                thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("the runtime exited at start five times");
    }

    pub fn post(&self, path: &str, body: &str) -> Reply {
        request(self.port, "POST", path, body)
    }

    pub fn init(&self, code: &str) -> Reply {
        self.post("/init", &json!({"value": {"name": "a", "main": "main", "code": code}}).to_string())
    }

    /// `/init` with `env` as the init environment.
    pub fn init_with(&self, code: &str, env: Value) -> Reply {
        self.post(
            "/init",
            &json!({"value": {"name": "a", "main": "main", "code": code, "env": env}}).to_string(),
        )
    }

    /// `/init` of an actionloop action (selected by its init environment).
    pub fn init_loop(&self, code: &str) -> Reply {
        self.init_with(code, json!({"PROXY_RUNTIME_ACTIONLOOP": "1"}))
    }

    pub fn run(&self, value: Value) -> Reply {
        run(self.port, value)
    }

    /// Waits until stdout and stderr each hold `count` sentinels, then returns both.
    pub fn logs_after(&self, count: usize) -> (String, String) {
        let start = Instant::now();
        loop {
            let (out, err) = (self.stdout.lock().unwrap().clone(), self.stderr.lock().unwrap().clone());
            if out.matches(SENTINEL).count() >= count && err.matches(SENTINEL).count() >= count {
                return (out, err);
            }
            assert!(start.elapsed() < Duration::from_secs(3), "missing sentinels: {out:?} / {err:?}");
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGTERM and waits (bounded) for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let kill = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(kill.success());
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < Duration::from_secs(8), "the runtime did not exit on SIGTERM");
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Runtime {
    /// A SIGTERM first, so the runtime removes its work directory; SIGKILL if it lingers.
    fn drop(&mut self) {
        // Once reaped, its pid may belong to another process: signal nothing.
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port the kernel just had free, never handed to two tests of this process: the
/// kernel may hand a port it just released to the next `bind(0)`.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap();
    loop {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

pub fn capture(mut stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buffer) {
            sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    text
}

pub fn run(port: u16, value: Value) -> Reply {
    let body = json!({
        "value": value,
        "namespace": "guest",
        "action_name": "/guest/hello",
        "action_version": "0.0.1",
        "activation_id": "a1b2c3",
        "transaction_id": "t1",
        "deadline": "1700000000000",
    });
    request(port, "POST", "/run", &body.to_string())
}

/// One request on a fresh connection, as the invoker's client sends it.
pub fn request(port: u16, method: &str, path: &str, body: &str) -> Reply {
    request_with(port, method, path, body, "")
}

/// [`request`] with `extra` (whole header lines, each ending in `\r\n`) in the head.
pub fn request_with(port: u16, method: &str, path: &str, body: &str, extra: &str) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    )
    .unwrap_or_else(|e| panic!("{method} {path}: cannot send: {e}"));
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap_or_else(|e| panic!("{method} {path}: cannot read: {e}"));
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no header end: {raw:?}"));
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_owned(), value.trim().to_owned())
        })
        .collect();
    Reply { status, headers, body: body.to_owned() }
}
