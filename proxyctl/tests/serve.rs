//! `proxyctl serve` end to end: the real binary on a loopback port 0 with a temporary
//! data directory, driven over HTTP, running real containers on the Docker engine and
//! real runtimes on the process backend. Each scenario is a function of the backend,
//! run once per backend by [`on_both_backends`] (as `docker::<scenario>` and
//! `process::<scenario>`).

#[macro_use]
mod common;

use std::time::Duration;

use common::{script, serial, Backend, Server};
use nix::sys::signal::Signal;
use serde_json::{json, Value};

const ECHO: &str = "#!/bin/sh\necho \"echo on stderr\" >&2\necho \"{\\\"args\\\": $1}\"";

on_both_backends!(
    actions_endpoints_and_their_errors,
    invokes_blocking_and_not_with_logs_and_results,
    concurrent_invokes_all_answer,
    a_restart_keeps_actions_and_activations_and_kill_9_loses_no_answered_one,
    sigterm_drains_finishes_the_running_and_fails_the_waiting,
    kinds_of_a_runtimes_manifest_run_on_their_image,
);

fn actions_endpoints_and_their_errors(backend: Backend) {
    let Some(_serial) = serial(backend) else { return };
    let mut server = Server::new("actions", backend, &[]);
    server.start();
    assert!(server.stdout.iter().any(|l| l.contains("guest key (shown once")), "{:?}", server.stdout);

    let created = server.put_action("hello", script(ECHO));
    assert_eq!((created["name"].as_str(), created["version"].as_str()), (Some("hello"), Some("0.0.1")));
    assert_eq!(created["namespace"], "guest");
    assert_eq!(created["limits"], json!({"timeout": 20000, "memory": 128, "logs": 10, "concurrency": 1}));

    let again = server.call("PUT", "/api/v1/namespaces/_/actions/hello", Some(&script(ECHO)));
    assert_eq!(again.status, 409, "{:?}", again.body);
    assert_eq!(again.body["error"], "resource already exists");
    assert_eq!(again.body["code"].as_str().map(str::len), Some(32));

    // An update keeps what it does not name, and bumps the patch version.
    let update = json!({"limits": {"memory": 256}});
    let updated = server.call("PUT", "/api/v1/namespaces/_/actions/hello?overwrite=true", Some(&update));
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(updated.body["version"], "0.0.2");
    assert_eq!(updated.body["limits"]["memory"], 256);
    assert_eq!(updated.body["limits"]["timeout"], 20000);
    assert_eq!(updated.body["exec"]["code"], ECHO);

    let got = server.call("GET", "/api/v1/namespaces/guest/actions/hello", None);
    assert_eq!((got.status, got.body["version"].as_str()), (200, Some("0.0.2")));

    for name in ["b", "c", "d"] {
        server.put_action(name, script(ECHO));
    }
    let listed = server.call("GET", "/api/v1/namespaces/_/actions", None);
    let names: Vec<&str> =
        listed.body.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["d", "c", "b", "hello"]);
    assert!(listed.body[0]["exec"].get("code").is_none(), "lists carry no code: {}", listed.body[0]);
    let page = server.call("GET", "/api/v1/namespaces/_/actions?limit=2&skip=1", None);
    let names: Vec<&str> =
        page.body.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["c", "b"]);
    assert_eq!(server.call("GET", "/api/v1/namespaces/_/actions?limit=201", None).status, 400);
    assert_eq!(server.call("GET", "/api/v1/namespaces/_/actions?limit=many", None).status, 400);

    let deleted = server.call("DELETE", "/api/v1/namespaces/_/actions/b", None);
    assert_eq!((deleted.status, deleted.body["name"].as_str()), (200, Some("b")));
    let missing = server.call("DELETE", "/api/v1/namespaces/_/actions/b", None);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error"], "The requested resource does not exist.");
    assert_eq!(server.call("GET", "/api/v1/namespaces/_/actions/b", None).status, 404);
    assert_eq!(server.call("POST", "/api/v1/namespaces/_/actions/b?blocking=true", None).status, 404);
    assert_eq!(server.call("GET", "/api/v1/namespaces/_/nothing", None).status, 404);

    // Authentication and namespaces.
    let wrong_key = format!("{}:{}", server.auth.split(':').next().unwrap(), "x".repeat(64));
    for auth in [None, Some("nobody:nothing"), Some(wrong_key.as_str())] {
        let answer = server.call_as(auth, "GET", "/api/v1/namespaces/_/actions", None);
        assert_eq!(answer.status, 401, "{auth:?}: {:?}", answer.body);
        assert_eq!(answer.body["error"], "The supplied authentication is invalid.");
    }
    let other = server.call("GET", "/api/v1/namespaces/someone/actions/hello", None);
    assert_eq!(other.status, 403);
    assert_eq!(other.body["error"], "The supplied authentication is not authorized to access 'someone'.");
    assert_eq!(server.call("PUT", "/api/v1/namespaces/someone/actions/x", Some(&script(ECHO))).status, 403);
    assert_eq!(server.call("POST", "/api/v1/namespaces/someone/actions/hello", None).status, 403);
    assert_eq!(server.call("GET", "/api/v1/namespaces/someone/activations", None).status, 403);

    // Invalid puts.
    let bad = |body: Value| server.call("PUT", "/api/v1/namespaces/_/actions/bad", Some(&body));
    let low_memory = bad(json!({"exec": {"kind": "blackbox", "code": "x"}, "limits": {"memory": 64}}));
    assert_eq!(low_memory.status, 400);
    assert_eq!(
        low_memory.body["error"],
        "The request content was malformed:\nrequirement failed: memory 64 MB below allowed threshold of 128 MB"
    );
    let long = bad(json!({"exec": {"kind": "blackbox", "code": "x"}, "limits": {"timeout": 300_001}}));
    assert_eq!(long.status, 400);
    assert!(long.body["error"]
        .as_str()
        .unwrap()
        .ends_with("duration 300001 milliseconds exceeds allowed threshold of 300000 milliseconds"));
    for body in [
        json!({"exec": {"kind": "blackbox", "code": "x"}, "limits": {"logs": 11}}),
        json!({"exec": {"kind": "blackbox", "code": "x"}, "limits": {"concurrency": 0}}),
        json!({"exec": {"kind": "blackbox", "code": "x"}, "limits": {"concurrency": 501}}),
        json!({"exec": {"kind": "nodejs:20", "code": "x"}}),
        json!({"exec": {"kind": "blackbox", "code": "%%%", "binary": true}}),
        json!({"exec": {"kind": "blackbox"}}),
        json!({"limits": {}}),
        json!({"exec": "not an object"}),
    ] {
        let answer = bad(body.clone());
        assert_eq!(answer.status, 400, "{body}: {:?}", answer.body);
        assert!(answer.body["error"].is_string() && answer.body["code"].is_string());
    }
    let bad_name = server.call("PUT", "/api/v1/namespaces/_/actions/-x", Some(&script(ECHO)));
    assert_eq!(bad_name.status, 400);
    assert_eq!(
        server.call("GET", "/api/v1/namespaces/_/actions/bad", None).status,
        404,
        "nothing was stored"
    );
    assert!(server.containers().is_empty(), "no invoke, no container");
}

