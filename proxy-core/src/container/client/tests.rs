//! The client against a scripted action runtime on 127.0.0.1. These are network tests,
//! so they run on real time, with short durations.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::container::backend::{ContainerFacts, HealthError, InitError};
use crate::container::classify;
use crate::container::response::{messages, ActivationResponse};

/// The classification of a plain run, with nothing the engine could add.
fn classify_run(result: RunResult, timeout: Duration) -> Result<(Interval, ActivationResponse), HealthError> {
    classify::classify_run(result, timeout, false).explained(&ContainerFacts::default())
}

/// The classification of a rescheduling run (the first after a resume or a warm pick).
fn classify_rescheduling_run(result: RunResult) -> Result<(Interval, ActivationResponse), HealthError> {
    classify::classify_run(result, TIMEOUT, true).explained(&ContainerFacts::default())
}

fn classify_init(result: RunResult, timeout: Duration) -> Result<Interval, InitError> {
    classify::classify_init(result, timeout, false).explained(&ContainerFacts::default())
}

const TIMEOUT: Duration = Duration::from_millis(500);

/// What the scripted runtime does on one connection.
#[derive(Clone)]
enum Reply {
    /// Reads the request, writes these bytes, closes.
    Raw(Vec<u8>),
    /// Reads the request, waits, then writes these bytes.
    After(Duration, Vec<u8>),
    /// Reads the request and closes without answering.
    Hangup,
    /// Accepts and resets the connection at once, reading nothing.
    Reset,
}

/// A request as the runtime saw it.
#[derive(Debug)]
struct Seen {
    head: String,
    body: Vec<u8>,
}

/// A scripted action runtime: the n-th connection gets the n-th reply (the last one
/// repeats).
struct Runtime {
    addr: SocketAddr,
    accepts: Arc<AtomicUsize>,
    /// Connections whose whole reply was written.
    written: Arc<AtomicUsize>,
    /// Connections the client closed after the reply.
    closed_by_client: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Runtime {
    async fn start(script: Vec<Reply>) -> Runtime {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, script)
    }

    fn serve(listener: TcpListener, script: Vec<Reply>) -> Runtime {
        let runtime = Runtime {
            addr: listener.local_addr().unwrap(),
            accepts: Arc::default(),
            written: Arc::default(),
            closed_by_client: Arc::default(),
            seen: Arc::default(),
        };
        let (accepts, written, closed, seen) = (
            runtime.accepts.clone(),
            runtime.written.clone(),
            runtime.closed_by_client.clone(),
            runtime.seen.clone(),
        );
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let n = accepts.fetch_add(1, Ordering::SeqCst);
                let reply = script[n.min(script.len() - 1)].clone();
                let (written, closed, seen) = (written.clone(), closed.clone(), seen.clone());
                tokio::spawn(async move {
                    handle(stream, reply, &written, &closed, &seen).await;
                });
            }
        });
        runtime
    }

    fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }

    fn client(&self) -> ActionClient {
        ActionClient::new(self.addr)
    }
}

async fn handle(
    mut stream: TcpStream,
    reply: Reply,
    written: &AtomicUsize,
    closed: &AtomicUsize,
    seen: &Mutex<Vec<Seen>>,
) {
    if let Reply::Reset = reply {
        // Linger 0: the close sends a reset, whatever the client wrote meanwhile. (The
        // deprecation is about a linger that blocks on drop; zero never does.)
        #[allow(deprecated)]
        stream.set_linger(Some(Duration::ZERO)).unwrap();
        return;
    }
    let Some(request) = read_request(&mut stream).await else { return };
    seen.lock().unwrap().push(request);
    let bytes = match reply {
        Reply::Hangup | Reply::Reset => return,
        Reply::Raw(bytes) => bytes,
        Reply::After(delay, bytes) => {
            tokio::time::sleep(delay).await;
            bytes
        }
    };
    if stream.write_all(&bytes).await.is_ok() && stream.flush().await.is_ok() {
        written.fetch_add(1, Ordering::SeqCst);
        // A client that keeps no connection closes it once it has the response.
        let mut rest = [0u8; 64];
        if let Ok(0) = stream.read(&mut rest).await {
            closed.fetch_add(1, Ordering::SeqCst);
        }
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buffer[..head_end].to_vec()).ok()?;
    let length: usize = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Some(Seen { head, body: buffer[head_end..].to_vec() })
}

