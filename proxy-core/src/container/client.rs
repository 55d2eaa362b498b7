//! The HTTP client for the action runtime's `POST /init` and `POST /run` (upstream's
//! `ApacheBlockingContainerClient`, the default client).
//!
//! Every request opens a new TCP connection and asks the runtime to close it
//! (`Connection: close`): a pause freezes the container under an open socket, and a
//! connection kept across a pause and resume breaks silently (upstream PRs #3836,
//! #3976, #4185). Nothing is therefore held between calls, and `suspend`/`resume` have
//! no client state to drop or rebuild.
//!
//! The whole exchange (connect, request, response head and body) is bounded by the
//! action's timeout. The answer is not classified here: a 503 or an `{"error": ..}` is
//! a normal [`ContainerResponse`]; [`classify`](super::classify) decides who is to blame.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::header::{
    ACCEPT, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, TRANSFER_ENCODING,
};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::time::{sleep_until, timeout_at, Instant};

use super::backend::{HealthError, ResponseLimits};
use super::response::Interval;

/// The pause between two connection attempts of `/init` (upstream's 50 ms).
const RETRY_PAUSE: Duration = Duration::from_millis(50);

/// Why no usable HTTP response came back (upstream's `ContainerConnectionError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The TCP connection could not be made (refused, no route, reset while connecting).
    #[error("cannot connect to the action runtime: {0}")]
    Connect(String),
    /// The runtime closed or reset the connection before any response, or answered
    /// without a `Content-Length` (it must send one).
    #[error("the action runtime sent no usable response")]
    NoResponseReceived,
    /// The exchange did not complete within the timeout (for `/init`, retries
    /// included). Upstream reports a stalled read as a plain connection error; both
    /// are classified the same way, since the elapsed time then reaches the timeout.
    #[error("the action runtime did not answer within {0:?}")]
    Timeout(Duration),
    /// The action ran out of memory. The client never reports this itself: a backend
    /// that learns the container was OOM-killed turns a connection error into it.
    #[error("the action exhausted its memory")]
    MemoryExhausted,
    /// Anything else: a reset in the middle of the body, a malformed response.
    #[error("the connection to the action runtime failed: {0}")]
    Other(String),
}

/// What the runtime answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The body, decoded as UTF-8 (invalid sequences replaced); only the kept prefix
    /// when truncated.
    pub entity: String,
    /// `Some((actual length, max_response))` when the body was longer than allowed
    /// and only a prefix was kept.
    pub truncated: Option<(usize, usize)>,
}

impl ContainerResponse {
    /// The status of a successful call.
    pub const OK_STATUS: u16 = 200;
    /// The status of a runtime that is shutting down: the job goes elsewhere.
    pub const SHUTTING_DOWN: u16 = 503;

    /// Status 200 (whether or not truncated).
    pub fn ok_status(&self) -> bool {
        self.status == Self::OK_STATUS
    }

    /// Status 503.
    pub fn shutting_down(&self) -> bool {
        self.status == Self::SHUTTING_DOWN
    }
}

/// One call's outcome and how long it took (upstream's `RunResult`).
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// From just before the first connection attempt to the end of the body.
    pub interval: Interval,
    /// The response, or why there is none.
    pub response: Result<ContainerResponse, ConnectionError>,
}

impl RunResult {
    /// A complete 200 response.
    pub fn ok(&self) -> bool {
        matches!(&self.response, Ok(r) if r.ok_status() && r.truncated.is_none())
    }

    fn since(start: Instant, response: Result<ContainerResponse, ConnectionError>) -> Self {
        RunResult { interval: Interval { start, end: Instant::now() }, response }
    }
}

/// The client of one container's action runtime. It holds no connection: it is cheap
/// to clone, and `run` may be called concurrently.
///
/// ```no_run
/// # async fn demo() {
/// use std::time::Duration;
/// use proxy_core::container::backend::ResponseLimits;
/// use proxy_core::container::client::ActionClient;
/// use serde_json::json;
///
/// let client = ActionClient::new("172.17.0.5:8080".parse().unwrap());
/// let init = client.init(json!({"name": "hello", "main": "main", "code": "..."}), Duration::from_secs(60)).await;
/// assert!(init.ok());
/// let run = client
///     .run(json!({"value": {"name": "World"}}), Duration::from_secs(60), ResponseLimits::default(), false)
///     .await
///     .expect("no reschedule asked, so no health error");
/// println!("{:?} in {:?}", run.response, run.interval.duration());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ActionClient {
    addr: SocketAddr,
    retry_on_no_response: bool,
    /// Sent as `Authorization: Bearer <token>` on every request, when set.
    token: Option<String>,
}