fn invokes_blocking_and_not_with_logs_and_results(backend: Backend) {
    let Some(_serial) = serial(backend) else { return };
    let mut server = Server::new("invoke", backend, &[]);
    server.start();
    let mut echo = script(ECHO);
    echo["parameters"] = json!([{"key": "bound", "value": 1}, {"key": "over", "value": "bound"}]);
    server.put_action("echo", echo);

    let blocking = server.call(
        "POST",
        "/api/v1/namespaces/_/actions/echo?blocking=true",
        Some(&json!({"over": "given"})),
    );
    assert_eq!(blocking.status, 200, "{:?}", blocking.body);
    let activation = &blocking.body;
    assert_eq!(activation["response"]["result"], json!({"args": {"bound": 1, "over": "given"}}));
    assert_eq!(
        (activation["response"]["status"].as_str(), activation["response"]["success"].as_bool()),
        (Some("success"), Some(true))
    );
    assert_eq!(activation["name"], "echo");
    let id = activation["activationId"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert!(
        activation["logs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().ends_with("stderr: echo on stderr")),
        "{activation}"
    );

    // Answered, so stored: get, logs, result.
    let got = server.call("GET", &format!("/api/v1/namespaces/_/activations/{id}"), None);
    assert_eq!(got.status, 200);
    assert_eq!(&got.body, activation);
    let logs = server.call("GET", &format!("/api/v1/namespaces/_/activations/{id}/logs"), None);
    assert_eq!(logs.body["logs"], activation["logs"]);
    let result = server.call("GET", &format!("/api/v1/namespaces/_/activations/{id}/result"), None);
    assert_eq!(result.body["result"], activation["response"]["result"]);
    assert_eq!(result.body["status"], "success");
    for tail in ["", "/logs", "/result"] {
        assert_eq!(
            server
                .call("GET", &format!("/api/v1/namespaces/_/activations/{}{tail}", "0".repeat(32)), None)
                .status,
            404
        );
    }

    let only_result = server.call(
        "POST",
        "/api/v1/namespaces/_/actions/echo?blocking=true&result=true",
        Some(&json!({"n": 2})),
    );
    assert_eq!(only_result.status, 200);
    assert_eq!(only_result.body, json!({"args": {"bound": 1, "over": "bound", "n": 2}}));

    let later = server.call("POST", "/api/v1/namespaces/_/actions/echo", Some(&json!({"n": 3})));
    assert_eq!(later.status, 202, "{:?}", later.body);
    let later_id = later.body["activationId"].as_str().unwrap().to_string();
    assert_eq!(later.body.as_object().unwrap().len(), 1);
    let stored = server
        .eventually_ok(&format!("/api/v1/namespaces/_/activations/{later_id}"), Duration::from_secs(20));
    assert_eq!(stored["response"]["result"]["args"]["n"], 3);

    // An application error answers 502 with the activation.
    server.put_action("fails", script("#!/bin/sh\necho '{\"error\": \"no\"}'"));
    let failed = server.call("POST", "/api/v1/namespaces/_/actions/fails?blocking=true", None);
    assert_eq!(failed.status, 502, "{:?}", failed.body);
    assert_eq!(failed.body["response"]["status"], "application error");
    assert_eq!(failed.body["response"]["result"], json!({"error": "no"}));

    // A binary native action, base64.
    let binary = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        common::docker_support::binary_action(),
    );
    server.put_action(
        "bin",
        json!({"exec": {"kind": "blackbox", "code": binary, "binary": true}, "limits": {"memory": 128}}),
    );
    let ran = server.call(
        "POST",
        "/api/v1/namespaces/_/actions/bin?blocking=true&result=true",
        Some(&json!({"x": 1})),
    );
    assert_eq!((ran.status, &ran.body), (200, &json!({"binary": true, "args": {"x": 1}})));

    // A blocking call outlasting its wait: 202 with the id; the activation ends later.
    server.put_action("slow", script("#!/bin/sh\nsleep 2\necho '{\"slept\": true}'"));
    let waited = server.call("POST", "/api/v1/namespaces/_/actions/slow?blocking=true&timeout=500", None);
    assert_eq!(waited.status, 202, "{:?}", waited.body);
    let slow_id = waited.body["activationId"].as_str().unwrap().to_string();
    let slow =
        server.eventually_ok(&format!("/api/v1/namespaces/_/activations/{slow_id}"), Duration::from_secs(20));
    assert_eq!(slow["response"]["result"], json!({"slept": true}));
    assert_eq!(
        server.call("POST", "/api/v1/namespaces/_/actions/slow?blocking=true&timeout=60001", None).status,
        400
    );
    assert_eq!(server.call("POST", "/api/v1/namespaces/_/actions/echo?blocking=maybe", None).status, 400);

    // Lists: brief by default, whole with docs, by name, since/upto, pages.
    let all = server.call("GET", "/api/v1/namespaces/_/activations?limit=200", None).body;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 6, "{all:?}");
    assert!(all[0].get("response").is_none() && all[0]["statusCode"].is_u64());
    let echoes = server.call("GET", "/api/v1/namespaces/_/activations?name=echo&docs=true", None).body;
    let echoes = echoes.as_array().unwrap();
    assert_eq!(echoes.len(), 3);
    assert!(echoes.iter().all(|a| a["name"] == "echo" && a["response"].is_object()));
    let first_start = activation["start"].as_u64().unwrap();
    let upto = server.call("GET", &format!("/api/v1/namespaces/_/activations?upto={first_start}"), None).body;
    assert_eq!(upto.as_array().unwrap().len(), 1, "{upto}");
    let since =
        server.call("GET", &format!("/api/v1/namespaces/_/activations?since={}", first_start + 1), None).body;
    assert_eq!(since.as_array().unwrap().len(), 5);
    let paged = server.call("GET", "/api/v1/namespaces/_/activations?limit=2&skip=1", None).body;
    let ids =
        |list: &Value| list.as_array().unwrap().iter().map(|a| a["activationId"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&Value::Array(all[1..3].to_vec())));
    assert!(!server.containers().is_empty(), "warm containers stay until the drain");
    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));
    assert!(server.containers().is_empty(), "the drain removed every container");
}