fn http(status: u16, body: &str) -> Reply {
    Reply::Raw(http_bytes(status, body.as_bytes()))
}

fn http_bytes(status: u16, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// An address on which nothing listens (bound, then released).
async fn closed_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap()
}

fn entity(result: &RunResult) -> &ContainerResponse {
    result.response.as_ref().expect("a response")
}

async fn run(client: &ActionClient, limits: ResponseLimits) -> RunResult {
    client.run(json!({"value": {"x": 1}}), TIMEOUT, limits).await
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..100 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("never true: {what}");
}

#[tokio::test]
async fn run_sends_compact_json_on_a_closing_connection() {
    let runtime = Runtime::start(vec![http(200, r#"{"ok":true}"#)]).await;
    let body = json!({"value": {"name": "World"}, "namespace": "guest", "activation_id": "a1"});
    let result = runtime.client().run(body.clone(), TIMEOUT, ResponseLimits::default()).await;
    assert!(result.ok(), "{result:?}");

    let seen = runtime.seen.lock().unwrap();
    let head = seen[0].head.to_ascii_lowercase();
    assert!(head.starts_with("post /run http/1.1\r\n"), "{head}");
    for header in [
        "accept: application/json\r\n",
        "content-type: application/json\r\n",
        "connection: close\r\n",
        &format!("content-length: {}\r\n", seen[0].body.len()),
        &format!("host: {}\r\n", runtime.addr),
    ] {
        assert!(head.contains(header), "missing {header:?} in {head}");
    }
    assert_eq!(seen[0].body, body.to_string().into_bytes());
    assert!(!seen[0].body.contains(&b' '), "compact JSON");
}

#[tokio::test]
async fn init_wraps_the_initializer_in_value() {
    let runtime = Runtime::start(vec![http(200, "OK")]).await;
    let initializer = json!({"name": "hello", "main": "main", "code": "x", "binary": false, "env": {}});
    let result = runtime.client().init(initializer.clone(), TIMEOUT).await;
    assert!(result.ok(), "{result:?}");
    let seen = runtime.seen.lock().unwrap();
    assert!(seen[0].head.starts_with("POST /init HTTP/1.1\r\n"), "{}", seen[0].head);
    assert_eq!(serde_json::from_slice::<Value>(&seen[0].body).unwrap(), json!({ "value": initializer }));
}

#[tokio::test]
async fn each_request_opens_a_new_connection() {
    let runtime = Runtime::start(vec![http(200, "{}")]).await;
    let client = runtime.client();
    assert!(client.init(json!({}), TIMEOUT).await.ok());
    for _ in 0..3 {
        assert!(run(&client, ResponseLimits::default()).await.ok());
    }
    assert_eq!(runtime.accepts(), 4);
    assert_eq!(runtime.seen.lock().unwrap().len(), 4, "one request per connection");
    eventually("the client closed every connection", || runtime.closed_by_client.load(Ordering::SeqCst) == 4)
        .await;
}

#[tokio::test]
async fn a_200_json_answer_is_a_success() {
    let runtime = Runtime::start(vec![http(200, r#"{"greeting": "Hello World"}"#)]).await;
    let result = run(&runtime.client(), ResponseLimits::default()).await;
    assert_eq!(
        entity(&result),
        &ContainerResponse { status: 200, entity: r#"{"greeting": "Hello World"}"#.into(), truncated: None }
    );
    assert!(result.ok());
    let (interval, response) = classify_run(result.clone(), TIMEOUT).unwrap();
    assert_eq!(interval, result.interval);
    assert!(interval.duration() < TIMEOUT);
    assert_eq!(response, ActivationResponse::success(json!({"greeting": "Hello World"})));
}

#[tokio::test]
async fn a_200_error_answer_is_an_application_error() {
    let runtime = Runtime::start(vec![http(200, r#"{"error": "no such user"}"#)]).await;
    let result = run(&runtime.client(), ResponseLimits::default()).await;
    assert!(result.ok(), "200 and whole: ok for the client");
    let (_, response) = classify_run(result, TIMEOUT).unwrap();
    assert_eq!(response, ActivationResponse::application_error("no such user"));
}

#[tokio::test]
async fn a_502_json_answer_is_a_developer_error() {
    let runtime =
        Runtime::start(vec![http(502, r#"{"error": "The action did not return a dictionary."}"#)]).await;
    let result = run(&runtime.client(), ResponseLimits::default()).await;
    assert_eq!(entity(&result).status, 502);
    assert!(!result.ok());
    let (_, response) = classify_run(result, TIMEOUT).unwrap();
    assert_eq!(response, ActivationResponse::developer_error("The action did not return a dictionary."));
}

#[tokio::test]
async fn a_non_json_answer_is_a_developer_error() {
    let runtime = Runtime::start(vec![http(200, "hello, not JSON")]).await;
    let result = run(&runtime.client(), ResponseLimits::default()).await;
    let (_, response) = classify_run(result, TIMEOUT).unwrap();
    assert_eq!(
        response,
        ActivationResponse::developer_error(
            "The action did not produce a valid JSON or JSON Array response: hello, not JSON"
        )
    );
}

#[tokio::test]
async fn a_503_is_a_response_here_and_a_health_error_once_classified() {
    let runtime = Runtime::start(vec![http(503, r#"{"error": "shutting down"}"#)]).await;
    let client = runtime.client();
    let result = client.run(json!({"value": {}}), TIMEOUT, ResponseLimits::default()).await;
    assert!(entity(&result).shutting_down());
    assert_eq!(classify_run(result, TIMEOUT), Err(HealthError::ShuttingDown));

    let result = client.init(json!({}), TIMEOUT).await;
    assert!(entity(&result).shutting_down());
    assert!(matches!(classify_init(result, TIMEOUT), Err(InitError::Health(_))));
}

#[tokio::test]
async fn an_answer_without_content_length_is_no_response() {
    let chunked = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
                    2\r\n{}\r\n0\r\n\r\n";
    let close_delimited = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{}";
    for reply in [chunked.to_vec(), close_delimited.to_vec()] {
        let runtime = Runtime::start(vec![Reply::Raw(reply)]).await;
        let result = run(&runtime.client(), ResponseLimits::default()).await;
        assert_eq!(result.response, Err(ConnectionError::NoResponseReceived));
        let (_, response) = classify_run(result, TIMEOUT).unwrap();
        assert_eq!(response, ActivationResponse::developer_error(messages::ABNORMAL_RUN));
    }
}

#[tokio::test]
async fn an_oversized_answer_is_truncated_and_the_rest_drained() {
    // Far more than the socket buffers hold: the runtime finishes writing only if the
    // client reads everything.
    let length = 8 * 1024 * 1024;
    let runtime = Runtime::start(vec![Reply::Raw(http_bytes(200, &vec![b'a'; length]))]).await;
    let limits = ResponseLimits { max_response: 1024, truncation: 100 };
    let result = run(&runtime.client(), limits).await;
    assert_eq!(
        entity(&result),
        &ContainerResponse { status: 200, entity: "a".repeat(100), truncated: Some((length, 1024)) }
    );
    assert!(!result.ok(), "truncated is not ok");
    eventually("the runtime wrote its whole answer", || runtime.written.load(Ordering::SeqCst) == 1).await;

    let (_, response) = classify_run(result, TIMEOUT).unwrap();
    assert_eq!(
        response,
        ActivationResponse::application_error(format!(
            "The action produced a response that exceeded the allowed length: {length} > 1024 bytes. \
             The truncated response was: {}",
            "a".repeat(100)
        ))
    );
}

#[tokio::test]
async fn an_answer_of_exactly_max_response_is_whole() {
    let body = format!(r#"{{"pad": "{}"}}"#, "x".repeat(100));
    let runtime = Runtime::start(vec![http(200, &body)]).await;
    let limits = ResponseLimits { max_response: body.len(), truncation: 10 };
    let result = run(&runtime.client(), limits).await;
    assert_eq!(entity(&result).entity, body);
    assert!(result.ok());
}

#[tokio::test]
async fn truncation_cuts_at_a_character_boundary() {
    let body = "é".repeat(50); // two bytes each
    let runtime = Runtime::start(vec![http(200, &body)]).await;
    let limits = ResponseLimits { max_response: 10, truncation: 5 };
    let result = run(&runtime.client(), limits).await;
    assert_eq!(entity(&result).entity, "éé");
    assert_eq!(entity(&result).truncated, Some((100, 10)));
}

#[test]
fn partial_characters_are_dropped_from_the_end_only() {
    let emoji = "😀".as_bytes(); // four bytes
    assert_eq!(without_partial_char(b""), b"");
    assert_eq!(without_partial_char(b"abc"), b"abc");
    assert_eq!(without_partial_char(emoji), emoji);
    for cut in 1..4 {
        let mut bytes = b"ab".to_vec();
        bytes.extend_from_slice(&emoji[..cut]);
        assert_eq!(without_partial_char(&bytes), b"ab", "cut after {cut} bytes");
    }
    assert_eq!(without_partial_char("aé".as_bytes()), "aé".as_bytes());
    assert_eq!(without_partial_char(&"aé".as_bytes()[..2]), b"a");
    // Invalid bytes are left for the lossy decoding.
    assert_eq!(without_partial_char(&[0x80, 0x80, 0x80, 0x80, 0x80]), &[0x80; 5]);
}

#[tokio::test]
async fn a_slow_runtime_times_out() {
    let runtime =
        Runtime::start(vec![Reply::After(Duration::from_millis(600), http_bytes(200, b"{}"))]).await;
    let timeout = Duration::from_millis(100);
    let result = runtime.client().run(json!({"value": {}}), timeout, ResponseLimits::default()).await;
    assert_eq!(result.response, Err(ConnectionError::Timeout(timeout)));
    assert!(result.interval.duration() >= timeout, "{:?}", result.interval.duration());
    assert!(result.interval.duration() < Duration::from_millis(600));
    let (_, response) =
        classify::classify_run(result, timeout, true).explained(&ContainerFacts::default()).unwrap();
    assert_eq!(
        response,
        ActivationResponse::developer_error(messages::timed_out(100)),
        "a timeout is never rescheduled"
    );
}

#[tokio::test]
async fn a_runtime_that_stalls_in_the_body_times_out() {
    let stall = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\"".to_vec();
    let runtime = Runtime::start(vec![Reply::Raw(stall)]).await;
    // The runtime keeps the connection open after writing (it waits for the client).
    let timeout = Duration::from_millis(100);
    let result = runtime.client().init(json!({}), timeout).await;
    assert_eq!(result.response, Err(ConnectionError::Timeout(timeout)));
    let error = classify_init(result, timeout).unwrap_err();
    assert!(
        matches!(&error, InitError::Failed { response, .. }
            if *response == ActivationResponse::developer_error(messages::timed_out_during_init(100))),
        "{error:?}"
    );
}

#[tokio::test]
async fn init_retries_until_the_runtime_listens() {
    let addr = closed_port().await;
    let late = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(120)).await;
        Runtime::serve(TcpListener::bind(addr).await.unwrap(), vec![http(200, "OK")])
    });
    let result = ActionClient::new(addr).init(json!({}), Duration::from_secs(2)).await;
    assert!(result.ok(), "{result:?}");
    assert!(result.interval.duration() >= Duration::from_millis(120));
    let runtime = late.await.unwrap();
    assert_eq!(runtime.accepts(), 1, "refused attempts never reach the runtime");
    assert_eq!(classify_init(result.clone(), Duration::from_secs(2)), Ok(result.interval));
}

#[tokio::test]
async fn init_retries_a_runtime_that_hangs_up() {
    let runtime = Runtime::start(vec![Reply::Hangup, Reply::Hangup, http(200, "OK")]).await;
    let result = runtime.client().init(json!({}), TIMEOUT).await;
    assert!(result.ok(), "{result:?}");
    assert_eq!(runtime.accepts(), 3);
}

/// Deviation from upstream's fixed 50 ms: the pauses between /init attempts start at
/// 2 ms and double up to 50 ms, so a runtime that listens a few ms late costs a few
/// ms, not 50. In 300 ms that is 10 attempts (0, 2, 6, 14, 30, 62, 112, 162, ..);
/// a fixed 50 ms pause makes 6.
#[tokio::test]
async fn init_retries_soon_at_first_then_every_50_ms() {
    let runtime = Runtime::start(vec![Reply::Hangup]).await;
    let result = runtime.client().init(json!({}), Duration::from_millis(300)).await;
    assert!(!result.ok());
    assert!(runtime.accepts() > 6, "{} attempts in 300 ms", runtime.accepts());
}

#[tokio::test]
async fn init_without_retry_on_no_response_fails_on_a_hangup() {
    let runtime = Runtime::start(vec![Reply::Hangup, http(200, "OK")]).await;
    let result = runtime.client().retry_on_no_response(false).init(json!({}), TIMEOUT).await;
    assert_eq!(result.response, Err(ConnectionError::NoResponseReceived));
    assert_eq!(runtime.accepts(), 1);
    let error = classify_init(result, TIMEOUT).unwrap_err();
    assert!(
        matches!(&error, InitError::Failed { response, .. }
            if *response == ActivationResponse::developer_error(messages::ABNORMAL_INITIALIZATION)),
        "{error:?}"
    );
}

#[tokio::test]
async fn init_gives_up_when_its_time_is_up() {
    let timeout = Duration::from_millis(150);
    let result = ActionClient::new(closed_port().await).init(json!({}), timeout).await;
    assert!(
        matches!(&result.response, Err(ConnectionError::NeverReached { timeout: t, last })
            if *t == timeout && matches!(**last, ConnectionError::Connect(_))),
        "{result:?}"
    );
    assert!(result.interval.duration() >= timeout);
    // Generous: the last pause is cut short at the deadline, but the machine may be busy.
    assert!(result.interval.duration() < timeout + Duration::from_millis(400));
    let error = classify_init(result, timeout).unwrap_err();
    assert!(
        matches!(&error, InitError::Failed { response, .. }
            if *response == ActivationResponse::developer_error(messages::timed_out_during_init(150))),
        "{error:?}"
    );
}

/// Case (a): nothing listens. The request was never sent: a rescheduling run goes
/// to another container.
#[tokio::test]
async fn a_rescheduling_run_on_a_closed_port_is_a_health_error() {
    let addr = closed_port().await;
    let result = ActionClient::new(addr).run(json!({"value": {}}), TIMEOUT, ResponseLimits::default()).await;
    let error = match &result.response {
        Err(error @ ConnectionError::Connect(cause)) => {
            assert_eq!(cause.io_kind(), Some(std::io::ErrorKind::ConnectionRefused), "the cause is kept");
            error.clone()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(classify_rescheduling_run(result), Err(HealthError::Unreachable(error)));
}

#[tokio::test]
async fn a_plain_run_on_a_closed_port_is_an_abnormal_run() {
    let client = ActionClient::new(closed_port().await);
    let result = run(&client, ResponseLimits::default()).await;
    assert!(matches!(result.response, Err(ConnectionError::Connect(_))), "{result:?}");
    let (_, response) = classify_run(result, TIMEOUT).unwrap();
    assert_eq!(response, ActivationResponse::developer_error(messages::ABNORMAL_RUN));
}

/// Case (b): the runtime's side resets the connection without reading the request.
/// It did not arrive: a rescheduling run goes to another container.
#[tokio::test]
async fn a_reset_before_the_request_was_read_is_not_delivered() {
    let runtime = Runtime::start(vec![Reply::Reset]).await;
    for _ in 0..20 {
        let result = run(&runtime.client(), ResponseLimits::default()).await;
        assert!(matches!(&result.response, Err(ConnectionError::NotDelivered(_))), "{result:?}");
        assert!(matches!(classify_rescheduling_run(result), Err(HealthError::Unreachable(_))));
    }
    assert!(runtime.seen.lock().unwrap().is_empty(), "the runtime never read a request");
}

/// Case (c), defect 6: the runtime read the whole request, then its connection
/// closed without an answer (it died running the action). Rescheduling it would run
/// the action a second time: it is the action's failure, even on a rescheduling run.
#[tokio::test]
async fn a_hangup_after_the_whole_request_was_read_is_an_abnormal_run_even_when_rescheduling() {
    let runtime = Runtime::start(vec![Reply::Hangup]).await;
    let client = runtime.client();
    for _ in 0..20 {
        let result = run(&client, ResponseLimits::default()).await;
        assert_eq!(result.response, Err(ConnectionError::NoResponseReceived));
        let (_, response) = classify_rescheduling_run(result).expect("not a health error");
        assert_eq!(response, ActivationResponse::developer_error(messages::ABNORMAL_RUN));
    }
    assert_eq!(runtime.accepts(), 20, "a run is never retried");
    assert_eq!(runtime.seen.lock().unwrap().len(), 20, "each request was read whole");
}

/// The count of bytes that makes a request "delivered" is what the runtime reads.
#[tokio::test]
async fn the_request_length_is_what_the_runtime_receives() {
    let runtime = Runtime::start(vec![http(200, "{}")]).await;
    let client = runtime.client();
    let bodies =
        [json!({"value": {}}), json!({"value": {"name": "Wörld", "n": [1, 2, 3]}, "namespace": "guest"})];
    for body in &bodies {
        assert!(client.run(body.clone(), TIMEOUT, ResponseLimits::default()).await.ok());
    }
    assert!(client.init(json!({"code": "x".repeat(5000)}), TIMEOUT).await.ok());
    let seen = runtime.seen.lock().unwrap();
    let payloads =
        bodies.iter().map(Value::to_string).chain([json!({"value": {"code": "x".repeat(5000)}}).to_string()]);
    for ((seen, payload), path) in seen.iter().zip(payloads).zip(["/run", "/run", "/init"]) {
        let request = client.request(path, Bytes::from(payload.clone())).unwrap();
        assert_eq!(wire_length(&request, payload.len()), seen.head.len() + seen.body.len(), "{}", seen.head);
    }
}

/// A rescheduling run whose container is paused from outside: the kernel accepts the
/// connection and the request, nobody answers. It timed out, with the request
/// delivered: a timeout, never a health error.
#[tokio::test]
async fn a_frozen_runtime_times_out_with_the_request_delivered() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let timeout = Duration::from_millis(100);
    let result = ActionClient::new(addr).run(json!({"value": {}}), timeout, ResponseLimits::default()).await;
    assert_eq!(result.response, Err(ConnectionError::Timeout(timeout)));
    let verdict = classify::classify_run(result, timeout, true);
    assert_eq!(verdict.symptom, Some(crate::container::backend::Symptom::TimedOut));
    drop(listener);
}
