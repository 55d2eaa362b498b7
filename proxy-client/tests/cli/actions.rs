//! `proxyctl action create|update|get|list|delete`.

use base64::Engine as _;
use proxy_client::cli::Exit;
use proxy_store::doc::ExecDoc;
use serde_json::{json, Value};

use crate::support::{FakeApi, Recorded};

fn put(path: &str, overwrite: bool, body: Value) -> Recorded {
    Recorded { method: "PUT".into(), path: path.into(), query: Some(format!("overwrite={overwrite}")), body }
}

/// A script is sent as upstream's native action (`wsk action create --native`):
/// kind `blackbox`, the code, and the `dockerskeleton` image (D44).
#[tokio::test]
async fn create_sends_a_script_as_the_native_kind() {
    let api = FakeApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hello.sh");
    std::fs::write(&file, "#!/bin/sh\necho '{\"hello\": \"world\"}'\n").unwrap();

    let (result, out) = api.run(&["action", "create", "hello", file.to_str().unwrap()]).await;

    assert_eq!(result.unwrap(), Exit::Success);
    assert_eq!(out, "ok: created action hello\n");
    let expected = json!({"exec": {"kind": "blackbox", "image": "openwhisk/dockerskeleton", "code": "#!/bin/sh\necho '{\"hello\": \"world\"}'\n", "binary": false}});
    assert_eq!(api.take_requests(), [put("/api/v1/namespaces/_/actions/hello", false, expected)]);
}

#[tokio::test]
async fn create_sends_kind_main_limits_and_parameters() {
    let api = FakeApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("main.py");
    std::fs::write(&file, "def handler(args):\n    return args\n").unwrap();

    let args = [
        "action",
        "create",
        "/guest/utils/echo",
        file.to_str().unwrap(),
        "--kind",
        "python:3.11",
        "--main",
        "handler",
        "--memory",
        "512",
        "--timeout",
        "3000",
        "--logsize",
        "5",
        "--concurrency",
        "4",
        "-p",
        "greeting",
        "hi",
        "-p",
        "count",
        "3",
    ];
    let (result, out) = api.run(&args).await;

    assert_eq!(result.unwrap(), Exit::Success);
    assert_eq!(out, "ok: created action /guest/utils/echo\n");
    let expected = json!({
        "exec": {"kind": "python:3.11", "code": "def handler(args):\n    return args\n", "binary": false, "main": "handler"},
        "limits": {"timeout": 3000, "memory": 512, "logs": 5, "concurrency": 4},
        "parameters": [{"key": "greeting", "value": "hi"}, {"key": "count", "value": 3}],
    });
    assert_eq!(api.take_requests(), [put("/api/v1/namespaces/guest/actions/utils/echo", false, expected)]);
}

#[tokio::test]
async fn create_with_docker_makes_a_blackbox_action() {
    let api = FakeApi::start().await;
    let (result, out) = api.run(&["action", "create", "box", "--docker", "me/echo:1", "-m", "128"]).await;
    assert_eq!(result.unwrap(), Exit::Success);
    assert_eq!(out, "ok: created action box\n");
    let expected = json!({"exec": {"kind": "blackbox", "image": "me/echo:1", "binary": false}, "limits": {"memory": 128}});
    assert_eq!(api.take_requests(), [put("/api/v1/namespaces/_/actions/box", false, expected)]);
}

#[tokio::test]
async fn create_sends_a_binary_base64() {
    let api = FakeApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exec");
    let bytes = [0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0xfe, 0xff];
    std::fs::write(&file, bytes).unwrap();

    let (result, _) = api.run(&["action", "create", "bin", file.to_str().unwrap()]).await;

    result.unwrap();
    let requests = api.take_requests();
    let exec = &requests[0].body["exec"];
    assert_eq!((&exec["kind"], &exec["binary"]), (&json!("blackbox"), &json!(true)));
    let code = base64::engine::general_purpose::STANDARD.decode(exec["code"].as_str().unwrap()).unwrap();
    assert_eq!(code, bytes);
}