fn concurrent_invokes_all_answer(backend: Backend) {
    let Some(_serial) = serial(backend) else { return };
    let mut server = Server::new("concurrent", backend, &["--memory", "1024"]);
    server.start();
    server.put_action("echo", script(ECHO));
    let (port, auth) = (server.port, server.auth.clone());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let auth = auth.clone();
            std::thread::spawn(move || {
                (0..3)
                    .map(|i| {
                        let body = json!({"t": t, "i": i});
                        let answer = common::request(
                            port,
                            Some(&auth),
                            "POST",
                            "/api/v1/namespaces/_/actions/echo?blocking=true",
                            Some(&body),
                        )
                        .unwrap();
                        assert_eq!(answer.status, 200, "{:?}", answer.body);
                        assert_eq!(answer.body["response"]["result"]["args"], body);
                        answer.body["activationId"].as_str().unwrap().to_string()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<String> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 24);
    let listed = server.call("GET", "/api/v1/namespaces/_/activations?limit=200", None).body;
    assert_eq!(listed.as_array().unwrap().len(), 24);
    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));
    assert!(server.containers().is_empty());
}

fn a_restart_keeps_actions_and_activations_and_kill_9_loses_no_answered_one(backend: Backend) {
    let Some(_serial) = serial(backend) else { return };
    let mut server = Server::new("restart", backend, &[]);
    server.start();
    let key = server.auth.clone();
    server.put_action("echo", script(ECHO));
    let first =
        server.call("POST", "/api/v1/namespaces/_/actions/echo?blocking=true", Some(&json!({"n": 0})));
    assert_eq!(first.status, 200);
    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));

    server.start();
    assert_eq!(server.auth, key, "the guest keeps its key");
    assert!(
        server.stdout.iter().all(|l| !l.contains(&key)),
        "the key is printed only once: {:?}",
        server.stdout
    );
    assert_eq!(server.call("GET", "/api/v1/namespaces/_/actions/echo", None).status, 200);
    let id = first.body["activationId"].as_str().unwrap();
    let kept = server.call("GET", &format!("/api/v1/namespaces/_/activations/{id}"), None);
    assert_eq!((kept.status, &kept.body), (200, &first.body));

    // Every answered blocking invoke survives a kill -9 right after its answer.
    let answered: Vec<Value> = (1..=5)
        .map(|n| {
            let answer = server.call(
                "POST",
                "/api/v1/namespaces/_/actions/echo?blocking=true",
                Some(&json!({"n": n})),
            );
            assert_eq!(answer.status, 200);
            answer.body
        })
        .collect();
    let status = server.signal(Signal::SIGKILL);
    assert_eq!(status.code(), None, "killed: {status:?}");
    server.start();
    for activation in &answered {
        let id = activation["activationId"].as_str().unwrap();
        let kept = server.call("GET", &format!("/api/v1/namespaces/_/activations/{id}"), None);
        assert_eq!((kept.status, &kept.body), (200, activation));
    }
    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));
}

