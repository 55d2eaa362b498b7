//! `proxy-runtime`: the action runtime that runs as PID 1 inside an action container
//! and speaks the OpenWhisk action protocol on port 8080 (`PROXY_RUNTIME_PORT`
//! overrides it, for tests).
//!
//! Run as a child process of the invoker (proxy-process's backend) instead:
//! `PROXY_RUNTIME_LISTEN=127.0.0.1:0` listens on the loopback on a port the kernel
//! picks, and `PROXY_RUNTIME_ANNOUNCE=1` writes `proxy-runtime listening on <addr>` to
//! stdout once it listens, before any log line; `PROXY_RUNTIME_EXIT_WITH_PARENT=<pid>`
//! (the parent's pid) stops it (as SIGTERM does) once the process that started it is gone, so that an
//! invoker killed with `kill -9` leaves no runtime behind for long. These variables
//! are removed from the runtime's environment before any action runs.
//!
//! - `POST /init` `{"value": {"code", "binary", "env", ...}}`, once: writes the code (a
//!   `#!` script, or an ELF executable sent as base64 with `binary: true`) as an
//!   executable; `env` is exported to every activation.
//! - `POST /run` `{"value": {...}, "activation_id", ...}`, in the default mode: runs the executable with the
//!   parameters as compact JSON in `argv[1]` (through stdin instead when longer than
//!   `MAX_ARG_STRLEN`) and `__OW_<KEY>` for every other field; every stdout line but
//!   the last, and every stderr line, go to the container log; the last stdout line,
//!   a JSON object or array, is the result. After each activation, and after a failed
//!   init, `XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX` goes to stdout and to stderr.
//! - actionloop mode, when `PROXY_RUNTIME_ACTIONLOOP=1` (or `true`) is in the init `env`
//!   or, absent there, in the runtime's environment: `/init` starts the executable once,
//!   with fd 3 the write end of a pipe and `__OW_WAIT_FOR_ACK=1`, and answers once the
//!   action wrote `{"ok": true}` on fd 3. Each `/run` writes its body as one line on the
//!   action's stdin and answers the one line the action writes back on fd 3; the
//!   action's stdout and stderr are the container log. One activation at a time; a
//!   process that dies is not restarted (400, then 500 `command exited`). This is the
//!   protocol of upstream's actionloop runtimes, so their executables run unchanged
//!   (zip packages are not taken yet).
//! - `__PROXY_RUNTIME_TOKEN` set (the invoker sets a fresh one per container): every
//!   request must carry `Authorization: Bearer <token>`, else it gets 403
//!   `{"error": ..}`; the runtime then executes itself again without the variable
//!   (the token on stdin), so that neither the action's environment nor
//!   `/proc/1/environ` holds it.
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
use proxy_runtime::server::{
    serve, Runtime, ANNOUNCE_ENV, ANNOUNCE_PREFIX, EXIT_WITH_PARENT_ENV, LISTEN_ENV, TOKEN_ENV,
};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

/// The port of the action protocol.
const DEFAULT_PORT: u16 = 8080;
/// How long the runs in flight may take to finish once a stop signal came.
const GRACE: Duration = Duration::from_secs(5);

/// The argument a re-executed runtime gets: its token comes on stdin.
const TOKEN_ON_STDIN: &str = "--token-on-stdin";

/// The token, taken out of this process's reach of the action: from stdin after a
/// re-exec, or from [`TOKEN_ENV`] and then re-executing without it.
///
/// Removing the variable from the environment keeps it from the action's processes,
/// but not from `/proc/1/environ`, which shows the environment the process was
/// started with and which the action (same user) may read. So the runtime executes
/// itself again, same pid, without the variable, the token passed through a socket
/// pair as stdin. Should that exec fail, the runtime goes on with the variable
/// removed: the action could then read its own container's token, which opens no
/// other container.
fn take_token() -> std::io::Result<Option<String>> {
    use std::io::{Read, Write};
    use std::os::unix::process::CommandExt;
    if std::env::args_os().nth(1).is_some_and(|a| a == TOKEN_ON_STDIN) {
        let mut token = String::new();
        std::io::stdin().take(4096).read_to_string(&mut token)?;
        return Ok(Some(token).filter(|t| !t.is_empty()));
    }
    let Some(token) = std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()) else {
        std::env::remove_var(TOKEN_ENV);
        return Ok(None);
    };
    // Before any thread or child exists: the action's processes inherit this
    // environment, and must not learn the token.
    std::env::remove_var(TOKEN_ENV);
    let (mut writer, reader) = std::os::unix::net::UnixStream::pair()?;
    // A few dozen bytes: the socket's buffer holds them until the new image reads.
    writer.write_all(token.as_bytes())?;
    drop(writer);
    let Ok(exe) = std::env::current_exe() else { return Ok(Some(token)) };
    let error = std::process::Command::new(exe)
        .arg(TOKEN_ON_STDIN)
        .env_remove(TOKEN_ENV)
        .stdin(std::process::Stdio::from(std::os::fd::OwnedFd::from(reader)))
        .exec();
    // Only returns on failure; keep serving with the token in hand.
    let _ = error;
    Ok(Some(token))
}

