//! A test double of the API (not of a backend): a small axum server that answers the
//! routes the client calls with upstream's shapes, status codes and error bodies,
//! from an in-memory set of actions and activations, and records every request it
//! gets. The real server (`proxyctl serve`) is built elsewhere; its end-to-end tests
//! drive this client against it.
//!
//! What it does: basic auth against one key (401 otherwise); namespaces `_` and
//! `guest` (403 otherwise); PUT with `overwrite` (409 for a duplicate without it),
//! GET, list (`limit`, `skip`, no code in the list, as upstream's `ActionMeta`),
//! DELETE (404 when missing); invoke: the result echoes the action's parameters
//! merged with the body's; an action named `fails` ends in an application error
//! (502), `breaks` in a whisk internal error (500 with the activation),
//! `overloaded` in a plain 500 error, and `slow` outlasts a blocking wait (202 with
//! the id); activations
//! with `name`, `since`, `upto`, `limit`, `skip`, `docs`, and their `/logs` and
//! `/result`.

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use proxy_client::cli::{Command, Exit, GlobalOpts};
use proxy_client::config::Sources;
use proxy_client::ClientError;
use proxy_store::doc::{ActionDoc, ActivationDoc, ExecDoc, KeyValue, LimitsDoc, ResponseDoc};
use serde_json::{json, Map, Value};

/// The one key the fake accepts, of the guest's namespace.
pub const GUEST_KEY: &str = "7e57c0de-0000-4000-8000-000000000001:guestkeyguestkeyguestkeyguestkey";
/// The guest's namespace.
pub const GUEST: &str = "guest";
/// The start of the first activation (2023-11-14 22:13:20 UTC); each next one
/// starts a second later and lasts 5 ms.
pub const FIRST_START: u64 = 1_700_000_000_000;

/// One request as the fake got it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// `GET`, `PUT`, ..
    pub method: String,
    /// The path, still percent-encoded.
    pub path: String,
    /// The query, if any.
    pub query: Option<String>,
    /// The body as JSON (`Null` when empty).
    pub body: Value,
}

#[derive(Default)]
struct Data {
    actions: BTreeMap<String, ActionDoc>,
    /// Oldest first.
    activations: Vec<ActivationDoc>,
    requests: Vec<Recorded>,
}

type Shared = Arc<Mutex<Data>>;

/// A running fake API on a loopback port of its own.
pub struct FakeApi {
    /// Where it listens.
    pub addr: SocketAddr,
    data: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeApi {
    /// Starts it on `127.0.0.1:0`.
    pub async fn start() -> FakeApi {
        let data = Shared::default();
        let namespace = "/api/v1/namespaces/{ns}";
        let router = Router::new()
            .route(&format!("{namespace}/actions"), get(list_actions))
            .route(
                &format!("{namespace}/actions/{{*name}}"),
                get(get_action).put(put_action).delete(delete_action).post(invoke),
            )
            .route(&format!("{namespace}/activations"), get(list_activations))
            .route(&format!("{namespace}/activations/{{id}}"), get(get_activation))
            .route(&format!("{namespace}/activations/{{id}}/logs"), get(activation_logs))
            .route(&format!("{namespace}/activations/{{id}}/result"), get(activation_result))
            .layer(middleware::from_fn_with_state(data.clone(), record_and_authenticate))
            .with_state(data.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        FakeApi { addr, data, server }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests so far, and forgets them.
    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.data.lock().unwrap().requests)
    }

    /// Adds `action` as if created through the API.
    pub fn add_action(&self, name: &str, exec: ExecDoc) {
        let doc = ActionDoc { updated: FIRST_START, ..ActionDoc::new(GUEST, name, exec) };
        self.data.lock().unwrap().actions.insert(name.to_string(), doc);
    }

    /// Runs `args` (after the binary's name) as `proxyctl` would, with `--apihost`
    /// and `--auth` of this fake first, and no other configuration source.
    pub async fn run(&self, args: &[&str]) -> (Result<Exit, ClientError>, String) {
        let mut full = vec!["--apihost", self.addr_str(), "--auth", GUEST_KEY];
        full.extend_from_slice(args);
        run_cli(&full, &Sources::default()).await
    }

    fn addr_str(&self) -> &'static str {
        // Leaked once per call: a test makes a few calls, and this keeps `run`'s
        // argument list of `&str`.
        Box::leak(self.url().into_boxed_str())
    }
}

/// The binary's seam, as `proxyctl` declares it: the global options, and the
/// client's subcommands flattened in beside the server's.
#[derive(clap::Parser)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Top,
}

