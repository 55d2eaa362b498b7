//! `proxyctl invoke NAME -p k v [--blocking] [--result]`.

use proxy_client::cli::Exit;
use proxy_store::doc::{ExecDoc, KeyValue};
use serde_json::{json, Value};

use crate::support::{FakeApi, Recorded};

const FIRST_ID: &str = "000000000000000000000000ac710000";

fn post(path: &str, query: &str, body: Value) -> Recorded {
    Recorded { method: "POST".into(), path: path.into(), query: Some(query.into()), body }
}

fn api_with_hello(api: &FakeApi) {
    api.add_action("hello", ExecDoc::code("native", "#!/bin/sh\n"));
}

#[tokio::test]
async fn a_plain_invoke_does_not_wait_and_prints_the_id() {
    let api = FakeApi::start().await;
    api_with_hello(&api);

    let (result, out) = api.run(&["invoke", "hello", "-p", "name", "Ada", "-p", "n", "2"]).await;

    assert_eq!(result.unwrap(), Exit::Success);
    assert_eq!(out, format!("ok: invoked /_/hello with id {FIRST_ID}\n"));
    let expected =
        post("/api/v1/namespaces/_/actions/hello", "blocking=false", json!({"name": "Ada", "n": 2}));
    assert_eq!(api.take_requests(), [expected]);

    let (_, out) = api.run(&["invoke", "hello", "--json"]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap(),
        json!({"activationId": "000000000000000000000000ac710001"})
    );
    assert_eq!(api.take_requests()[0].body, json!({}));
}

#[tokio::test]
async fn a_blocking_invoke_prints_the_activation() {
    let api = FakeApi::start().await;
    api_with_hello(&api);

    let (result, out) = api.run(&["invoke", "hello", "--blocking", "-p", "name", "Ada"]).await;

    assert_eq!(result.unwrap(), Exit::Success);
    let (head, body) = out.split_once('\n').unwrap();
    assert_eq!(head, format!("ok: invoked /_/hello with id {FIRST_ID}"));
    let activation: Value = serde_json::from_str(body).unwrap();
    assert_eq!(activation["response"]["result"], json!({"name": "Ada"}));
    assert_eq!(activation["activationId"], FIRST_ID);
    assert_eq!(api.take_requests()[0].query.as_deref(), Some("blocking=true"));
}

#[tokio::test]
async fn result_waits_and_prints_only_the_result() {
    let api = FakeApi::start().await;
    api_with_hello(&api);

    let (result, out) = api.run(&["invoke", "hello", "--result", "-p", "name", "Ada"]).await;
    assert_eq!(result.unwrap(), Exit::Success);
    assert_eq!(out, "{\n  \"name\": \"Ada\"\n}\n");

    let (_, out) = api.run(&["invoke", "hello", "-r", "--json"]).await;
    assert_eq!(out, "{}\n");
    let queries: Vec<_> = api.take_requests().into_iter().map(|r| r.query.unwrap()).collect();
    assert_eq!(queries, ["blocking=true&result=true", "blocking=true&result=true"]);
}

#[tokio::test]
async fn default_parameters_of_the_action_reach_the_result() {
    let api = FakeApi::start().await;
    api.run(&["action", "create", "greet", "--docker", "img", "-p", "greeting", "hi"]).await.0.unwrap();
    let (_, out) = api.run(&["invoke", "greet", "-r", "--json", "-p", "name", "Ada"]).await;
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), json!({"greeting": "hi", "name": "Ada"}));
}

#[tokio::test]
async fn a_failed_activation_is_shown_and_exits_as_failed() {
    let api = FakeApi::start().await;
    api.add_action("fails", ExecDoc::code("native", "exit 1"));

    let (result, out) = api.run(&["invoke", "fails", "--blocking"]).await;
    assert_eq!(result.unwrap(), Exit::ActivationFailed);
    let (head, body) = out.split_once('\n').unwrap();
    assert_eq!(
        head,
        format!("error: the activation {FIRST_ID} of /_/fails did not succeed: application error")
    );
    assert_eq!(serde_json::from_str::<Value>(body).unwrap()["response"]["result"], json!({"error": "boom"}));

    let (result, out) = api.run(&["invoke", "fails", "--result"]).await;
    assert_eq!(result.unwrap(), Exit::ActivationFailed);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), json!({"error": "boom"}));

    let (result, out) = api.run(&["invoke", "fails", "--blocking", "--json"]).await;
    assert_eq!(result.unwrap(), Exit::ActivationFailed);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["response"]["status"], "application error");
}

#[tokio::test]
async fn a_blocking_invoke_that_outlasts_its_wait_prints_the_id() {
    let api = FakeApi::start().await;
    api.add_action("slow", ExecDoc::code("native", "sleep 100"));

    let (result, out) = api.run(&["invoke", "slow", "--blocking"]).await;
    assert_eq!(result.unwrap(), Exit::Success);
    assert_eq!(
        out,
        format!("ok: invoked /_/slow, but the request has not yet finished, with id {FIRST_ID}\n")
    );
}

#[tokio::test]
async fn parameters_are_json_when_they_parse() {
    let api = FakeApi::start().await;
    api_with_hello(&api);
    let args = [
        "invoke",
        "hello",
        "-p",
        "o",
        r#"{"a":[1,2]}"#,
        "-p",
        "t",
        "true",
        "-p",
        "s",
        "\"3\"",
        "-p",
        "w",
        "plain words",
    ];
    api.run(&args).await.0.unwrap();
    assert_eq!(
        api.take_requests()[0].body,
        json!({"o": {"a": [1, 2]}, "t": true, "s": "3", "w": "plain words"})
    );
}

#[tokio::test]
async fn an_action_in_a_package_of_a_namespace() {
    let api = FakeApi::start().await;
    api.add_action("utils/echo", ExecDoc::code("native", "x"));
    let (result, out) = api.run(&["invoke", "/guest/utils/echo"]).await;
    result.unwrap();
    assert_eq!(out, format!("ok: invoked /guest/utils/echo with id {FIRST_ID}\n"));
    assert_eq!(api.take_requests()[0].path, "/api/v1/namespaces/guest/actions/utils/echo");
    // The fake annotates the path as upstream does; the kind is the action's.
    let (_, out) = api.run(&["activation", "get", FIRST_ID, "--json"]).await;
    let activation: proxy_store::doc::ActivationDoc = serde_json::from_str(&out).unwrap();
    assert_eq!(KeyValue::find(&activation.annotations, "kind"), Some(&json!("native")));
}

#[tokio::test]
async fn a_whisk_error_500_with_an_activation_is_a_failed_activation() {
    let api = FakeApi::start().await;
    api.add_action("breaks", ExecDoc::code("native", "x"));
    let (result, out) = api.run(&["invoke", "breaks", "--blocking"]).await;
    assert_eq!(result.unwrap(), Exit::ActivationFailed);
    assert_eq!(
        out.lines().next().unwrap(),
        format!("error: the activation {FIRST_ID} of /_/breaks did not succeed: whisk internal error")
    );
}

#[tokio::test]
async fn a_500_error_message_is_an_error() {
    let api = FakeApi::start().await;
    api.add_action("overloaded", ExecDoc::code("native", "x"));
    let (result, out) = api.run(&["invoke", "overloaded", "--blocking"]).await;
    assert_eq!(
        result.unwrap_err().to_string(),
        "POST /api/v1/namespaces/_/actions/overloaded: the server answered 500: Response Missing Error Message. (code tid0123456789)"
    );
    assert_eq!(out, "");
}
