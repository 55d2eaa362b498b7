//! What the proxyctl benches share: a server started in the bench's process from
//! `serve`'s own command line, its guest's credentials, and a minimal kept-alive
//! HTTP/1.1 client (the figures are the server's, not a client library's).

// Each bench uses part of it.
#![allow(dead_code)]

use std::net::SocketAddr;

use clap::Parser as _;
use proxyctl::backend::Backend;
use proxyctl::cli::{Cli, Command, ServeArgs};
use proxyctl::serve::Server;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

/// `proxyctl serve` parsed from `--addr 127.0.0.1:0 --data-dir <dir>` and `extra`.
pub(crate) fn serve_args(dir: &tempfile::TempDir, extra: &[&str]) -> ServeArgs {
    let data_dir = dir.path().to_str().expect("utf-8 path").to_string();
    let mut argv = vec!["proxyctl", "serve", "--addr", "127.0.0.1:0", "--data-dir", &data_dir];
    argv.extend_from_slice(extra);
    let Command::Serve(args) = Cli::parse_from(argv).command else { unreachable!("serve was parsed") };
    args
}

/// A started server and its guest's `Authorization: Basic` value.
pub(crate) struct Started {
    pub(crate) server: Server,
    pub(crate) auth: String,
}

/// Starts a server with `args` on `backend`, in this process.
pub(crate) async fn start(dir: &tempfile::TempDir, args: ServeArgs, backend: Backend) -> Started {
    let listener = tokio::net::TcpListener::bind(args.addr).await.expect("bind");
    let server = Server::start(args, listener, backend).await.expect("server");
    let key = std::fs::read_to_string(dir.path().join(proxyctl::serve::GUEST_KEY_FILE)).expect("guest key");
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(key.trim());
    Started { server, auth }
}

/// A kept-alive HTTP/1.1 connection to the server, with a blocking invoke of one
/// action ready to send.
pub(crate) struct Connection {
    stream: BufReader<TcpStream>,
    auth: String,
    request: Vec<u8>,
}

impl Connection {
    /// A connection to `addr` whose [`invoke`](Self::invoke) runs action `name`.
    pub(crate) async fn open(addr: SocketAddr, auth: &str, name: &str) -> Connection {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let body = "{}";
        let request = format!(
            "POST /api/v1/namespaces/_/actions/{name}?blocking=true HTTP/1.1\r\nhost: bench\r\n\
             authorization: Basic {auth}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        Connection { stream: BufReader::new(stream), auth: auth.to_string(), request: request.into_bytes() }
    }

    /// Sends `method path` with `body`, returns the status and the body.
    pub(crate) async fn call(&mut self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let body = body.to_string();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Basic {}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            self.auth,
            body.len()
        );
        self.stream.get_mut().write_all(request.as_bytes()).await.expect("write");
        let (status, body) = self.response().await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// `PUT`s action `name` with `body`; panics unless it answers 200.
    pub(crate) async fn put_action(&mut self, name: &str, body: &Value) {
        let (status, answer) = self.call("PUT", &format!("/api/v1/namespaces/_/actions/{name}"), body).await;
        assert_eq!(status, 200, "{answer}");
    }

    /// One blocking invoke of the connection's action; returns the activation's
    /// document, and panics unless it answers 200.
    pub(crate) async fn invoke(&mut self) -> Vec<u8> {
        self.stream.get_mut().write_all(&self.request).await.expect("write");
        let (status, body) = self.response().await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        body
    }

    async fn response(&mut self) -> (u16, Vec<u8>) {
        let mut line = String::new();
        self.stream.read_line(&mut line).await.expect("status line");
        let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
        let mut length = 0;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await.expect("header");
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().expect("content-length");
                }
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await.expect("body");
        (status, body)
    }
}