#[tokio::test]
async fn create_prints_the_servers_json_with_json() {
    let api = FakeApi::start().await;
    let (result, out) = api.run(&["--json", "action", "create", "box", "--docker", "img"]).await;
    result.unwrap();
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (&doc["name"], &doc["version"], &doc["exec"]["image"]),
        (&json!("box"), &json!("0.0.1"), &json!("img"))
    );
    // As the server sent it: compact, on one line.
    assert_eq!(out.lines().count(), 1);
}

#[tokio::test]
async fn update_sends_only_what_changes_with_overwrite() {
    let api = FakeApi::start().await;
    api.add_action("hello", ExecDoc::code("native", "#!/bin/sh\n"));

    let (result, out) = api.run(&["action", "update", "hello", "--memory", "256"]).await;

    assert_eq!(result.unwrap(), Exit::Success);
    assert_eq!(out, "ok: updated action hello\n");
    assert_eq!(
        api.take_requests(),
        [put("/api/v1/namespaces/_/actions/hello", true, json!({"limits": {"memory": 256}}))]
    );
    let (_, out) = api.run(&["--json", "action", "get", "hello"]).await;
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((&doc["limits"]["memory"], &doc["version"]), (&json!(256), &json!("0.0.2")));
}

#[tokio::test]
async fn get_shows_the_action_as_pretty_json_or_as_it_came() {
    let api = FakeApi::start().await;
    api.add_action("hello", ExecDoc::code("native", "echo"));

    let (result, out) = api.run(&["action", "get", "hello"]).await;
    result.unwrap();
    let (head, body) = out.split_once('\n').unwrap();
    assert_eq!(head, "ok: got action hello");
    let doc: Value = serde_json::from_str(body).unwrap();
    assert_eq!(doc["exec"], json!({"kind": "native", "code": "echo", "binary": false}));
    assert!(body.starts_with("{\n  \""), "indented: {body}");

    let (_, json_out) = api.run(&["action", "get", "hello", "--json"]).await;
    assert_eq!(serde_json::from_str::<Value>(&json_out).unwrap(), doc);
    assert_eq!(json_out.lines().count(), 1);

    let requests = api.take_requests();
    assert_eq!(requests.len(), 2);
    assert!(requests
        .iter()
        .all(|r| r.method == "GET" && r.path == "/api/v1/namespaces/_/actions/hello" && r.query.is_none()));
}

#[tokio::test]
async fn list_prints_wsks_table_and_passes_the_page() {
    let api = FakeApi::start().await;
    api.add_action("a", ExecDoc::code("native", "x"));
    api.add_action("b", ExecDoc::blackbox("img"));
    api.add_action("c", ExecDoc::code("python:3.11", "y"));

    let (result, out) = api.run(&["action", "list"]).await;
    result.unwrap();
    let expected = format!(
        "actions\n{:<70} private native\n{:<70} private blackbox\n{:<70} private python:3.11\n",
        "/guest/a", "/guest/b", "/guest/c"
    );
    assert_eq!(out, expected);

    let (_, out) = api.run(&["action", "list", "--limit", "1", "--skip", "1", "--json"]).await;
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "b");

    let queries: Vec<_> = api.take_requests().into_iter().map(|r| (r.method, r.path, r.query)).collect();
    let path = "/api/v1/namespaces/_/actions".to_string();
    assert_eq!(
        queries,
        [("GET".into(), path.clone(), None), ("GET".into(), path, Some("limit=1&skip=1".into()))]
    );
}

#[tokio::test]
async fn delete_removes_the_action() {
    let api = FakeApi::start().await;
    api.add_action("hello", ExecDoc::code("native", "x"));

    let (result, out) = api.run(&["action", "delete", "hello"]).await;
    assert_eq!(result.unwrap(), Exit::Success);
    assert_eq!(out, "ok: deleted action hello\n");
    let request = &api.take_requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("DELETE", "/api/v1/namespaces/_/actions/hello")
    );

    let (result, _) = api.run(&["action", "get", "hello"]).await;
    assert_eq!(result.unwrap_err().status(), Some(404));
}

#[tokio::test]
async fn names_are_percent_encoded() {
    let api = FakeApi::start().await;
    let (result, out) = api.run(&["action", "create", "my action", "--docker", "img"]).await;
    result.unwrap();
    assert_eq!(out, "ok: created action my action\n");
    assert_eq!(api.take_requests()[0].path, "/api/v1/namespaces/_/actions/my%20action");
}