/// Where to listen: [`LISTEN_ENV`], else every address on `PROXY_RUNTIME_PORT` or 8080.
fn listen_addr() -> Result<SocketAddr, String> {
    if let Ok(text) = std::env::var(LISTEN_ENV) {
        return text.parse().map_err(|_| format!("{LISTEN_ENV} is not a socket address: `{text}`"));
    }
    let port = match std::env::var("PROXY_RUNTIME_PORT") {
        Err(_) => DEFAULT_PORT,
        Ok(text) => text.parse().map_err(|_| format!("PROXY_RUNTIME_PORT is not a port: `{text}`"))?,
    };
    Ok(SocketAddr::from(([0, 0, 0, 0], port)))
}

/// How often a runtime that exits with its parent looks at its parent.
const PARENT_CHECK: Duration = Duration::from_millis(500);

/// Resolves once the process's parent is not `parent` (it died and the runtime was
/// reparented, or it was never the parent); never when `parent` is `None`. A poll of `getppid`, not
/// `PR_SET_PDEATHSIG`, which fires when the *thread* that spawned the runtime ends.
async fn orphaned(parent: Option<u32>) {
    let Some(parent) = parent else { return std::future::pending().await };
    let mut tick = tokio::time::interval(PARENT_CHECK);
    loop {
        tick.tick().await;
        if std::os::unix::process::parent_id() != parent {
            return;
        }
    }
}

/// Writes [`ANNOUNCE_PREFIX`] and the bound address as one line to stdout, at once.
fn announce_addr(listener: &TcpListener) -> std::io::Result<()> {
    use std::io::Write;
    let line = format!("{ANNOUNCE_PREFIX}{}\n", listener.local_addr()?);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(line.as_bytes())?;
    stdout.flush()
}

fn main() -> ExitCode {
    let addr = match listen_addr() {
        Ok(addr) => addr,
        Err(message) => {
            eprintln!("proxy-runtime: {message}");
            return ExitCode::from(2);
        }
    };
    let announce = std::env::var(ANNOUNCE_ENV).is_ok_and(|v| v == "1");
    // The invoker that started this runtime as its child, when it asked to be
    // outlived by none: named, not read from getppid, which would be init's pid
    // already should the parent have died before this line.
    let parent = std::env::var(EXIT_WITH_PARENT_ENV).ok().and_then(|pid| pid.parse::<u32>().ok());
    let token = match take_token() {
        Ok(token) => token,
        Err(error) => {
            eprintln!("proxy-runtime: cannot read the token: {error}");
            return ExitCode::FAILURE;
        }
    };
    // After the re-exec (which needs them) and before any thread or action exists:
    // the action's processes have no use for them.
    std::env::remove_var(LISTEN_ENV);
    std::env::remove_var(ANNOUNCE_ENV);
    std::env::remove_var(EXIT_WITH_PARENT_ENV);
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
        let listener = match TcpListener::bind(addr).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("proxy-runtime: cannot listen on {addr}: {error}");
                return ExitCode::FAILURE;
            }
        };
        if announce {
            if let Err(error) = announce_addr(&listener) {
                eprintln!("proxy-runtime: cannot announce the address: {error}");
                return ExitCode::FAILURE;
            }
        }
        let runtime = Arc::new(Runtime::new(Logs::stdio()).with_token(token));
        let stop = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
                _ = orphaned(parent) => {}
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