#[derive(clap::Subcommand)]
pub enum Top {
    /// Stands for the server's subcommand.
    Serve,
    #[command(flatten)]
    Client(Command),
}

/// Parses `args` as `proxyctl ARGS` and runs the client command with `sources`,
/// returning its outcome and what it printed.
pub async fn run_cli(args: &[&str], sources: &Sources) -> (Result<Exit, ClientError>, String) {
    use clap::Parser as _;
    let cli = Cli::try_parse_from(std::iter::once("proxyctl").chain(args.iter().copied()))
        .unwrap_or_else(|error| panic!("{args:?} does not parse: {error}"));
    let Top::Client(command) = cli.command else { panic!("not a client command") };
    let mut out = Vec::new();
    let result = proxy_client::cli::run_with(command, &cli.global, sources, &mut out).await;
    (result, String::from_utf8(out).unwrap())
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message, "code": "tid0123456789"}))).into_response()
}

async fn record_and_authenticate(State(data): State<Shared>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.unwrap();
    let body_json =
        if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    data.lock().unwrap().requests.push(Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        body: body_json,
    });
    if !authorized(&parts.headers) {
        return error(StatusCode::UNAUTHORIZED, "The supplied authentication is invalid");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn authorized(headers: &HeaderMap) -> bool {
    let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(GUEST_KEY));
    headers.get("authorization").and_then(|value| value.to_str().ok()) == Some(expected.as_str())
}

/// 403 unless `ns` is the guest's.
fn forbid_other(ns: &str) -> Option<Response> {
    (ns != "_" && ns != GUEST).then(|| {
        error(
            StatusCode::FORBIDDEN,
            &format!("The supplied authentication is not authorized to access '{ns}'."),
        )
    })
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "The requested resource does not exist.")
}

fn number(query: &HashMap<String, String>, key: &str) -> Option<u64> {
    query.get(key).and_then(|value| value.parse().ok())
}

async fn list_actions(
    State(data): State<Shared>,
    Path(ns): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(denied) = forbid_other(&ns) {
        return denied;
    }
    let data = data.lock().unwrap();
    let skip = number(&query, "skip").unwrap_or(0) as usize;
    let limit = number(&query, "limit").unwrap_or(30) as usize;
    let listed: Vec<ActionDoc> = data
        .actions
        .values()
        .skip(skip)
        .take(limit)
        .map(|action| {
            let mut meta = action.clone();
            meta.exec.code = None;
            meta
        })
        .collect();
    Json(listed).into_response()
}

async fn get_action(State(data): State<Shared>, Path((ns, name)): Path<(String, String)>) -> Response {
    if let Some(denied) = forbid_other(&ns) {
        return denied;
    }
    match data.lock().unwrap().actions.get(&name) {
        Some(action) => Json(action.clone()).into_response(),
        None => not_found(),
    }
}

async fn delete_action(State(data): State<Shared>, Path((ns, name)): Path<(String, String)>) -> Response {
    if let Some(denied) = forbid_other(&ns) {
        return denied;
    }
    match data.lock().unwrap().actions.remove(&name) {
        Some(action) => Json(action).into_response(),
        None => not_found(),
    }
}

async fn put_action(
    State(data): State<Shared>,
    Path((ns, name)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    if let Some(denied) = forbid_other(&ns) {
        return denied;
    }
    let Ok(put) = serde_json::from_str::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "The request content was malformed");
    };
    let overwrite = query.get("overwrite").map(String::as_str) == Some("true");
    let mut data = data.lock().unwrap();
    let existing = data.actions.get(&name).cloned();
    let mut action = match (existing, overwrite) {
        (Some(_), false) => return error(StatusCode::CONFLICT, "resource already exists"),
        (Some(mut old), true) => {
            old.version = proxy_store::doc::bump_patch(&old.version).unwrap();
            old
        }
        (None, _) => {
            let Some(exec) = put.get("exec") else {
                return error(StatusCode::BAD_REQUEST, "exec undefined");
            };
            ActionDoc::new(GUEST, name.clone(), serde_json::from_value(exec.clone()).unwrap())
        }
    };
    if let Some(exec) = put.get("exec") {
        action.exec = serde_json::from_value(exec.clone()).unwrap();
    }
    if let Some(limits) = put.get("limits") {
        let mut merged = serde_json::to_value(action.limits).unwrap();
        for (key, value) in limits.as_object().unwrap() {
            merged[key] = value.clone();
        }
        action.limits = serde_json::from_value::<LimitsDoc>(merged).unwrap();
    }
    if let Some(parameters) = put.get("parameters") {
        action.parameters = serde_json::from_value(parameters.clone()).unwrap();
    }
    action.updated = FIRST_START;
    data.actions.insert(name, action.clone());
    Json(action).into_response()
}

