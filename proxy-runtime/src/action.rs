//! The action itself: one executable written at `/init`, run once per `/run`.
//!
//! An activation is one process: the parameters as compact JSON in `argv[1]`, the
//! init-time `env` plus `__OW_<KEY>` for every activation field in its environment (on
//! top of the runtime's own, so `__OW_API_HOST` from `docker run` passes through), stdin
//! empty. Its stderr lines go to the container's stderr, its stdout lines to the
//! container's stdout except the last, which is the result.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::logs::Logs;
use crate::protocol::{json_result, Error, InitValue, RunRequest};

/// Where the executable goes when the image provides this directory and it is writable.
pub const ACTION_DIR: &str = "/action";

/// The longest single argument Linux accepts (`MAX_ARG_STRLEN`, 32 pages, less the NUL).
/// Larger parameters go through stdin instead of `argv[1]`, as upstream's
/// `actionproxy.py` does.
pub const MAX_ARG_LEN: usize = 32 * 4096 - 1;

/// An initialized action: the executable and the environment of every activation.
#[derive(Debug)]
pub struct Action {
    path: PathBuf,
    env: Vec<(String, String)>,
    /// A directory this runtime created for the executable, removed at shutdown.
    owned_dir: Option<PathBuf>,
}

impl Action {
    /// Decodes the code of `init`, checks that it can be executed, and writes it, mode
    /// 0755, as `exec` in [`ACTION_DIR`] if that directory exists and is writable, or
    /// else in `<temp dir>/proxy-runtime-<pid>/`.
    pub fn install(init: &InitValue) -> Result<Action, Error> {
        let code = init.code.as_deref().filter(|c| !c.is_empty()).ok_or(Error::MissingCode)?;
        let bytes = if init.binary {
            // Accept base64 wrapped over several lines, as Go's decoder does.
            let compact: Vec<u8> = code.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD.decode(compact).map_err(Error::Decode)?
        } else {
            code.as_bytes().to_vec()
        };
        if !(bytes.starts_with(b"#!") || bytes.starts_with(b"\x7fELF")) {
            return Err(Error::NotExecutable);
        }

        let env = init.env_vars();
        let fixed = Path::new(ACTION_DIR);
        if fixed.is_dir() {
            let path = fixed.join("exec");
            if write_executable(&path, &bytes).is_ok() {
                return Ok(Action { path, env, owned_dir: None });
            }
        }
        let dir = std::env::temp_dir().join(format!("proxy-runtime-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(Error::Write)?;
        let path = dir.join("exec");
        write_executable(&path, &bytes).map_err(Error::Write)?;
        Ok(Action { path, env, owned_dir: Some(dir) })
    }

    /// The executable's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the directory this runtime created for the executable, if it did.
    pub fn remove_files(&self) {
        if let Some(dir) = &self.owned_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// Runs one activation to its end and returns its result: the last stdout line,
    /// when it is a JSON object or array. Every other output line is written to
    /// `logs` before this returns; the sentinel is the caller's.
    ///
    /// The process is killed if this future is dropped before it exits.
    pub async fn run(&self, request: &RunRequest, logs: &Logs) -> Result<String, Error> {
        let params = request.value.to_string();
        let via_stdin = params.len() > MAX_ARG_LEN;
        let mut command = Command::new(&self.path);
        if !via_stdin {
            command.arg(&params);
        }
        command
            // main removed it from the runtime's environment already; this keeps it
            // out should the runtime be embedded otherwise.
            .env_remove(crate::server::TOKEN_ENV)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .envs(request.env_vars())
            .current_dir(self.path.parent().unwrap_or(Path::new("/")))
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
}

fn write_executable(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut file =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o755).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    // The umask may have narrowed the mode given at creation.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
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
