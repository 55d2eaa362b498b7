//! The runtime binary end to end: started on a free port with its stdout and stderr
//! captured, driven over HTTP/1.1 with `Connection: close` as the invoker does.

mod common;

use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use common::{request, request_with, run, Runtime, SENTINEL};
use serde_json::json;

/// Logs a line on each stream and greets `name` from `argv[1]`, with the activation id
/// and an init-time variable.
const HELLO: &str = r#"#!/bin/sh
echo "log line from action"
echo "to stderr" >&2
name=$(printf '%s' "$1" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
echo "{\"greeting\":\"hello $name\",\"activation\":\"$__OW_ACTIVATION_ID\",\"prefix\":\"$PREFIX\"}"
"#;

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