async fn invoke(
    State(data): State<Shared>,
    Path((ns, name)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    Json(params): Json<Map<String, Value>>,
) -> Response {
    if let Some(denied) = forbid_other(&ns) {
        return denied;
    }
    let mut data = data.lock().unwrap();
    let Some(action) = data.actions.get(&name).cloned() else {
        return not_found();
    };
    let mut merged: Map<String, Value> =
        action.parameters.iter().map(|pair| (pair.key.clone(), pair.value.clone())).collect();
    merged.extend(params);
    if name == "overloaded" {
        // A server error that is not an activation: upstream's `ErrorMessage`.
        return error(StatusCode::INTERNAL_SERVER_ERROR, "Response Missing Error Message.");
    }
    let failure = |status: &str, status_code, error| ResponseDoc {
        status: status.into(),
        status_code,
        success: false,
        result: json!({"error": error}),
        size: None,
    };
    let response = match name.as_str() {
        "fails" => failure("application error", 1, "boom"),
        "breaks" => failure("whisk internal error", 3, "The action failed to generate or locate a binary."),
        _ => ResponseDoc::success(Value::Object(merged)),
    };
    let n = data.activations.len() as u64;
    let start = FIRST_START + n * 1000;
    let id = format!("{:032x}", 0xac71_0000 + n);
    let mut activation = ActivationDoc::new(GUEST, id.clone(), name.clone(), start, start + 5, response);
    activation.logs = vec![format!("2023-11-14T22:13:2{n}.000Z stdout: invoked {name}")];
    activation.annotations = vec![
        KeyValue { key: "path".into(), value: json!(format!("{GUEST}/{name}")) },
        KeyValue { key: "kind".into(), value: json!(action.exec.kind) },
    ];
    // The first activation of an action is cold: upstream annotates it with initTime.
    if !data.activations.iter().any(|a| a.name == name) {
        activation.annotations.push(KeyValue { key: "initTime".into(), value: json!(3) });
    }
    data.activations.push(activation.clone());
    let blocking = query.get("blocking").map(String::as_str) == Some("true");
    let result_only = query.get("result").map(String::as_str) == Some("true");
    if !blocking || name == "slow" {
        return (StatusCode::ACCEPTED, Json(json!({"activationId": id}))).into_response();
    }
    let status = match activation.response.status_code {
        0 => StatusCode::OK,
        3 => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_GATEWAY,
    };
    if result_only {
        (status, Json(activation.response.result)).into_response()
    } else {
        (status, Json(activation)).into_response()
    }
}

async fn list_activations(
    State(data): State<Shared>,
    Path(ns): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(denied) = forbid_other(&ns) {
        return denied;
    }
    let data = data.lock().unwrap();
    let docs = query.get("docs").map(String::as_str) == Some("true");
    let matching = data
        .activations
        .iter()
        .rev()
        .filter(|a| query.get("name").is_none_or(|name| &a.entity_path() == name))
        .filter(|a| number(&query, "since").is_none_or(|since| a.start >= since))
        .filter(|a| number(&query, "upto").is_none_or(|upto| a.start < upto))
        .skip(number(&query, "skip").unwrap_or(0) as usize)
        .take(number(&query, "limit").unwrap_or(30) as usize);
    let listed: Vec<Value> =
        matching
            .map(|a| {
                if docs {
                    serde_json::to_value(a).unwrap()
                } else {
                    serde_json::to_value(a.brief()).unwrap()
                }
            })
            .collect();
    Json(listed).into_response()
}

/// `answer` of the activation `id`, or 403/404.
fn with_activation(
    data: &Shared,
    ns: &str,
    id: &str,
    answer: impl FnOnce(ActivationDoc) -> Response,
) -> Response {
    if let Some(denied) = forbid_other(ns) {
        return denied;
    }
    let found = data.lock().unwrap().activations.iter().find(|a| a.activation_id == id).cloned();
    found.map(answer).unwrap_or_else(not_found)
}

async fn get_activation(State(data): State<Shared>, Path((ns, id)): Path<(String, String)>) -> Response {
    with_activation(&data, &ns, &id, |a| Json(a).into_response())
}

async fn activation_logs(State(data): State<Shared>, Path((ns, id)): Path<(String, String)>) -> Response {
    with_activation(&data, &ns, &id, |a| Json(json!({"logs": a.logs})).into_response())
}

async fn activation_result(State(data): State<Shared>, Path((ns, id)): Path<(String, String)>) -> Response {
    with_activation(&data, &ns, &id, |a| Json(a.response).into_response())
}
