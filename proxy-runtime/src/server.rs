//! The HTTP side: `POST /init`, `POST /run`, JSON answers with `Content-Length`, and a
//! graceful stop.
//!
//! Every answer is a full body, so hyper sends `Content-Length` (the invoker's client
//! treats a response without one as no response). HTTP/1.1 keep-alive is served, and a
//! request with `Connection: close` gets its connection closed after the answer.
//! `/run` takes no lock here: with `max_concurrent > 1` every request of a
//! process-per-activation action runs its own process, and an actionloop action takes
//! its activations one at a time (`crate::actionloop`).

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ALLOW, AUTHORIZATION, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use crate::action::Action;
use crate::logs::Logs;
use crate::protocol::{Error, InitRequest, RunRequest, INIT_OK};

/// The largest request body accepted: far above the invoker's 1 MB payload limit
/// (plus base64), low enough that a runaway client cannot exhaust the container.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// The runtime's state: the action, once initialized, and the container log.
#[derive(Debug)]
pub struct Runtime {
    action: OnceLock<Action>,
    /// Serialises `/init` attempts, so exactly one of two racing inits succeeds.
    init_lock: Mutex<()>,
    logs: Logs,
    /// `Authorization: Bearer <token>` every request must carry, when set.
    token: Option<String>,
}

impl Runtime {
    /// A runtime with no action yet, logging to `logs`.
    pub fn new(logs: Logs) -> Self {
        Runtime { action: OnceLock::new(), init_lock: Mutex::new(()), logs, token: None }
    }

    /// Requires `Authorization: Bearer <token>` on every request; any other request is
    /// answered 403 `{"error": ..}` without touching the action or the log. The
    /// invoker puts a fresh token in each container ([`TOKEN_ENV`]), so that another
    /// container that reaches this port cannot drive this action. Upstream's runtimes
    /// take anyone (deviation).
    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token.filter(|t| !t.is_empty());
        self
    }

    /// The action, once `/init` has succeeded.
    pub fn action(&self) -> Option<&Action> {
        self.action.get()
    }

    /// Answers one request.
    pub async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        if !self.authorized(request.headers().get(AUTHORIZATION)) {
            return json(StatusCode::FORBIDDEN, error_body(FORBIDDEN));
        }
        let (method, path) = (request.method().clone(), request.uri().path().to_owned());
        match (method, path.as_str()) {
            (Method::POST, "/init") => self.init(read_body(request).await).await,
            (Method::POST, "/run") => self.run(read_body(request).await).await,
            (_, "/init" | "/run") => {
                let mut response = json(StatusCode::METHOD_NOT_ALLOWED, error_body("method not allowed"));
                response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
                response
            }
            _ => json(StatusCode::NOT_FOUND, error_body("not found")),
        }
    }

    /// Whether `header` carries the token (always, when none is required).
    fn authorized(&self, header: Option<&HeaderValue>) -> bool {
        let Some(token) = &self.token else { return true };
        let expected = format!("Bearer {token}");
        header.is_some_and(|given| same_bytes(given.as_bytes(), expected.as_bytes()))
    }

    /// `/init`: installs the action once. A failed init logs its error and the
    /// sentinels, and leaves the runtime uninitialized.
    async fn init(&self, body: Result<Bytes, Error>) -> Response<Full<Bytes>> {
        let result = {
            let _serialised = self.init_lock.lock().await;
            match self.action.get() {
                Some(_) => Err(Error::AlreadyInitialized),
                None => match body
                    .and_then(|body| serde_json::from_slice::<InitRequest>(&body).map_err(Error::Unmarshal))
                {
                    Err(error) => Err(error),
                    Ok(init) => Action::install(&init.value).await.map(|action| {
                        // Cannot be full: the lock is held and it was empty.
                        let _ = self.action.set(action);
                    }),
                },
            }
        };
        match result {
            Ok(()) => json(StatusCode::OK, Bytes::from_static(INIT_OK.as_bytes())),
            Err(error) => {
                self.logs.err_line(error.to_string().as_bytes()).await;
                self.logs.end_activation().await;
                error_response(&error)
            }
        }
    }

    /// `/run`: one activation, its logs and then the sentinels, then the answer.
    async fn run(&self, body: Result<Bytes, Error>) -> Response<Full<Bytes>> {
        let parsed = body.and_then(|body| {
            let request = serde_json::from_slice::<RunRequest>(&body).map_err(Error::Unmarshal)?;
            Ok((request, body))
        });
        let result = match parsed {
            Err(error) => Err(error),
            Ok((request, body)) => match self.action.get() {
                None => Err(Error::NotInitialized),
                // Writes the activation's sentinels itself.
                Some(action) => return answer(action.run(&request, &body, &self.logs).await),
            },
        };
        // Before answering, so the invoker finds both sentinels once it has the answer.
        self.logs.end_activation().await;
        answer(result)
    }
}