fn sigterm_drains_finishes_the_running_and_fails_the_waiting(backend: Backend) {
    let Some(_serial) = serial(backend) else { return };
    // Room for one 256 MB container: one activation runs, the others wait in the pool.
    let mut server = Server::new("drain", backend, &["--memory", "256", "--grace", "5"]);
    server.start();
    let mut slow = script("#!/bin/sh\nsleep 1\necho '{\"done\": true}'");
    slow["limits"]["memory"] = json!(256);
    server.put_action("slow", slow);
    let (port, auth) = (server.port, server.auth.clone());
    let callers: Vec<_> = (0..3)
        .map(|n| {
            let auth = auth.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(100 * n));
                common::request(
                    port,
                    Some(&auth),
                    "POST",
                    "/api/v1/namespaces/_/actions/slow?blocking=true",
                    None,
                )
                .unwrap()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    let mut child = server.child.take().unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // Draining: a new invoke is refused (503), or its connection is, once the listener closed.
    match common::request(port, Some(&auth), "POST", "/api/v1/namespaces/_/actions/slow?blocking=true", None)
    {
        Ok(answer) => assert_eq!(answer.status, 503, "{:?}", answer.body),
        Err(error) => assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused, "{error}"),
    }
    let answers: Vec<_> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let ran: Vec<_> = answers.iter().filter(|a| a.status == 200).collect();
    let failed: Vec<_> = answers.iter().filter(|a| a.status == 500).collect();
    assert_eq!((ran.len(), failed.len()), (1, 2), "{answers:?}");
    assert_eq!(ran[0].body["response"]["result"], json!({"done": true}));
    for answer in &failed {
        assert_eq!(answer.body["response"]["status"], "whisk internal error");
        assert_eq!(
            answer.body["response"]["result"]["error"],
            "the invoker shut down before the activation ran"
        );
    }
    assert!(server.containers().is_empty(), "removed at the drain");

    // The failed ones were stored.
    server.start();
    for answer in &answers {
        let id = answer.body["activationId"].as_str().unwrap();
        let kept = server.call("GET", &format!("/api/v1/namespaces/_/activations/{id}"), None);
        assert_eq!((kept.status, &kept.body), (200, &answer.body));
    }
    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));
}

