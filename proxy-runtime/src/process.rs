//! The process-per-activation mode: one process per `/run`.
//!
//! An activation is one process: the parameters as compact JSON in `argv[1]`, the
//! init-time `env` plus `__OW_<KEY>` for every activation field in its environment (on
//! top of the runtime's own, so `__OW_API_HOST` from `docker run` passes through), stdin
//! empty. Its stderr lines go to the container's stderr, its stdout lines to the
//! container's stdout except the last, which is the result.

use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::logs::Logs;
use crate::protocol::{json_result, Error, RunRequest};

/// The longest single argument Linux accepts (`MAX_ARG_STRLEN`, 32 pages, less the NUL).
/// Larger parameters go through stdin instead of `argv[1]`, as upstream's
/// `actionproxy.py` does.
pub const MAX_ARG_LEN: usize = 32 * 4096 - 1;

/// Runs one activation to its end and returns its result: the last stdout line,
/// when it is a JSON object or array. Every other output line is written to
/// `logs` before this returns; the sentinel is the caller's.
///
/// The process is killed if this future is dropped before it exits.
pub(crate) async fn run(
    path: &Path,
    env: &[(String, String)],
    request: &RunRequest,
    logs: &Logs,
) -> Result<String, Error> {
    let params = request.value.to_string();
    let via_stdin = params.len() > MAX_ARG_LEN;
    let mut command = Command::new(path);
    if !via_stdin {
        command.arg(&params);
    }
    command
        // main removed it from the runtime's environment already; this keeps it
        // out should the runtime be embedded otherwise.
        .env_remove(crate::server::TOKEN_ENV)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .envs(request.env_vars())
        .current_dir(path.parent().unwrap_or(Path::new("/")))
        .stdin(if via_stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(Error::CannotStart)?;

    let stdin = child.stdin.take();
    let feed = async move {
        if let Some(mut stdin) = stdin {
            // An action that does not read its stdin closes the pipe early: fine.
            let _ = stdin.write_all(params.as_bytes()).await;
        }
    };
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let ((), last, (), status) =
        tokio::join!(feed, forward_stdout(stdout, logs), forward_stderr(stderr, logs), child.wait());

    let last = last.unwrap_or_default();
    if let Some(result) = json_result(&last) {
        return Ok(result.to_owned());
    }
    // Not a result: it is a log line like the others.
    if !last.is_empty() {
        logs.out_line(&last).await;
    }
    match status {
        Ok(status) if status.success() => Err(Error::NotADictionary),
        _ => Err(Error::CommandExited),
    }
}

/// Forwards every stdout line but the last to `logs`, and returns the last (with its
/// newline, if it had one), or `None` when the action wrote nothing.
async fn forward_stdout<R: AsyncRead + Unpin>(stream: Option<R>, logs: &Logs) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(stream?);
    let mut held: Option<Vec<u8>> = None;
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return held,
            Ok(_) => {
                if let Some(previous) = held.replace(line) {
                    logs.out_line(&previous).await;
                }
            }
        }
    }
}

/// Forwards every stderr line to `logs`.
async fn forward_stderr<R: AsyncRead + Unpin>(stream: Option<R>, logs: &Logs) {
    let Some(stream) = stream else { return };
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => logs.err_line(&line).await,
        }
    }
}
