//! The actionloop mode end to end: the runtime binary with a real loop action (a
//! `#!/bin/sh` script reading its stdin line by line and answering on fd 3, as the
//! shell actions of upstream's actionloop image do).

mod common;

use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use common::{run, Reply, Runtime, SENTINEL};
use serde_json::{json, Value};

/// Acknowledges its start as upstream's protocol asks, then answers every line with
/// its pid and a count; `name` picks a misbehaviour.
const LOOP: &str = r#"#!/bin/sh
[ -n "$__OW_WAIT_FOR_ACK" ] && echo '{"ok":true}' >&3
n=0
while read -r line; do
  n=$((n+1))
  echo "log $n"
  echo "err $n" >&2
  name=$(printf '%s' "$line" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
  case "$name" in
    die) echo "dying" >&2; exit 3 ;;
    garbage) echo "not json" >&3; continue ;;
    close) exec 3>&-; continue ;;
    bye) echo "{\"bye\":$n}" >&3; exit 0 ;;
    slow) sleep 0.3 ;;
  esac
  echo "{\"pid\":$$,\"n\":$n,\"name\":\"$name\",\"prefix\":\"$PREFIX\",\"ack\":\"$__OW_WAIT_FOR_ACK\"}" >&3
done
"#;

fn pid_of(reply: &Reply) -> u64 {
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()["pid"].as_u64().unwrap_or_else(|| panic!("no pid: {reply:?}"))
}

fn alive(pid: u64) -> bool {
    Command::new("kill").args(["-0", &pid.to_string()]).status().unwrap().success()
}

#[test]
fn one_process_answers_many_activations_with_logs_and_sentinels_each() {
    let runtime = Runtime::start();
    let init = runtime.init_with(LOOP, json!({"PROXY_RUNTIME_ACTIONLOOP": "true", "PREFIX": "p1"}));
    assert_eq!((init.status, init.json()), (200, json!({"ok": true})));

    let first = runtime.run(json!({"name": "a0"}));
    let pid = pid_of(&first);
    assert_eq!(first.json(), json!({"pid": pid, "n": 1, "name": "a0", "prefix": "p1", "ack": "1"}));
    assert_eq!(first.header("content-length"), Some(first.body.len().to_string().as_str()));
    for n in 2..=30 {
        let reply = runtime.run(json!({ "name": format!("a{n}") }));
        assert_eq!(pid_of(&reply), pid, "activation {n} ran in another process");
        assert_eq!(reply.json()["n"], n);
        assert_eq!(reply.json()["name"], format!("a{n}"));
    }

    // Each activation's lines, then its sentinels: nothing else, nothing torn.
    let (out, err) = runtime.logs_after(30);
    let expected = |stream: &str| (1..=30).map(|n| format!("{stream} {n}\n{SENTINEL}")).collect::<String>();
    assert_eq!(out, expected("log"));
    assert_eq!(err, expected("err"));
}

#[test]
fn the_line_is_the_run_body_without_its_line_breaks() {
    // Answers the line it read, inside an object: the line must be one JSON object.
    // (printf, not echo: dash's echo would expand the `\n` of the JSON.)
    let echo = "#!/bin/sh\necho '{\"ok\": true}' >&3\nwhile read -r line; do printf '{\"line\":%s}\\n' \"$line\" >&3; done\n";
    let runtime = Runtime::start();
    assert_eq!(runtime.init_loop(echo).status, 200);
    // Pretty-printed, as a client may send it: line breaks between the tokens.
    let body = "{\n  \"value\": {\"text\": \"two\\nlines\", \"n\": 1.50},\r\n  \"namespace\": \"guest\",\n  \
                \"action_name\": \"/guest/echo\", \"activation_id\": \"a1b2\",\n  \
                \"deadline\": \"1700000000000\", \"api_key\": \"uuid:key\"\n}\n";
    let reply = runtime.post("/run", body);
    assert_eq!(reply.status, 200, "{reply:?}");
    let sent: Value = serde_json::from_str(body).unwrap();
    assert_eq!(reply.json(), json!({ "line": sent }));
    assert_eq!(sent["value"]["text"], "two\nlines");
    // The body's own text reaches the action, and the action's the caller: `1.50`
    // stays `1.50`.
    assert!(reply.body.contains("1.50"), "{}", reply.body);
}

