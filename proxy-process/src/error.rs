//! The backend's errors.

use std::path::PathBuf;
use std::time::Duration;

/// What went wrong in the process backend. Each keeps its cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// The runtime binary is not there.
    #[error(
        "the action runtime {path} is missing: build it with `cargo build -p proxy-runtime` \
         (it is looked for next to the current executable), or name it in ProcessConfig::runtime"
    )]
    RuntimeMissing {
        /// Where it was looked for.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The runtime path names something that is not an executable file.
    #[error(
        "the action runtime {path} is not an executable file: build it with `cargo build -p proxy-runtime`, \
         or name the binary in ProcessConfig::runtime"
    )]
    RuntimeNotExecutable {
        /// The path.
        path: PathBuf,
    },
    /// The current executable's path is unknown, so no default runtime path.
    #[error("cannot find the current executable to look for proxy-runtime next to it; name it in ProcessConfig::runtime")]
    NoCurrentExe(#[source] std::io::Error),
    /// No random bytes for the container's token.
    #[error("no token for the container")]
    NoRandomness(#[source] proxy_core::random::NoRandomness),
    /// The container's working directory could not be created.
    #[error("cannot create a working directory under {root}")]
    TempDir {
        /// The parent directory.
        root: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The runtime could not be started.
    #[error("cannot start the action runtime {path}")]
    Spawn {
        /// The binary.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An rlimit could not be set on the runtime.
    #[error("cannot set {resource} of the action runtime (pid {pid})")]
    Limit {
        /// The resource (`RLIMIT_AS`, ..).
        resource: &'static str,
        /// The runtime's pid.
        pid: i32,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The runtime exited before it listened.
    #[error("the action runtime exited at start ({status}); it said: {stderr}")]
    Exited {
        /// Its exit status.
        status: String,
        /// What it wrote to stderr (the start of it).
        stderr: String,
    },
    /// The runtime did not say where it listens in time.
    #[error("the action runtime did not say where it listens within {0:?}")]
    StartTimedOut(Duration),
    /// The runtime's first stdout line is not the address announcement.
    #[error("the action runtime's first line is not its address: {line:?}")]
    BadAnnouncement {
        /// The line.
        line: String,
    },
    /// Reading the runtime's stdout failed.
    #[error("cannot read the action runtime's stdout")]
    Stdout(#[source] std::io::Error),
    /// A signal to the runtime's process group failed.
    #[error("cannot send {signal} to the action runtime's process group {pgid}")]
    Signal {
        /// The signal's name.
        signal: &'static str,
        /// The process group (the runtime's pid).
        pgid: i32,
        /// The cause.
        #[source]
        source: nix::errno::Errno,
    },
    /// The runtime was killed but did not exit in time.
    #[error("the action runtime (pid {pid}) did not exit within {timeout:?} of SIGKILL")]
    NotReaped {
        /// Its pid.
        pid: i32,
        /// How long it was given.
        timeout: Duration,
    },
    /// Waiting for the runtime's exit failed.
    #[error("cannot wait for the action runtime (pid {pid})")]
    Wait {
        /// Its pid.
        pid: i32,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The working directory could not be removed.
    #[error("cannot remove the working directory {dir}")]
    RemoveDir {
        /// The directory.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
