//! The runtime binary end to end: started on a free port with its stdout and stderr
//! captured, driven over HTTP/1.1 with `Connection: close` as the invoker does.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

const SENTINEL: &str = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n";

/// Logs a line on each stream and greets `name` from `argv[1]`, with the activation id
/// and an init-time variable.
const HELLO: &str = r#"#!/bin/sh
echo "log line from action"
echo "to stderr" >&2
name=$(printf '%s' "$1" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
echo "{\"greeting\":\"hello $name\",\"activation\":\"$__OW_ACTIVATION_ID\",\"prefix\":\"$PREFIX\"}"
"#;

/// The runtime under test; killed when dropped.
struct Runtime {
    child: Child,
    port: u16,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

/// One HTTP answer.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Runtime {
    /// Starts the runtime on a port no other test of this process was given; starts
    /// it again on another port if it exits at once (a port taken meanwhile).
    fn start() -> Runtime {
        Runtime::start_with(&[])
    }

    /// [`start`](Self::start) with more environment variables.
    fn start_with(env: &[(&str, &str)]) -> Runtime {
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

    fn post(&self, path: &str, body: &str) -> Reply {
        request(self.port, "POST", path, body)
    }

    fn init(&self, code: &str) -> Reply {
        self.post("/init", &json!({"value": {"name": "a", "main": "main", "code": code}}).to_string())
    }

    fn run(&self, value: Value) -> Reply {
        run(self.port, value)
    }

    /// Waits until stdout and stderr each hold `count` sentinels, then returns both.
    fn logs_after(&self, count: usize) -> (String, String) {
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
    fn terminate(&mut self) -> ExitStatus {
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
fn free_port() -> u16 {
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

fn capture(mut stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
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

fn run(port: u16, value: Value) -> Reply {
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
fn request(port: u16, method: &str, path: &str, body: &str) -> Reply {
    request_with(port, method, path, body, "")
}

/// [`request`] with `extra` (whole header lines, each ending in `\r\n`) in the head.
fn request_with(port: u16, method: &str, path: &str, body: &str, extra: &str) -> Reply {
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

#[test]
fn init_then_run_a_script() {
    let runtime = Runtime::start();
    let init = runtime.post(
        "/init",
        &json!({"value": {"name": "hello", "main": "main", "code": HELLO, "binary": false,
                          "env": {"PREFIX": "p1"}}})
        .to_string(),
    );
    assert_eq!((init.status, init.json()), (200, json!({"ok": true})));

    let reply = runtime.run(json!({"name": "World"}));
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json(), json!({"greeting": "hello World", "activation": "a1b2c3", "prefix": "p1"}));
    assert_eq!(reply.header("content-length"), Some(reply.body.len().to_string().as_str()));
    assert_eq!(reply.header("content-type"), Some("application/json"));

    let (out, err) = runtime.logs_after(1);
    assert_eq!(out, format!("log line from action\n{SENTINEL}"));
    assert_eq!(err, format!("to stderr\n{SENTINEL}"));
}

#[test]
fn a_second_init_is_forbidden() {
    let runtime = Runtime::start();
    assert_eq!(runtime.init(HELLO).status, 200);
    let again = runtime.init(HELLO);
    assert_eq!(again.status, 403);
    assert_eq!(again.json(), json!({"error": "Cannot initialize the action more than once."}));
    let (_, err) = runtime.logs_after(1);
    assert!(err.starts_with("Cannot initialize the action more than once.\n"), "{err:?}");
    // The first action is still the one that runs.
    assert_eq!(runtime.run(json!({"name": "x"})).json()["greeting"], "hello x");
}

#[test]
fn run_before_init_is_an_error() {
    let runtime = Runtime::start();
    let reply = runtime.run(json!({}));
    assert_eq!((reply.status, reply.json()), (500, json!({"error": "no action defined yet"})));
    runtime.logs_after(1);
}

#[test]
fn init_without_code_is_forbidden_and_can_be_retried() {
    let runtime = Runtime::start();
    for body in [r#"{"value": {"code": ""}}"#, r#"{"value": {"main": "main"}}"#, "{}"] {
        let reply = runtime.post("/init", body);
        assert_eq!(reply.status, 403, "{body}");
        assert_eq!(reply.json(), json!({"error": "Missing main/no code to execute."}));
    }
    runtime.logs_after(3);
    assert_eq!(runtime.init(HELLO).status, 200);
}

#[test]
fn bad_requests_get_json_errors() {
    let runtime = Runtime::start();
    let bad = runtime.post("/init", "{not json");
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().starts_with("Error unmarshaling request"));
    let not_code = runtime.init("echo no shebang");
    assert_eq!(not_code.status, 502, "{not_code:?}");
    let base64 = runtime.post("/init", r#"{"value": {"code": "%%%", "binary": true}}"#);
    assert_eq!(base64.status, 400);

    let missing = request(runtime.port, "POST", "/nope", "{}");
    assert_eq!((missing.status, missing.json()), (404, json!({"error": "not found"})));
    let get = request(runtime.port, "GET", "/run", "");
    assert_eq!((get.status, get.header("allow")), (405, Some("POST")));
    assert!(get.header("content-length").is_some());
}

#[test]
fn binary_code_is_base64() {
    let runtime = Runtime::start();
    let code = base64::engine::general_purpose::STANDARD.encode(HELLO);
    let init = runtime.post("/init", &json!({"value": {"code": code, "binary": true}}).to_string());
    assert_eq!(init.status, 200, "{init:?}");
    assert_eq!(runtime.run(json!({"name": "b64"})).json()["greeting"], "hello b64");
}

#[test]
fn a_last_line_that_is_not_json_is_a_502() {
    let runtime = Runtime::start();
    assert_eq!(runtime.init("#!/bin/sh\necho first\necho 'not a json object'\n").status, 200);
    let reply = runtime.run(json!({}));
    assert_eq!(reply.status, 502);
    assert_eq!(reply.json(), json!({"error": "The action did not return a dictionary or array."}));
    let (out, _) = runtime.logs_after(1);
    assert_eq!(out, format!("first\nnot a json object\n{SENTINEL}"));

    // A JSON value that is neither object nor array is no result either.
    let runtime = Runtime::start();
    assert_eq!(runtime.init("#!/bin/sh\necho '\"a string\"'\n").status, 200);
    assert_eq!(runtime.run(json!({})).status, 502);
}

#[test]
fn an_action_that_fails_without_a_result_is_command_exited() {
    let runtime = Runtime::start();
    assert_eq!(runtime.init("#!/bin/sh\necho 'going down' >&2\nexit 3\n").status, 200);
    let reply = runtime.run(json!({}));
    assert_eq!((reply.status, reply.json()), (502, json!({"error": "command exited"})));
    let (_, err) = runtime.logs_after(1);
    assert_eq!(err, format!("going down\n{SENTINEL}"));
    // The runtime stays usable: the next activation gets the same answer.
    assert_eq!(runtime.run(json!({})).status, 502);
}

#[test]
fn an_array_result_and_large_parameters_through_stdin() {
    let runtime = Runtime::start();
    let code = "#!/bin/sh\nif [ -n \"$1\" ]; then p=\"$1\"; else p=$(cat); fi\necho \"[${#p}]\"\n";
    assert_eq!(runtime.init(code).status, 200);
    assert_eq!(runtime.run(json!({"a": 1})).json(), json!([7]));
    // Past MAX_ARG_STRLEN, the parameters come on stdin.
    let blob = "x".repeat(200_000);
    let reply = runtime.run(json!({ "blob": blob }));
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json(), json!([200_000 + 11]));
}

#[test]
fn concurrent_runs_each_get_a_process() {
    let runtime = Runtime::start();
    let code = "#!/bin/sh\nsleep 0.5\necho \"{\\\"id\\\":\\\"$__OW_ACTIVATION_ID\\\"}\"\n";
    assert_eq!(runtime.init(code).status, 200);
    let start = Instant::now();
    let port = runtime.port;
    let runs: Vec<_> = (0..4).map(|_| thread::spawn(move || run(port, json!({})))).collect();
    for handle in runs {
        let reply = handle.join().unwrap();
        assert_eq!((reply.status, reply.json()), (200, json!({"id": "a1b2c3"})));
    }
    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_millis(1500), "4 runs of 0.5 s took {elapsed:?}");
    runtime.logs_after(4);
}

#[test]
fn sigterm_lets_the_run_in_flight_finish_then_exits_0() {
    let mut runtime = Runtime::start();
    assert_eq!(runtime.init("#!/bin/sh\nsleep 0.6\necho '{\"done\":true}'\n").status, 200);
    let port = runtime.port;
    let in_flight = thread::spawn(move || run(port, json!({})));
    thread::sleep(Duration::from_millis(200));
    let status = runtime.terminate();
    assert_eq!(status.code(), Some(0));
    let reply = in_flight.join().unwrap();
    assert_eq!((reply.status, reply.json()), (200, json!({"done": true})));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "still accepting after SIGTERM");
}

#[test]
fn sigterm_when_idle_exits_0() {
    let mut runtime = Runtime::start();
    assert_eq!(runtime.terminate().code(), Some(0));
}

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// Prints whether the token reached the action's environment, and whether it can be
/// read from the runtime's (its parent's) `/proc` files.
const ENV_PROBE: &str = r#"#!/bin/sh
if env | grep -q __PROXY_RUNTIME_TOKEN; then leak=true; else leak=false; fi
if grep -q 0123456789abcdef /proc/$PPID/environ /proc/$PPID/cmdline; then proc=true; else proc=false; fi
echo "{\"leak\":$leak,\"proc\":$proc}"
"#;

fn run_body() -> String {
    json!({"value": {"name": "x"}, "activation_id": "a1"}).to_string()
}

#[test]
fn with_a_token_every_request_must_carry_it() {
    let runtime = Runtime::start_with(&[("__PROXY_RUNTIME_TOKEN", TOKEN)]);
    let init = json!({"value": {"name": "a", "main": "main", "code": HELLO}}).to_string();
    let refused = [
        String::new(),
        "Authorization: Bearer wrong\r\n".to_string(),
        format!("Authorization: {TOKEN}\r\n"),
        format!("Authorization: Bearer {TOKEN}x\r\n"),
        "Authorization: Bearer \r\n".to_string(),
    ];
    for extra in &refused {
        for (path, body) in [("/init", &init), ("/run", &run_body())] {
            let reply = request_with(runtime.port, "POST", path, body, extra);
            assert_eq!(reply.status, 403, "{path} with {extra:?}: {reply:?}");
            assert_eq!(reply.json(), json!({"error": "missing or wrong authorization token"}));
        }
    }
    // Refused requests touched nothing: the first init with the token is the one.
    let good = format!("Authorization: Bearer {TOKEN}\r\n");
    assert_eq!(request_with(runtime.port, "POST", "/init", &init, &good).status, 200);
    let reply = request_with(runtime.port, "POST", "/run", &run_body(), &good);
    assert_eq!((reply.status, &reply.json()["greeting"]), (200, &json!("hello x")), "{reply:?}");
    // Nor did they write to the container log: one activation's logs, nothing else.
    let (out, err) = runtime.logs_after(1);
    assert_eq!(out, format!("log line from action\n{SENTINEL}"));
    assert_eq!(err, format!("to stderr\n{SENTINEL}"));
}

#[test]
fn without_a_token_requests_need_none() {
    let runtime = Runtime::start_with(&[("__PROXY_RUNTIME_TOKEN", "")]);
    assert_eq!(runtime.init(HELLO).status, 200);
    let reply = request_with(runtime.port, "POST", "/run", &run_body(), "Authorization: Bearer any\r\n");
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[test]
fn the_action_does_not_see_the_token() {
    let runtime = Runtime::start_with(&[("__PROXY_RUNTIME_TOKEN", TOKEN)]);
    let good = format!("Authorization: Bearer {TOKEN}\r\n");
    let init = json!({"value": {"name": "a", "main": "main", "code": ENV_PROBE}}).to_string();
    assert_eq!(request_with(runtime.port, "POST", "/init", &init, &good).status, 200);
    let reply = request_with(runtime.port, "POST", "/run", &run_body(), &good);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json(), json!({"leak": false, "proc": false}));
}
