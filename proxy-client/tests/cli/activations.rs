//! `proxyctl activation list|get|logs|result [--last]`.

use proxy_client::cli::Exit;
use proxy_store::doc::ExecDoc;
use serde_json::{json, Value};

use crate::support::{FakeApi, FIRST_START};

const FIRST: &str = "000000000000000000000000ac710000";
const SECOND: &str = "000000000000000000000000ac710001";
const THIRD: &str = "000000000000000000000000ac710002";

/// Three activations: hello (cold), hello (warm), fails (cold, application error).
async fn api_with_three() -> FakeApi {
    let api = FakeApi::start().await;
    api.add_action("hello", ExecDoc::code("native", "x"));
    api.add_action("fails", ExecDoc::code("python:3.11", "x"));
    for name in ["hello", "hello", "fails"] {
        api.run(&["invoke", name, "-p", "n", "1"]).await.0.unwrap();
    }
    api.take_requests();
    api
}

#[tokio::test]
async fn list_prints_a_table_newest_first() {
    let api = api_with_three().await;

    let (result, out) = api.run(&["activation", "list"]).await;

    assert_eq!(result.unwrap(), Exit::Success);
    let expected = [
        "Datetime            Activation ID                    Kind        Start Duration Status            Entity",
        "2023-11-14 22:13:22 000000000000000000000000ac710002 python:3.11 cold  5ms      application error guest/fails:0.0.1",
        "2023-11-14 22:13:21 000000000000000000000000ac710001 native      warm  5ms      success           guest/hello:0.0.1",
        "2023-11-14 22:13:20 000000000000000000000000ac710000 native      cold  5ms      success           guest/hello:0.0.1",
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    let request = &api.take_requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str(), &request.query),
        ("GET", "/api/v1/namespaces/_/activations", &None)
    );
}

#[tokio::test]
async fn list_passes_every_filter() {
    let api = api_with_three().await;
    let since = (FIRST_START + 1000).to_string();
    let upto = (FIRST_START + 3000).to_string();
    let args = [
        "activation",
        "list",
        "hello",
        "--limit",
        "5",
        "--skip",
        "0",
        "--since",
        &since,
        "--upto",
        &upto,
        "--full",
        "--json",
    ];

    let (result, out) = api.run(&args).await;

    result.unwrap();
    let listed: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["activationId"], SECOND);
    // docs=true: whole documents, with their response.
    assert_eq!(listed[0]["response"]["result"], json!({"n": 1}));
    let query = api.take_requests()[0].query.clone().unwrap();
    assert_eq!(query, format!("limit=5&skip=0&name=hello&since={since}&upto={upto}&docs=true"));
}

#[tokio::test]
async fn get_logs_and_result_by_id() {
    let api = api_with_three().await;

    let (result, out) = api.run(&["activation", "get", FIRST]).await;
    assert_eq!(result.unwrap(), Exit::Success);
    let (head, body) = out.split_once('\n').unwrap();
    assert_eq!(head, format!("ok: got activation {FIRST}"));
    assert_eq!(serde_json::from_str::<Value>(body).unwrap()["name"], "hello");

    let (_, out) = api.run(&["activation", "logs", FIRST]).await;
    assert_eq!(out, "2023-11-14T22:13:20.000Z stdout: invoked hello\n");

    let (_, out) = api.run(&["activation", "result", THIRD]).await;
    assert_eq!(out, "{\n  \"error\": \"boom\"\n}\n");

    let paths: Vec<_> = api.take_requests().into_iter().map(|r| (r.method, r.path)).collect();
    let base = "/api/v1/namespaces/_/activations";
    let expected =
        [format!("{base}/{FIRST}"), format!("{base}/{FIRST}/logs"), format!("{base}/{THIRD}/result")];
    assert_eq!(paths, expected.map(|path| ("GET".to_string(), path)));
}

#[tokio::test]
async fn json_prints_each_answer_as_it_came() {
    let api = api_with_three().await;
    let (_, logs) = api.run(&["activation", "logs", FIRST, "--json"]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&logs).unwrap(),
        json!({"logs": ["2023-11-14T22:13:20.000Z stdout: invoked hello"]})
    );
    let (_, result) = api.run(&["activation", "result", THIRD, "--json"]).await;
    let response: Value = serde_json::from_str(&result).unwrap();
    assert_eq!((&response["status"], &response["success"]), (&json!("application error"), &json!(false)));
    let (_, list) = api.run(&["activation", "list", "--json"]).await;
    let briefs: Vec<Value> = serde_json::from_str(&list).unwrap();
    assert_eq!(briefs.len(), 3);
    assert!(briefs.iter().all(|brief| brief.get("response").is_none()), "the brief form has no response");
}

#[tokio::test]
async fn last_asks_for_the_newest_then_reads_it() {
    let api = api_with_three().await;

    let (result, out) = api.run(&["activation", "result", "--last"]).await;
    assert_eq!(result.unwrap(), Exit::Success);
    assert_eq!(out, "{\n  \"error\": \"boom\"\n}\n");
    let (_, out) = api.run(&["activation", "get", "-l"]).await;
    assert!(out.starts_with(&format!("ok: got activation {THIRD}\n")), "{out}");
    let (_, out) = api.run(&["activation", "logs", "--last"]).await;
    assert_eq!(out, "2023-11-14T22:13:22.000Z stdout: invoked fails\n");

    let requests: Vec<_> = api
        .take_requests()
        .into_iter()
        .map(|r| format!("{}?{}", r.path, r.query.unwrap_or_default()))
        .collect();
    let base = "/api/v1/namespaces/_/activations";
    let expected = [
        format!("{base}?limit=1"),
        format!("{base}/{THIRD}/result?"),
        format!("{base}?limit=1"),
        format!("{base}/{THIRD}?"),
        format!("{base}?limit=1"),
        format!("{base}/{THIRD}/logs?"),
    ];
    assert_eq!(requests, expected);
}

#[tokio::test]
async fn an_empty_list_prints_the_header() {
    let api = FakeApi::start().await;
    api.add_action("hello", ExecDoc::code("native", "x"));
    let (_, out) = api.run(&["activation", "list"]).await;
    assert_eq!(out, "Datetime Activation ID Kind Start Duration Status Entity\n");
}