#[test]
fn the_container_environment_sets_the_default_and_init_env_overrides_it() {
    let runtime = Runtime::start_with(&[("PROXY_RUNTIME_ACTIONLOOP", "1")]);
    assert_eq!(runtime.init(LOOP).status, 200);
    let pid = pid_of(&runtime.run(json!({"name": "x"})));
    assert_eq!(pid_of(&runtime.run(json!({"name": "y"}))), pid);

    // Per activation: a process each, the parameters in argv[1].
    let per_run = "#!/bin/sh\necho \"{\\\"pid\\\":$$,\\\"args\\\":$1}\"\n";
    let runtime = Runtime::start_with(&[("PROXY_RUNTIME_ACTIONLOOP", "1")]);
    assert_eq!(runtime.init_with(per_run, json!({"PROXY_RUNTIME_ACTIONLOOP": "0"})).status, 200);
    let first = runtime.run(json!({"a": 1}));
    assert_eq!(first.json()["args"], json!({"a": 1}));
    assert_ne!(pid_of(&first), pid_of(&runtime.run(json!({"a": 2}))));
}

#[test]
fn an_action_that_dies_mid_activation_is_a_400_then_every_run_a_500() {
    let runtime = Runtime::start();
    assert_eq!(runtime.init_loop(LOOP).status, 200);
    let pid = pid_of(&runtime.run(json!({"name": "ok"})));
    let died = runtime.run(json!({"name": "die"}));
    assert_eq!((died.status, died.json()), (400, json!({"error": "command exited"})));
    for _ in 0..3 {
        let after = runtime.run(json!({"name": "ok"}));
        assert_eq!((after.status, after.json()), (500, json!({"error": "command exited"})));
    }
    let (_, err) = runtime.logs_after(5);
    assert!(err.starts_with(&format!("err 1\n{SENTINEL}err 2\ndying\n{SENTINEL}")), "{err:?}");
    assert!(!alive(pid), "the action process {pid} is still there");
}

