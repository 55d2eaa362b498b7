//! The actionloop mode: one action process for every activation, as upstream's
//! actionloop runtimes (`openwhisk-runtime-go`'s proxy) run it.
//!
//! The protocol, from the action's side:
//!
//! - it is started once, at `/init`, with no arguments, the runtime's environment less
//!   the token, the init `env`, and `__OW_WAIT_FOR_ACK=1`; its stdout and stderr are the
//!   runtime's own (the container log), and file descriptor 3 is the write end of a
//!   pipe the runtime reads;
//! - it writes `{"ok": true}` and a newline on fd 3 once it is ready; `/init` answers
//!   only then (an exit first, or another line, fails the init);
//! - per activation, it reads one line on stdin: the `/run` body (`value` and the
//!   activation fields `namespace`, `action_name`, `activation_id`, `deadline`,
//!   `api_key`, ...; see [`activation_line`]), and answers one line on fd 3: the
//!   result, a JSON object or array. Then it waits for the next line.
//!
//! One activation at a time per process, in arrival order (deviation D43: upstream's
//! proxy does not serialise them, and two requests at once interleave their lines): a
//! line protocol on one pipe cannot tell two answers apart.
//!
//! Always with the acknowledgement (D42): upstream waits for it only when its image
//! sets `OW_WAIT_FOR_ACK`, as all its newer ones do; Go's launcher sends it in any case.
//!
//! Failures, with upstream's answers: an answer that is no JSON object or array is a
//! 502 and the process stays; an exit, or fd 3 or stdin closed, during an activation
//! is a 400 `command exited` and the process is gone for good: every later `/run`
//! answers 500 `command exited` (upstream: 500 `no action defined yet`, deviation
//! D40), and the invoker, taking any non-200 `/run` for a developer error, destroys
//! the container. A process that exits between activations is found at the next one
//! (500 `command exited`, as upstream's `Exited()` check).

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use command_fds::{CommandFdExt, FdMapping};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::Mutex;

use crate::logs::Logs;
use crate::protocol::{activation_line, check_ack, json_result, Error};

/// The file descriptor an actionloop action answers on.
pub const ANSWER_FD: i32 = 3;

/// The variable that tells the action to acknowledge its start on fd 3, as upstream's
/// proxy sets it when its image asks for acknowledgements (all its newer runtimes do).
pub const WAIT_FOR_ACK_ENV: &str = "__OW_WAIT_FOR_ACK";

/// The running action process of an actionloop action.
#[derive(Debug)]
pub(crate) struct ActionLoop {
    /// Shared with the task of the activation in flight, which holds the lock; `None`
    /// once the process died or answered nothing: never restarted, as upstream.
    state: Arc<Mutex<Option<Process>>>,
}

#[derive(Debug)]
struct Process {
    /// Killed when dropped.
    child: Child,
    stdin: ChildStdin,
    answers: BufReader<pipe::Receiver>,
}

impl ActionLoop {
    /// Starts `path` and waits for its acknowledgement.
    pub(crate) async fn start(path: &Path, env: &[(String, String)]) -> Result<ActionLoop, Error> {
        let (writer, reader) = pipe::pipe().map_err(Error::CannotStart)?;
        // The action writes with plain blocking writes.
        let writer = writer.into_blocking_fd().map_err(Error::CannotStart)?;
        let mut command = Command::new(path);
        command
            .env_remove(crate::server::TOKEN_ENV)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env(WAIT_FOR_ACK_ENV, "1")
            .current_dir(path.parent().unwrap_or(Path::new("/")))
            .stdin(Stdio::piped())
            // The container log itself, as upstream: the action's lines reach it
            // before its answer does, so the sentinels written after the answer
            // come after them.
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        // One mapping cannot collide with itself.
        let _ = command.fd_mappings(vec![FdMapping { parent_fd: writer, child_fd: ANSWER_FD }]);
        let spawned = command.spawn();
        // The command holds the runtime's copy of the pipe's write end: without
        // dropping it, the runtime would never see the end of the pipe.
        drop(command);
        let mut child = spawned.map_err(Error::CannotStart)?;
        let Some(stdin) = child.stdin.take() else {
            return Err(Error::CannotStart(std::io::Error::other("no stdin pipe")));
        };
        let mut answers = BufReader::new(reader);

        let mut ack = Vec::new();
        tokio::select! {
            biased;
            read = answers.read_until(b'\n', &mut ack) => match read {
                // fd 3 closed: upstream reads it as an exit.
                Ok(0) => return Err(Error::ExitedAtStart),
                Ok(_) => check_ack(&ack)?,
                Err(error) => return Err(Error::CannotStart(error)),
            },
            _ = child.wait() => return Err(Error::ExitedAtStart),
        }
        let process = Process { child, stdin, answers };
        Ok(ActionLoop { state: Arc::new(Mutex::new(Some(process))) })
    }

    /// Sends one activation (`body`, the `/run` body) and returns the answer, once
    /// the activation's sentinels are in `logs`.
    pub(crate) async fn run(&self, body: &[u8], logs: &Logs) -> Result<String, Error> {
        let line = activation_line(body);
        let state = Arc::clone(&self.state);
        // A task of its own: should the caller go away (a client that gave up), the
        // exchange still reads its answer, so the next activation reads its own.
        let exchange = tokio::spawn(async move {
            let mut state = state.lock_owned().await;
            let result = exchange(&mut state, &line).await;
            (result, state)
        });
        match exchange.await {
            Ok((result, _next_waits)) => {
                // Still holding the process: the next activation's lines come after
                // these sentinels.
                logs.end_activation().await;
                result
            }
            // Only when the runtime is shutting down.
            Err(_) => {
                logs.end_activation().await;
                Err(Error::Gone)
            }
        }
    }
}

/// One activation on the process in `state`.
async fn exchange(state: &mut Option<Process>, line: &[u8]) -> Result<String, Error> {
    let Some(process) = state else { return Err(Error::Gone) };
    if !matches!(process.child.try_wait(), Ok(None)) {
        // It exited since the last activation.
        *state = None;
        return Err(Error::Gone);
    }
    match process.ask(line).await {
        Ok(answer) => json_result(&answer).map(str::to_owned).ok_or(Error::NotADictionary),
        Err(error) => {
            // Stdin or fd 3 closed, it may still be alive: killed and reaped here, not
            // left as a zombie for tokio to reap some time later.
            if let Some(mut process) = state.take() {
                let _ = process.child.kill().await;
            }
            Err(error)
        }
    }
}

impl Process {
    /// Writes `line`, reads one answer line; fails if the process exits first.
    async fn ask(&mut self, line: &[u8]) -> Result<Vec<u8>, Error> {
        let Process { child, stdin, answers } = self;
        let talk = async move {
            stdin.write_all(line).await.map_err(|e| Error::Died(Some(e)))?;
            let mut answer = Vec::new();
            match answers.read_until(b'\n', &mut answer).await {
                // A last line without its newline was cut short by the exit.
                Ok(_) if answer.ends_with(b"\n") => Ok(answer),
                Ok(_) => Err(Error::Died(None)),
                Err(error) => Err(Error::Died(Some(error))),
            }
        };
        tokio::select! {
            // An answer written just before an exit is still an answer.
            biased;
            answer = talk => answer,
            _ = child.wait() => Err(Error::Died(None)),
        }
    }
}