/// On Docker the manifest's image is the runtime image; the process backend runs
/// every kind on its runtime binary and ignores images, so there the manifest names
/// one that exists nowhere: the kind is accepted and runs all the same.
fn kinds_of_a_runtimes_manifest_run_on_their_image(backend: Backend) {
    let Some(_serial) = serial(backend) else { return };
    let image = match backend {
        Backend::Docker => {
            tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
                let docker = proxy_docker::connect().await.unwrap();
                common::docker_support::runtime_image(&docker).await
            })
        }
        Backend::Process => "proxy-test-no-such-image:never-built".to_string(),
    };
    let (name, tag) = image.split_once(':').unwrap();
    let manifest = tempfile::NamedTempFile::new().unwrap();
    let runtimes = json!({"runtimes": {"shell": [{"kind": "shell:1", "default": true, "image": {"name": name, "tag": tag}}]}});
    std::fs::write(manifest.path(), runtimes.to_string()).unwrap();
    let mut server = Server::new("runtimes", backend, &["--runtimes", manifest.path().to_str().unwrap()]);
    server.start();
    let body = json!({"exec": {"kind": "shell:default", "code": ECHO}, "limits": {"memory": 128}});
    server.put_action("sh", body);
    let ran = server.call(
        "POST",
        "/api/v1/namespaces/_/actions/sh?blocking=true&result=true",
        Some(&json!({"k": 1})),
    );
    assert_eq!((ran.status, &ran.body), (200, &json!({"args": {"k": 1}})));
    let unknown = server.call(
        "PUT",
        "/api/v1/namespaces/_/actions/py",
        Some(&json!({"exec": {"kind": "python:3.11", "code": "x"}})),
    );
    assert_eq!(unknown.status, 400);
    assert!(unknown.body["error"]
        .as_str()
        .unwrap()
        .contains("kind 'python:3.11' not in [blackbox, shell:1, shell:default]"));
    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));
}