#[test]
fn an_action_that_closes_fd_3_is_killed_and_gone() {
    let runtime = Runtime::start();
    assert_eq!(runtime.init_loop(LOOP).status, 200);
    let pid = pid_of(&runtime.run(json!({"name": "ok"})));
    let closed = runtime.run(json!({"name": "close"}));
    assert_eq!((closed.status, closed.json()), (400, json!({"error": "command exited"})));
    // It was still reading its stdin: the runtime killed it.
    let start = Instant::now();
    while alive(pid) {
        assert!(start.elapsed() < Duration::from_secs(3), "the action process {pid} is still there");
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(runtime.run(json!({"name": "ok"})).status, 500);
}

#[test]
fn garbage_on_fd_3_is_a_502_and_the_process_goes_on() {
    let runtime = Runtime::start();
    assert_eq!(runtime.init_loop(LOOP).status, 200);
    let pid = pid_of(&runtime.run(json!({"name": "ok"})));
    let garbage = runtime.run(json!({"name": "garbage"}));
    assert_eq!(garbage.status, 502, "{garbage:?}");
    assert_eq!(garbage.json(), json!({"error": "The action did not return a dictionary or array."}));
    let next = runtime.run(json!({"name": "ok"}));
    assert_eq!((pid_of(&next), &next.json()["n"]), (pid, &json!(3)));
    runtime.logs_after(3);
}

#[test]
fn an_exit_between_activations_is_found_at_the_next() {
    let runtime = Runtime::start();
    assert_eq!(runtime.init_loop(LOOP).status, 200);
    // The answer written just before the exit still counts.
    let bye = runtime.run(json!({"name": "bye"}));
    assert_eq!((bye.status, bye.json()), (200, json!({"bye": 1})));
    thread::sleep(Duration::from_millis(200));
    let next = runtime.run(json!({"name": "ok"}));
    assert_eq!((next.status, next.json()), (500, json!({"error": "command exited"})));
}

#[test]
fn actions_not_speaking_the_protocol_fail_the_init_clearly() {
    let runtime = Runtime::start();
    // A process-per-activation action: it answers on stdout and exits.
    let per_run = "#!/bin/sh\necho 'started without arguments'\necho '{\"done\":true}'\n";
    let exited = runtime.init_loop(per_run);
    assert_eq!(exited.status, 502, "{exited:?}");
    assert_eq!(
        exited.json(),
        json!({"error": "cannot start action: Command exited abruptly during initialization."})
    );
    // A line that is no acknowledgement.
    let no_ack = "#!/bin/sh\necho ready >&3\nwhile read -r line; do echo '{}' >&3; done\n";
    let bad = runtime.init_loop(no_ack);
    assert_eq!(bad.status, 502, "{bad:?}");
    assert_eq!(bad.json(), json!({"error": "cannot start action: The action did not initialize properly."}));
    let refused = "#!/bin/sh\necho '{\"ok\": false}' >&3\nsleep 10\n";
    assert_eq!(runtime.init_loop(refused).json(), bad.json());
    // A mode that is neither on nor off.
    let mode = runtime.init_with(LOOP, json!({"PROXY_RUNTIME_ACTIONLOOP": "yes please"}));
    assert_eq!(mode.status, 400, "{mode:?}");
    assert!(mode.json()["error"].as_str().unwrap().starts_with("invalid PROXY_RUNTIME_ACTIONLOOP"));

    // Every failed init logged its error and the sentinels, and left the runtime
    // uninitialized: the same action in its own mode is welcome.
    let (out, err) = runtime.logs_after(4);
    assert!(out.starts_with("started without arguments\n"), "{out:?}");
    assert!(err.contains("Command exited abruptly during initialization.\n"), "{err:?}");
    assert_eq!(runtime.init(per_run).status, 200);
    assert_eq!(runtime.run(json!({})).json(), json!({"done": true}));
}

#[test]
fn one_activation_at_a_time_per_process() {
    let runtime = Runtime::start();
    assert_eq!(runtime.init_loop(LOOP).status, 200);
    let port = runtime.port;
    let start = Instant::now();
    let runs: Vec<_> = (0..3).map(|_| thread::spawn(move || run(port, json!({"name": "slow"})))).collect();
    let mut counts: Vec<Value> = runs.into_iter().map(|h| h.join().unwrap().json()["n"].clone()).collect();
    counts.sort_by_key(|n| n.as_u64());
    assert_eq!(counts, [json!(1), json!(2), json!(3)]);
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "3 runs of 0.3 s overlapped: {elapsed:?}");
    // Each activation's lines before its own sentinel, not interleaved.
    let (out, _) = runtime.logs_after(3);
    assert_eq!(out, format!("log 1\n{SENTINEL}log 2\n{SENTINEL}log 3\n{SENTINEL}"));
}

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn the_loop_action_does_not_see_the_token_and_stops_with_the_runtime() {
    let probe = r#"#!/bin/sh
echo '{"ok":true}' >&3
while read -r line; do
  if env | grep -q __PROXY_RUNTIME_TOKEN; then leak=true; else leak=false; fi
  if grep -q 0123456789abcdef /proc/$PPID/environ /proc/$PPID/cmdline; then proc=true; else proc=false; fi
  echo "{\"leak\":$leak,\"proc\":$proc,\"pid\":$$}" >&3
done
"#;
    let mut runtime = Runtime::start_with(&[("__PROXY_RUNTIME_TOKEN", TOKEN)]);
    let good = format!("Authorization: Bearer {TOKEN}\r\n");
    let init = json!({"value": {"code": probe, "env": {"PROXY_RUNTIME_ACTIONLOOP": "1"}}}).to_string();
    assert_eq!(common::request_with(runtime.port, "POST", "/init", &init, "").status, 403);
    assert_eq!(common::request_with(runtime.port, "POST", "/init", &init, &good).status, 200);
    let body = json!({"value": {}, "activation_id": "a1"}).to_string();
    let reply = common::request_with(runtime.port, "POST", "/run", &body, &good);
    assert_eq!(
        (reply.status, &reply.json()["leak"], &reply.json()["proc"]),
        (200, &json!(false), &json!(false))
    );
    let pid = reply.json()["pid"].as_u64().unwrap();

    assert_eq!(runtime.terminate().code(), Some(0));
    let start = Instant::now();
    while alive(pid) {
        assert!(start.elapsed() < Duration::from_secs(3), "the action process {pid} outlived the runtime");
        thread::sleep(Duration::from_millis(10));
    }
}
