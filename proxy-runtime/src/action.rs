//! The action itself: one executable written at `/init`, and the mode it runs in.
//!
//! Two modes, chosen once per action at `/init` (see [`Mode::select`]):
//!
//! - [`Mode::PerActivation`], the default: one process per `/run`, the parameters in
//!   `argv[1]`, the result on the last stdout line ([`crate::process`]); the protocol of
//!   upstream's `dockerskeleton` (the `native` kind);
//! - [`Mode::ActionLoop`]: the executable is started once, at `/init`, and answers one
//!   JSON line per activation ([`crate::actionloop`]); the protocol of upstream's
//!   actionloop runtimes (Go, Python, the generic `actionloop` image), so an executable
//!   written for them runs here unchanged.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;

use crate::actionloop::ActionLoop;
use crate::logs::Logs;
use crate::protocol::{Error, InitValue, RunRequest};

/// Where the executable goes when the image provides this directory and it is writable.
pub const ACTION_DIR: &str = "/action";

/// The variable naming the directory the executable goes into instead of
/// [`ACTION_DIR`]: a runtime run as a child process (the process backend) shares the
/// host's filesystem with every other one, so a host's `/action` must not be theirs
/// in common; each gets its own directory.
pub const ACTION_DIR_ENV: &str = "PROXY_RUNTIME_ACTION_DIR";

/// The variable that selects the actionloop mode: `1` or `true` for it, `0`, `false`
/// or empty for one process per activation. Read from the `/init` `env` (the action's
/// init parameters) first, then from the runtime's own environment (the image, or
/// the container's `docker run -e`), as upstream chooses by image.
pub const ACTIONLOOP_ENV: &str = "PROXY_RUNTIME_ACTIONLOOP";

/// How an action's activations run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One process per activation.
    PerActivation,
    /// One process for every activation, one JSON line each way per activation.
    ActionLoop,
}

impl Mode {
    /// The mode [`ACTIONLOOP_ENV`] selects: its value in `init_env` if it is there,
    /// else `runtime_env`'s, else [`Mode::PerActivation`].
    ///
    /// Deviation D41: upstream selects by image: every action of an actionloop image (Go, Python 3,
    /// `actionloop-v2`) is a loop, every `native` one a process per activation. This
    /// runtime serves both, so the image (or the container) sets the default and an
    /// action can choose for itself through an init parameter; the executable itself
    /// stays as upstream's runtimes expect it.
    ///
    /// ```
    /// use proxy_runtime::action::Mode;
    ///
    /// assert_eq!(Mode::select(None, None).unwrap(), Mode::PerActivation);
    /// assert_eq!(Mode::select(None, Some("1")).unwrap(), Mode::ActionLoop);
    /// assert_eq!(Mode::select(Some("false"), Some("1")).unwrap(), Mode::PerActivation);
    /// assert_eq!(Mode::select(Some("true"), None).unwrap(), Mode::ActionLoop);
    /// assert!(Mode::select(Some("loop"), None).is_err());
    /// ```
    pub fn select(init_env: Option<&str>, runtime_env: Option<&str>) -> Result<Mode, Error> {
        match init_env.or(runtime_env).map(str::trim) {
            None | Some("" | "0" | "false") => Ok(Mode::PerActivation),
            Some("1" | "true") => Ok(Mode::ActionLoop),
            Some(other) => Err(Error::BadMode { variable: ACTIONLOOP_ENV, value: other.to_owned() }),
        }
    }
}

/// An initialized action: the executable, the environment of its processes, and, in
/// actionloop mode, its running process.
#[derive(Debug)]
pub struct Action {
    path: PathBuf,
    env: Vec<(String, String)>,
    /// A directory this runtime created for the executable, removed at shutdown.
    owned_dir: Option<PathBuf>,
    /// The process of an actionloop action; `None` in the process-per-activation mode.
    looped: Option<ActionLoop>,
}

impl Action {
    /// Decodes the code of `init`, checks that it can be executed, and writes it, mode
    /// 0755, as `exec` in [`ACTION_DIR`] if that directory exists and is writable, or
    /// else in `<temp dir>/proxy-runtime-<pid>/`. In actionloop mode, also starts it
    /// and waits for its acknowledgement.
    pub async fn install(init: &InitValue) -> Result<Action, Error> {
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
        let chosen = env.iter().find(|(k, _)| k == ACTIONLOOP_ENV).map(|(_, v)| v.as_str());
        let mode = Mode::select(chosen, std::env::var(ACTIONLOOP_ENV).ok().as_deref())?;
        let (path, owned_dir) = write_action(&bytes)?;
        let mut action = Action { path, env, owned_dir, looped: None };
        if mode == Mode::ActionLoop {
            match ActionLoop::start(&action.path, &action.env).await {
                Ok(looped) => action.looped = Some(looped),
                Err(error) => {
                    // A failed init leaves nothing behind: the next /init starts afresh.
                    action.remove_files();
                    return Err(error);
                }
            }
        }
        Ok(action)
    }

    /// The executable's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The mode the action runs in.
    pub fn mode(&self) -> Mode {
        if self.looped.is_some() {
            Mode::ActionLoop
        } else {
            Mode::PerActivation
        }
    }

    /// Removes the directory this runtime created for the executable, if it did.
    pub fn remove_files(&self) {
        if let Some(dir) = &self.owned_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// Runs one activation and returns its result, a JSON object or array. `body` is
    /// the `/run` body `request` was read from (what an actionloop action is sent).
    /// Every log line of the activation, then its sentinels, are in the container log
    /// before this returns.
    pub async fn run(&self, request: &RunRequest, body: &[u8], logs: &Logs) -> Result<String, Error> {
        match &self.looped {
            // Writes the sentinels before the next activation may start.
            Some(looped) => looped.run(body, logs).await,
            None => {
                let result = crate::process::run(&self.path, &self.env, request, logs).await;
                logs.end_activation().await;
                result
            }
        }
    }
}

/// Writes the executable where [`Action::install`] says; returns its path and the
/// directory created for it, if one was.
fn write_action(bytes: &[u8]) -> Result<(PathBuf, Option<PathBuf>), Error> {
    let chosen = std::env::var_os(ACTION_DIR_ENV).map(PathBuf::from);
    let fixed = chosen.as_deref().unwrap_or(Path::new(ACTION_DIR));
    if fixed.is_dir() {
        let path = fixed.join("exec");
        if write_executable(&path, bytes).is_ok() {
            return Ok((path, None));
        }
    }
    let dir = std::env::temp_dir().join(format!("proxy-runtime-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(Error::Write)?;
    let path = dir.join("exec");
    write_executable(&path, bytes).map_err(Error::Write)?;
    Ok((path, Some(dir)))
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
