//! One HTTP/1.1 exchange per call, on hyper 1, with HTTP basic auth.
//!
//! A new connection per request: a CLI command makes one or two requests, so a pool
//! would only add state; the server closes nothing it should keep.

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use tokio::net::TcpStream;

use crate::config::ApiHost;
use crate::ClientError;

/// The server's answer to one request: its status and body as they came.
///
/// ```
/// let reply = proxy_client::Reply::new("GET", "/api/v1/namespaces/_/actions", 200, br#"[]"#.to_vec());
/// assert!(reply.json::<Vec<serde_json::Value>>().unwrap().is_empty());
/// assert!(reply.json::<String>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The request's method.
    pub method: String,
    /// The request's path.
    pub path: String,
    /// The HTTP status.
    pub status: u16,
    /// The body, unchanged (what `--json` prints).
    pub body: Bytes,
}

impl Reply {
    /// A reply (for tests of rendering).
    pub fn new(method: &str, path: impl Into<String>, status: u16, body: impl Into<Bytes>) -> Self {
        Reply { method: method.to_string(), path: path.into(), status, body: body.into() }
    }

    /// The body decoded as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body)
            .map_err(|source| ClientError::Decode { what: format!("{} {}", self.method, self.path), source })
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// This reply as the error it reports: the server's `error` and `code` when the
    /// body is upstream's `ErrorMessage`, else the body's text.
    pub fn into_error(self) -> ClientError {
        #[derive(serde::Deserialize)]
        struct ErrorMessage {
            error: String,
            #[serde(default)]
            code: Option<serde_json::Value>,
        }
        let (message, code) = match serde_json::from_slice::<ErrorMessage>(&self.body) {
            Ok(body) => {
                let code = body.code.map(|code| match code {
                    serde_json::Value::String(text) => text,
                    other => other.to_string(),
                });
                (body.error, code)
            }
            Err(_) => (String::from_utf8_lossy(&self.body).trim().to_string(), None),
        };
        ClientError::Api { method: self.method, path: self.path, status: self.status, message, code }
    }
}

/// Sends requests to one API host with one key.
#[derive(Clone)]
pub(crate) struct Transport {
    apihost: ApiHost,
    authorization: Option<String>,
}

impl std::fmt::Debug for Transport {
    // The authorization header carries the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").field("apihost", &self.apihost).finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport to `apihost` sending `auth` (`uuid:key`) as basic auth.
    pub(crate) fn new(apihost: ApiHost, auth: Option<&str>) -> Self {
        let authorization = auth.map(|auth| {
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(auth.as_bytes()))
        });
        Transport { apihost, authorization }
    }

    /// The API host.
    pub(crate) fn apihost(&self) -> &ApiHost {
        &self.apihost
    }

    /// `method` of `path` (`query` appended when not empty), with `body` as JSON.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: String,
        query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Reply, ClientError> {
        let apihost = || self.apihost.url();
        let stream = TcpStream::connect(self.apihost.connect_addr())
            .await
            .map_err(|source| ClientError::Unreachable { apihost: apihost(), source })?;
        let http = |source| ClientError::Http { apihost: apihost(), source };
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(http)?;
        // The connection task ends when the exchange does (or the sender is dropped);
        // its own error shows up on the request's future, so it is not kept.
        tokio::spawn(connection);

        let target = if query.is_empty() { path.clone() } else { format!("{path}?{query}") };
        let mut request = Request::builder()
            .method(method.clone())
            .uri(target)
            .header(HOST, self.apihost.authority())
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("proxyctl/", env!("CARGO_PKG_VERSION")));
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization);
        }
        if body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request.body(Full::new(Bytes::from(body.unwrap_or_default()))).map_err(|_| {
            ClientError::InvalidApiHost {
                // Only a host that cannot stand in a header gets here: the path and
                // query are percent-encoded by the caller.
                apihost: self.apihost.url(),
                origin: "the configuration".into(),
                reason: "it cannot be sent in an HTTP header",
            }
        })?;
        let response = sender.send_request(request).await.map_err(http)?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.map_err(http)?.to_bytes();
        Ok(Reply { method: method.to_string(), path, status, body })
    }
}
