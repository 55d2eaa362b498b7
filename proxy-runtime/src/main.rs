//! `proxy-runtime`: the action runtime that runs as PID 1 inside an action container
//! and speaks the OpenWhisk action protocol on port 8080 (`PROXY_RUNTIME_PORT`
//! overrides it, for tests).
//!
//! - `POST /init` `{"value": {"code", "binary", "env", ...}}`, once: writes the code (a
//!   `#!` script, or an ELF executable sent as base64 with `binary: true`) as an
//!   executable; `env` is exported to every activation.
//! - `POST /run` `{"value": {...}, "activation_id", ...}`: runs the executable with the
//!   parameters as compact JSON in `argv[1]` (through stdin instead when longer than
//!   `MAX_ARG_STRLEN`) and `__OW_<KEY>` for every other field; every stdout line but
//!   the last, and every stderr line, go to the container log; the last stdout line,
//!   a JSON object or array, is the result. After each activation, and after a failed
//!   init, `XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX` goes to stdout and to stderr.
//! - `__PROXY_RUNTIME_TOKEN` set (the invoker sets a fresh one per container): every
//!   request must carry `Authorization: Bearer <token>`, else it gets 403
//!   `{"error": ..}`; the variable is removed from the environment at start, so the
//!   action cannot read it.
//! - SIGTERM or SIGINT: stop accepting, let the runs in flight finish for up to 5 s,
//!   exit 0. Orphans that actions leave behind are not reaped.
//!
//! The runtime prints nothing of its own at start: the first activation's logs would
//! carry it.
//!
//! Build the static executable for a `FROM scratch` image with:
//!
//! ```text
//! RUSTFLAGS='-C target-feature=+crt-static' cargo build -p proxy-runtime --release --target x86_64-unknown-linux-gnu
//! ```
//!
//! The result, `target/x86_64-unknown-linux-gnu/release/proxy-runtime`, is statically
//! linked (`file` says so; `ldd` says "not a dynamic executable"). The image must give
//! scripts their interpreter (a static busybox at `/bin/sh`), and either an `/action`
//! directory or a writable temp directory for the executable.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use proxy_runtime::logs::Logs;
use proxy_runtime::server::{serve, Runtime, TOKEN_ENV};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

/// The port of the action protocol.
const DEFAULT_PORT: u16 = 8080;
/// How long the runs in flight may take to finish once a stop signal came.
const GRACE: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let port = match std::env::var("PROXY_RUNTIME_PORT") {
        Err(_) => DEFAULT_PORT,
        Ok(text) => match text.parse() {
            Ok(port) => port,
            Err(_) => {
                eprintln!("proxy-runtime: PROXY_RUNTIME_PORT is not a port: `{text}`");
                return ExitCode::from(2);
            }
        },
    };
    // Taken out of the environment before any thread or child exists: the action's
    // processes inherit this environment, and must not learn the token.
    let token = std::env::var(TOKEN_ENV).ok();
    std::env::remove_var(TOKEN_ENV);
    let tokio = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(tokio) => tokio,
        Err(error) => {
            eprintln!("proxy-runtime: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = tokio.block_on(async move {
        // Handlers first: PID 1 ignores signals it has no handler for, and a signal
        // that arrives once the port is open must find them installed.
        let (mut term, mut int) = match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(term), Ok(int)) => (term, int),
            (Err(error), _) | (_, Err(error)) => {
                eprintln!("proxy-runtime: cannot handle signals: {error}");
                return ExitCode::FAILURE;
            }
        };
        let listener = match TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], port))).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("proxy-runtime: cannot listen on port {port}: {error}");
                return ExitCode::FAILURE;
            }
        };
        let runtime = Arc::new(Runtime::new(Logs::stdio()).with_token(token));
        let stop = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        };
        serve(listener, Arc::clone(&runtime), stop, GRACE).await;
        if let Some(action) = runtime.action() {
            action.remove_files();
        }
        ExitCode::SUCCESS
    });
    // Connections still open past the grace are dropped here, killing their processes;
    // a log write stuck on a full pipe must not hold the exit.
    tokio.shutdown_timeout(Duration::from_secs(1));
    code
}