/// `serve --adopt` on Docker: a SIGTERM leaves the warm container running, the next
/// `serve --adopt` adopts it, and the next invoke of the same action runs warm in that
/// very container (no `initTime`). An action updated meanwhile does not get the old
/// code's container: its invoke is cold, on the new code. (The process backend's
/// runtimes end with their server: it has no adoption.)
#[test]
fn docker_containers_left_at_a_drain_are_adopted_by_the_next_serve() {
    let Some(_serial) = serial(Backend::Docker) else { return };
    let mut server = Server::new("adopt", Backend::Docker, &["--adopt"]);
    server.start();
    server.put_action("echo", script(ECHO));
    server.put_action("other", script(ECHO));
    let invoke = |server: &Server, name: &str, n: u32| {
        let path = format!("/api/v1/namespaces/_/actions/{name}?blocking=true");
        let answer = server.call("POST", &path, Some(&json!({"n": n})));
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        assert_eq!(answer.body["response"]["result"]["args"], json!({"n": n}));
        answer.body
    };
    let cold = |activation: &Value| {
        activation["annotations"].as_array().unwrap().iter().any(|a| a["key"] == "initTime")
    };
    assert!(cold(&invoke(&server, "echo", 1)));
    assert!(cold(&invoke(&server, "other", 2)));
    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));
    let left = server.containers();
    assert_eq!(left.len(), 2, "both warm containers are left for adoption");

    // `other` changes before its next invoke: its adopted container holds the old code.
    server.start();
    let changed = script(
        r#"#!/bin/sh
echo "{\"args\": $1, \"v\": 2}""#,
    );
    let put = server.call("PUT", "/api/v1/namespaces/_/actions/other?overwrite=true", Some(&changed));
    assert_eq!(put.status, 200, "{:?}", put.body);
    let warm = invoke(&server, "echo", 3);
    assert!(!cold(&warm), "the adopted container runs it warm: {warm}");
    let updated =
        server.call("POST", "/api/v1/namespaces/_/actions/other?blocking=true", Some(&json!({"n": 4})));
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(updated.body["response"]["result"], json!({"args": {"n": 4}, "v": 2}));
    assert!(cold(&updated.body), "the updated action does not run on the old code's container");
    let now = server.containers();
    assert!(
        now.contains(&left[0]) || now.contains(&left[1]),
        "an adopted container is reused: {left:?} {now:?}"
    );

    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));
    // The guard removes what this drain left for adoption.
}