/// The answer to a `/run`.
fn answer(result: Result<String, Error>) -> Response<Full<Bytes>> {
    match result {
        Ok(result) => json(StatusCode::OK, Bytes::from(result)),
        Err(error) => error_response(&error),
    }
}

/// The environment variable that carries the token into the container; the runtime
/// reads it at start, removes it from its own environment, and never passes it on to
/// the action's processes.
pub const TOKEN_ENV: &str = "__PROXY_RUNTIME_TOKEN";

/// The environment variable naming the address to listen on (`127.0.0.1:0`: the
/// loopback, a port the kernel picks), for a runtime run as a child process of the
/// invoker (the process backend) rather than in a container. Overrides
/// `PROXY_RUNTIME_PORT`; the default is every address, port 8080.
pub const LISTEN_ENV: &str = "PROXY_RUNTIME_LISTEN";

/// The environment variable (`1`) that makes the runtime write one line,
/// [`ANNOUNCE_PREFIX`] and the address it listens on, to stdout once it listens,
/// before any log line: how a parent that asked for port 0 learns the port, with no
/// window in which another process could take it.
pub const ANNOUNCE_ENV: &str = "PROXY_RUNTIME_ANNOUNCE";

/// The start of the line [`ANNOUNCE_ENV`] asks for: `proxy-runtime listening on 127.0.0.1:41234`.
pub const ANNOUNCE_PREFIX: &str = "proxy-runtime listening on ";

/// The environment variable (the parent's pid) that makes the runtime stop, as on
/// SIGTERM, once that process is no longer its parent (checked every half second): a
/// runtime run as a child of the invoker must not outlive it.
pub const EXIT_WITH_PARENT_ENV: &str = "PROXY_RUNTIME_EXIT_WITH_PARENT";

/// The error of a request without the right token.
pub const FORBIDDEN: &str = "missing or wrong authorization token";

/// Compares in time that depends only on the lengths, so that a caller cannot find
/// the token byte by byte from the answer's timing.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Serves `listener` until `shutdown` completes; then stops accepting and gives the
/// requests in flight up to `grace` to finish. Connections still open after that are
/// dropped with their activations (whose processes are killed).
pub async fn serve(
    listener: TcpListener,
    runtime: Arc<Runtime>,
    shutdown: impl Future<Output = ()>,
    grace: Duration,
) {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    let runtime = Arc::clone(&runtime);
                    let service = service_fn(move |request| {
                        let runtime = Arc::clone(&runtime);
                        async move { Ok::<_, Infallible>(runtime.handle(request).await) }
                    });
                    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    let connection = graceful.watch(connection);
                    tokio::spawn(async move {
                        // A peer that goes away mid-request is its own problem.
                        let _ = connection.await;
                    });
                }
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
}

async fn read_body(request: Request<Incoming>) -> Result<Bytes, Error> {
    match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) => match error.downcast::<hyper::Error>() {
            Ok(error) => Err(Error::Body(*error)),
            Err(_) => Err(Error::TooLarge { limit: MAX_BODY }),
        },
    }
}

fn error_body(message: &str) -> Bytes {
    Bytes::from(serde_json::json!({ "error": message }).to_string())
}

fn error_response(error: &Error) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json(status, Bytes::from(error.body()))
}

fn json(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same_bytes(b"Bearer abc", b"Bearer abc"));
        assert!(!same_bytes(b"Bearer abd", b"Bearer abc"));
        assert!(!same_bytes(b"Bearer ab", b"Bearer abc"));
        assert!(!same_bytes(b"", b"Bearer abc"));
    }

    #[test]
    fn an_empty_token_requires_nothing() {
        let open = Runtime::new(Logs::stdio()).with_token(Some(String::new()));
        assert!(open.authorized(None));
        let closed = Runtime::new(Logs::stdio()).with_token(Some("t".into()));
        assert!(!closed.authorized(None));
        assert!(!closed.authorized(Some(&HeaderValue::from_static("Bearer u"))));
        assert!(closed.authorized(Some(&HeaderValue::from_static("Bearer t"))));
    }
}
