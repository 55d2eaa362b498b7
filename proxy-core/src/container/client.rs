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
//!
//! What the client must tell apart is whether a failed request reached the runtime:
//! only one that did not may go to another container, since one that did may have
//! run the action already (an action that crashes its runtime would otherwise run
//! twice). The socket counts the bytes written to it, and a request counts as
//! delivered once all of its bytes were written and the runtime's side did not reset
//! the connection: a kernel resets a connection closed with data unread, while a
//! runtime that read the request and then died closes it with a FIN.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{
    ACCEPT, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, TRANSFER_ENCODING,
};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{sleep_until, timeout_at, Instant};

use super::backend::ResponseLimits;
use super::response::Interval;

/// The first pause between two connection attempts of `/init`; each next one is
/// twice as long, up to [`RETRY_PAUSE`].
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(2);
/// The longest pause between two connection attempts of `/init` (upstream's fixed
/// 50 ms). Deviation: upstream always waits 50 ms, which a runtime that starts
/// listening a few milliseconds after its container started (ours re-executes
/// itself to drop its token from its environment) pays in full on every cold
/// start; short first pauses cost a few refused connects instead.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

/// A transport failure, kept whole as the cause of a [`ConnectionError`]: its text
/// and its own causes are the wrapped error's. Shared, so that a [`RunResult`] can be
/// cloned; equal only to itself and its clones.
#[derive(Debug, Clone)]
pub struct TransportError(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl TransportError {
    /// Wraps `error`.
    ///
    /// ```
    /// use proxy_core::container::client::TransportError;
    /// let error = TransportError::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    /// assert_eq!(error.io_kind(), Some(std::io::ErrorKind::ConnectionRefused));
    /// ```
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        TransportError(Arc::new(error))
    }

    /// The kind of the first I/O error in the chain (the error itself included).
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(&*self.0);
        while let Some(error) = next {
            if let Some(io) = error.downcast_ref::<io::Error>() {
                return Some(io.kind());
            }
            next = error.source();
        }
        None
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TransportError {
    // Transparent: the wrapped error's causes are this one's.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for TransportError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for TransportError {}

/// Why no usable HTTP response came back (upstream's `ContainerConnectionError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The TCP connection could not be made (refused, no route, reset while
    /// connecting): the request was not sent.
    #[error("cannot connect to the action runtime")]
    Connect(#[source] TransportError),
    /// Connected, but the request did not reach the runtime: writing it failed, or
    /// the runtime's side reset the connection with the request unread.
    #[error("the request did not reach the action runtime")]
    NotDelivered(#[source] TransportError),
    /// The runtime got the whole request and closed the connection without a
    /// response, or answered without a `Content-Length` (it must send one).
    #[error("the action runtime sent no usable response")]
    NoResponseReceived,
    /// The exchange did not complete within the timeout. Upstream reports a stalled
    /// read as a plain connection error; both are classified the same way, since the
    /// elapsed time then reaches the timeout.
    #[error("the action runtime did not answer within {0:?}")]
    Timeout(Duration),
    /// `/init` only: the runtime never became reachable within the timeout (every
    /// attempt was refused, or closed before a response); `last` is the last
    /// attempt's failure.
    #[error("the action runtime was not reachable within {timeout:?}")]
    NeverReached {
        /// The timeout.
        timeout: Duration,
        /// How the last attempt failed.
        #[source]
        last: Box<ConnectionError>,
    },
    /// Anything else: a reset in the middle of the response, a malformed response.
    #[error("the connection to the action runtime failed")]
    Other(#[source] TransportError),
}

impl ConnectionError {
    /// The request never reached the runtime (no connection, or not delivered): the
    /// action did not run, and the job may go to another container.
    ///
    /// ```
    /// use proxy_core::container::client::{ConnectionError, TransportError};
    /// let refused = TransportError::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
    /// assert!(ConnectionError::Connect(refused).not_delivered());
    /// assert!(!ConnectionError::NoResponseReceived.not_delivered());
    /// ```
    pub fn not_delivered(&self) -> bool {
        matches!(
            self,
            ConnectionError::Connect(_)
                | ConnectionError::NotDelivered(_)
                | ConnectionError::NeverReached { .. }
        )
    }
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

/// The body of `POST /run`: the activation's environment (`namespace`,
/// `activation_id`, ..) and `"value": parameters`.
///
/// ```
/// use proxy_core::container::client::run_body;
/// use serde_json::{json, Map};
/// let environment = Map::from_iter([("namespace".to_string(), json!("guest"))]);
/// assert_eq!(run_body(json!({"x": 1}), environment), json!({"namespace": "guest", "value": {"x": 1}}));
/// ```
pub fn run_body(parameters: Value, environment: Map<String, Value>) -> Value {
    let mut body = environment;
    body.insert("value".into(), parameters);
    Value::Object(body)
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
/// let run = client.run(json!({"value": {"name": "World"}}), Duration::from_secs(60), ResponseLimits::default()).await;
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
    /// An `/init` whose connection is closed before any response counts as "runtime
    /// unreachable" and is retried, as upstream with
    /// `whisk.apache-client.retry-no-http-response-exception` on: a port published
    /// through a proxy accepts connections before the runtime listens, then drops them.
    pub fn new(addr: SocketAddr) -> Self {
        ActionClient { addr, retry_on_no_response: true, token: None }
    }

    /// Whether an `/init` whose connection is closed before any response counts as
    /// "runtime unreachable" and is retried (`true`, the default) or ends in a plain
    /// [`ConnectionError::NoResponseReceived`] (`false`, upstream's default). With
    /// `true`, an init that kills the runtime is retried until its timeout. `/run` is
    /// never retried.
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
    /// waits and tries again (2 ms, then twice as long each time, up to 50 ms); when `timeout` runs out, the response is
    /// [`ConnectionError::NeverReached`] if no attempt reached the runtime, else
    /// [`ConnectionError::Timeout`]. Responses are read up to 1 MB.
    pub async fn init(&self, initializer: Value, timeout: Duration) -> RunResult {
        let payload = Bytes::from(json!({ "value": initializer }).to_string());
        let limits = ResponseLimits::default();
        let start = Instant::now();
        let deadline = start + timeout;
        let mut last = None;
        let mut pause = FIRST_RETRY_PAUSE;
        let response = loop {
            match self.attempt("/init", payload.clone(), limits, deadline).await {
                Ok(response) => break Ok(response),
                Err(Attempt::Failed(error)) => break Err(error),
                Err(Attempt::NoResponse) if !self.retry_on_no_response => {
                    break Err(ConnectionError::NoResponseReceived);
                }
                Err(Attempt::TimedOut { delivered: true }) => break Err(ConnectionError::Timeout(timeout)),
                Err(Attempt::TimedOut { delivered: false }) => break Err(never_reached(timeout, last)),
                Err(Attempt::NoResponse) => last = Some(ConnectionError::NoResponseReceived),
                Err(Attempt::Unreachable(error)) => last = Some(error),
            }
            let next = Instant::now() + pause;
            pause = (pause * 2).min(RETRY_PAUSE);
            if next >= deadline {
                sleep_until(deadline).await;
                break Err(never_reached(timeout, last));
            }
            sleep_until(next).await;
        };
        RunResult::since(start, response)
    }

    /// `POST /run` with `body` (`{"value": .., "namespace": .., ..}`, see
    /// [`run_body`]), once. Whether a failure may be rescheduled is for the
    /// classification to decide: [`ConnectionError::not_delivered`] tells.
    pub async fn run(&self, body: Value, timeout: Duration, limits: ResponseLimits) -> RunResult {
        let payload = Bytes::from(body.to_string());
        let start = Instant::now();
        let response = match self.attempt("/run", payload, limits, start + timeout).await {
            Ok(response) => Ok(response),
            Err(Attempt::Unreachable(error) | Attempt::Failed(error)) => Err(error),
            Err(Attempt::NoResponse) => Err(ConnectionError::NoResponseReceived),
            Err(Attempt::TimedOut { .. }) => Err(ConnectionError::Timeout(timeout)),
        };
        RunResult::since(start, response)
    }

    /// The request as sent (the length of its head is counted on the wire).
    fn request(
        &self,
        path: &'static str,
        payload: Bytes,
    ) -> Result<Request<Full<Bytes>>, hyper::http::Error> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(HOST, self.addr.to_string())
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_LENGTH, payload.len())
            .header(CONNECTION, "close");
        if let Some(token) = &self.token {
            builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        builder.body(Full::new(payload))
    }

    /// One connection, one request, bounded by `deadline`.
    async fn attempt(
        &self,
        path: &'static str,
        payload: Bytes,
        limits: ResponseLimits,
        deadline: Instant,
    ) -> Result<ContainerResponse, Attempt> {
        let length = payload.len();
        let request = self.request(path, payload).map_err(|e| Attempt::Failed(other(e)))?;
        let expected = wire_length(&request, length);
        let written = Arc::new(AtomicUsize::new(0));
        match timeout_at(deadline, self.exchange(request, expected, written.clone(), limits)).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => Err(Attempt::TimedOut { delivered: written.load(Ordering::SeqCst) >= expected }),
        }
    }

    async fn exchange(
        &self,
        request: Request<Full<Bytes>>,
        expected: usize,
        written: Arc<AtomicUsize>,
        limits: ResponseLimits,
    ) -> Result<ContainerResponse, Attempt> {
        let stream = TcpStream::connect(self.addr)
            .await
            .map_err(|e| Attempt::Unreachable(ConnectionError::Connect(TransportError::new(e))))?;
        // Small request, one write: do not wait for Nagle.
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Counted { stream, written: written.clone() });
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(io).await.map_err(|e| Attempt::Failed(other(e)))?;

        let exchange = async move {
            let response = match sender.send_request(request).await {
                Ok(response) => response,
                Err(error) => return Err(no_response(error, written.load(Ordering::SeqCst) >= expected)),
            };
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

fn never_reached(timeout: Duration, last: Option<ConnectionError>) -> ConnectionError {
    let last = last.unwrap_or(ConnectionError::Timeout(timeout));
    ConnectionError::NeverReached { timeout, last: Box::new(last) }
}

fn other(error: impl std::error::Error + Send + Sync + 'static) -> ConnectionError {
    ConnectionError::Other(TransportError::new(error))
}

/// How one attempt failed.
#[derive(Debug)]
enum Attempt {
    /// The request did not reach the runtime: `/init` retries.
    Unreachable(ConnectionError),
    /// The runtime got the request and closed the connection without answering:
    /// `/init` retries when `retry_on_no_response`.
    NoResponse,
    /// The deadline came; `delivered`: all of the request had been written.
    TimedOut { delivered: bool },
    /// Anything else.
    Failed(ConnectionError),
}

/// The bytes hyper writes for `request` with a body of `body` bytes: the request
/// line, each header as `name: value\r\n`, an empty line, the body
/// (hyper's `Client::encode`, without title-cased headers).
fn wire_length<B>(request: &Request<B>, body: usize) -> usize {
    let line = request.method().as_str().len() + 1 + request.uri().to_string().len() + " HTTP/1.1\r\n".len();
    let headers: usize =
        request.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    line + headers + 2 + body
}

/// Classifies an error of `send_request` (always before any response head).
/// `delivered`: every byte of the request was written.
fn no_response(error: hyper::Error, delivered: bool) -> Attempt {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    let kind = io_kind(&error);
    // A reset means the runtime's side closed with the request unread (or before it
    // came): it did not reach the runtime, whatever was written.
    let reset = matches!(kind, Some(ConnectionReset | ConnectionAborted | BrokenPipe));
    if !delivered || reset {
        Attempt::Unreachable(ConnectionError::NotDelivered(TransportError::new(error)))
    } else if error.is_incomplete_message() || error.is_canceled() || kind == Some(UnexpectedEof) {
        Attempt::NoResponse
    } else {
        Attempt::Failed(other(error))
    }
}

fn io_kind(error: &hyper::Error) -> Option<io::ErrorKind> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        source = cause.source();
    }
    None
}

/// The socket, counting the bytes written to it.
struct Counted {
    stream: TcpStream,
    written: Arc<AtomicUsize>,
}

impl Counted {
    fn count(&self, written: &Poll<io::Result<usize>>) {
        if let Poll::Ready(Ok(n)) = written {
            self.written.fetch_add(*n, Ordering::SeqCst);
        }
    }
}

impl AsyncRead for Counted {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.count(&written);
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.count(&written);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
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