/// With a parameter key (`--param-key-aes256`), a PUT stores its parameters locked:
/// GET shows the ciphertext and its scheme, no file of the data directory holds the
/// plaintext, and the action still gets the plaintext; a parameter the payload
/// overrides arrives as the payload says. A server started without the key fails
/// the activation as a whisk error naming the parameter, never handing the action
/// the ciphertext. Backend-independent, so on the process backend only.
#[test]
fn parameters_are_stored_locked_and_reach_the_action_unlocked() {
    const KEY: &str = "j5rLzhtxwzPyUVUy8/p8XJmBoKeDoSzNJP1SITJEY9E=";
    let Some(_serial) = serial(Backend::Process) else { return };
    let secret = format!("hunter2-{}", std::process::id());
    let mut server = Server::new("params", Backend::Process, &["--param-key-aes256", KEY]);
    server.start();
    // The action answers its arguments in rot13: the result shows what it got, and
    // neither it nor the code (both stored) holds the plaintext.
    let check = "#!/bin/sh\necho \"{\\\"args\\\": $(printf '%s' \"$1\" | tr 'a-z' 'n-za-m')}\"";
    let rot13 = |text: &str| -> String {
        text.chars()
            .map(|c| match c {
                'a'..='z' => (((c as u8 - b'a' + 13) % 26) + b'a') as char,
                c => c,
            })
            .collect()
    };
    let mut action = script(check);
    action["parameters"] = json!([{"key": "password", "value": secret}, {"key": "user", "value": "me"}]);
    server.put_action("check", action);

    let got = server.call("GET", "/api/v1/namespaces/_/actions/check", None).body;
    for parameter in got["parameters"].as_array().unwrap() {
        assert_eq!(parameter["encryption"], "aes-256", "{parameter}");
        let value = parameter["value"].as_str().expect("the ciphertext, base64");
        assert!(!value.contains(&secret) && value != "me", "{parameter}");
    }
    let path = "/api/v1/namespaces/_/actions/check?blocking=true&result=true";
    let answer = server.call("POST", path, Some(&json!({"user": "override"})));
    let unlocked = json!({rot13("password"): rot13(&secret), rot13("user"): rot13("override")});
    assert_eq!((answer.status, &answer.body), (200, &json!({"args": unlocked})));
    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));
    for entry in std::fs::read_dir(server.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            if let Some(at) = bytes.windows(secret.len()).position(|w| w == secret.as_bytes()) {
                let around =
                    String::from_utf8_lossy(&bytes[at.saturating_sub(300)..(at + 100).min(bytes.len())]);
                panic!("plaintext in {path:?}: {around}");
            }
        }
    }

    server.set_extra(&[]);
    server.start();
    let answer = server.call("POST", "/api/v1/namespaces/_/actions/check?blocking=true", None);
    assert_eq!(answer.status, 500, "{:?}", answer.body);
    assert_eq!(answer.body["response"]["status"], "whisk internal error");
    let error = answer.body["response"]["result"]["error"].as_str().unwrap().to_string();
    assert!(error.contains("`password`") && error.contains("no key"), "{error}");
    assert_eq!(server.signal(Signal::SIGTERM).code(), Some(0));

    // A malformed key is refused at start, saying what a key looks like.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_proxyctl"))
        .args(["serve", "--backend", "process", "--addr", "127.0.0.1:0", "--param-key-aes256", "not-a-key"])
        .arg("--data-dir")
        .arg(server.dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("aes256") && stderr.contains("openssl rand -base64 32"), "{stderr}");
}

#[test]
fn without_an_engine_serve_with_backend_docker_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_proxyctl"))
        .args(["serve", "--backend", "docker", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("DOCKER_HOST", format!("unix://{}/no-engine.sock", dir.path().display()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no container backend") && stderr.contains("Start a Docker engine"), "{stderr}");
}

#[test]
fn without_an_engine_auto_falls_back_to_the_process_backend_loudly() {
    let Some(_serial) = serial(Backend::Process) else { return };
    let server = Server::new("auto", Backend::Process, &[]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_proxyctl"))
        .args(["serve", "--backend", "auto", "--addr", "127.0.0.1:0", "--instance", &server.instance])
        .arg("--data-dir")
        .arg(server.dir.path())
        .arg("--runtime-binary")
        .arg(proxy_suite::runtime::native_runtime().unwrap())
        .env("DOCKER_HOST", server.no_engine())
        .env("TMPDIR", server.temp_root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let listening =
        std::io::BufRead::lines(stdout).map(|line| line.unwrap()).find(|line| line.contains("listening on"));
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let listening = listening.expect("serve started");
    assert!(listening.contains("backend process (instance"), "{listening}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no Docker engine") && stderr.contains("using the process backend"), "{stderr}");
}