impl ActionClient {
    /// A client of the runtime listening at `addr`.
    ///
    /// A connection closed before any response counts as "runtime unreachable" (init
    /// retries, a rescheduling run raises a health error), as upstream with
    /// `whisk.apache-client.retry-no-http-response-exception` on: a port published
    /// through a proxy accepts connections before the runtime listens, then drops them.
    pub fn new(addr: SocketAddr) -> Self {
        ActionClient { addr, retry_on_no_response: true, token: None }
    }

    /// Whether a connection closed before any response counts as "runtime
    /// unreachable" (`true`, the default) or as a plain
    /// [`ConnectionError::NoResponseReceived`] (`false`, upstream's default). With
    /// `true`, an init that kills the runtime is retried until its timeout.
    pub fn retry_on_no_response(mut self, retry: bool) -> Self {
        self.retry_on_no_response = retry;
        self
    }

    /// Sends `Authorization: Bearer <token>` on `/init` and `/run`: the runtime of a
    /// container created with a token answers 403 to requests without it, so that no
    /// other container can drive it. Upstream's runtimes take anyone.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The runtime's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `POST /init` with `{"value": initializer}`. While the runtime is unreachable,
    /// waits 50 ms and tries again; when `timeout` runs out, the response is
    /// [`ConnectionError::Timeout`]. Responses are read up to 1 MB.
    pub async fn init(&self, initializer: Value, timeout: Duration) -> RunResult {
        let payload = Bytes::from(json!({ "value": initializer }).to_string());
        let limits = ResponseLimits::default();
        let start = Instant::now();
        let deadline = start + timeout;
        let response = loop {
            match self.attempt("/init", payload.clone(), limits, deadline, timeout).await {
                Err(Attempt::Unreachable(_)) => {
                    let next = Instant::now() + RETRY_PAUSE;
                    if next >= deadline {
                        sleep_until(deadline).await;
                        break Err(ConnectionError::Timeout(timeout));
                    }
                    sleep_until(next).await;
                }
                other => break other.map_err(Attempt::into_error),
            }
        };
        RunResult::since(start, response)
    }

    /// `POST /run` with `body` (`{"value": .., "namespace": .., ..}`), once. With
    /// `reschedule` (the first run after the container was ready or paused), an
    /// unreachable runtime is a [`HealthError`], so that the job goes to another
    /// container; otherwise it is a [`ConnectionError`] in the result.
    pub async fn run(
        &self,
        body: Value,
        timeout: Duration,
        limits: ResponseLimits,
        reschedule: bool,
    ) -> Result<RunResult, HealthError> {
        let payload = Bytes::from(body.to_string());
        let start = Instant::now();
        let response = match self.attempt("/run", payload, limits, start + timeout, timeout).await {
            Err(Attempt::Unreachable(error)) if reschedule => {
                return Err(HealthError(format!("{}: {error}", self.addr)));
            }
            other => other.map_err(Attempt::into_error),
        };
        Ok(RunResult::since(start, response))
    }

    /// One connection, one request, bounded by `deadline`.
    async fn attempt(
        &self,
        path: &'static str,
        payload: Bytes,
        limits: ResponseLimits,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<ContainerResponse, Attempt> {
        match timeout_at(deadline, self.exchange(path, payload, limits)).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => Err(Attempt::Failed(ConnectionError::Timeout(timeout))),
        }
    }

    async fn exchange(
        &self,
        path: &'static str,
        payload: Bytes,
        limits: ResponseLimits,
    ) -> Result<ContainerResponse, Attempt> {
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|e| Attempt::Unreachable(ConnectionError::Connect(e.to_string())))?;
        // Small request, one write: do not wait for Nagle.
        let _ = stream.set_nodelay(true);
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Attempt::Failed(ConnectionError::Other(e.to_string())))?;

        let mut request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(HOST, self.addr.to_string())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_LENGTH, payload.len())
            .header(CONNECTION, "close")
            .body(Full::new(payload))
            .map_err(|e| Attempt::Failed(ConnectionError::Other(e.to_string())))?;
        if let Some(token) = &self.token {
            let value = HeaderValue::try_from(format!("Bearer {token}"))
                .map_err(|e| Attempt::Failed(ConnectionError::Other(e.to_string())))?;
            request.headers_mut().insert(AUTHORIZATION, value);
        }

        let retry_on_no_response = self.retry_on_no_response;
        let exchange = async move {
            let response =
                sender.send_request(request).await.map_err(|e| no_response(&e, retry_on_no_response))?;
            read_response(response, limits).await.map_err(Attempt::Failed)
        };

        // The connection is driven here rather than spawned, so that dropping this
        // future (the deadline) closes the socket. It may finish before the body has
        // been taken from it, so the exchange is polled on until it completes.
        let mut connection = std::pin::pin!(connection);
        let mut exchange = std::pin::pin!(exchange);
        let mut connection_done = false;
        loop {
            tokio::select! {
                outcome = &mut exchange => return outcome,
                _ = &mut connection, if !connection_done => connection_done = true,
            }
        }
    }
}

/// How one attempt failed.
enum Attempt {
    /// The runtime could not be reached: `/init` retries, a rescheduling `/run` gives
    /// up on the container.
    Unreachable(ConnectionError),
    /// Anything else.
    Failed(ConnectionError),
}

impl Attempt {
    fn into_error(self) -> ConnectionError {
        match self {
            Attempt::Unreachable(e) | Attempt::Failed(e) => e,
        }
    }
}

/// Classifies an error of `send_request` (always before any response head).
fn no_response(error: &hyper::Error, retry_on_no_response: bool) -> Attempt {
    let closed = error.is_incomplete_message() || error.is_canceled() || caused_by_reset(error);
    match (closed, retry_on_no_response) {
        (true, true) => Attempt::Unreachable(ConnectionError::NoResponseReceived),
        (true, false) => Attempt::Failed(ConnectionError::NoResponseReceived),
        (false, _) => Attempt::Failed(ConnectionError::Other(error.to_string())),
    }
}

fn caused_by_reset(error: &hyper::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return matches!(io.kind(), ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof);
        }
        source = cause.source();
    }
    false
}

/// Reads the body within `limits`: whole up to `max_response`, else only the first
/// `truncation` bytes, draining the rest so that the runtime can finish writing.
async fn read_response(
    response: Response<Incoming>,
    limits: ResponseLimits,
) -> Result<ContainerResponse, ConnectionError> {
    let status = response.status().as_u16();
    let headers = response.headers();
    // Chunked or close-delimited bodies have no length: the runtime must send one.
    if headers.contains_key(TRANSFER_ENCODING) {
        return Err(ConnectionError::NoResponseReceived);
    }
    let length = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or(ConnectionError::NoResponseReceived)?;
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    let mut body = response.into_body();
    let other = |e: hyper::Error| ConnectionError::Other(e.to_string());

    if length <= limits.max_response {
        let bytes = body.collect().await.map_err(other)?.to_bytes();
        let entity = String::from_utf8_lossy(&bytes).into_owned();
        return Ok(ContainerResponse { status, entity, truncated: None });
    }

    let keep = limits.truncation.min(length);
    let mut prefix = Vec::with_capacity(keep);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.map_err(other)?.into_data() {
            let room = keep - prefix.len();
            prefix.extend_from_slice(&data[..room.min(data.len())]);
        }
    }
    let entity = String::from_utf8_lossy(without_partial_char(&prefix)).into_owned();
    Ok(ContainerResponse { status, entity, truncated: Some((length, limits.max_response)) })
}

/// `bytes` without a multi-byte UTF-8 sequence cut off at its end, so that a
/// truncated prefix ends on a character boundary.
fn without_partial_char(bytes: &[u8]) -> &[u8] {
    let len = bytes.len();
    // The last sequence starts at most 3 bytes before the end.
    for back in 1..=len.min(4) {
        let byte = bytes[len - back];
        if byte & 0b1100_0000 != 0b1000_0000 {
            let needed = match byte {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            return if needed > back { &bytes[..len - back] } else { bytes };
        }
    }
    bytes
}

#[cfg(test)]
mod tests;
