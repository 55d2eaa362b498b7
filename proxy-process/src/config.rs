//! The backend's settings.

use std::path::PathBuf;
use std::time::Duration;

/// The backend's settings. `ProcessConfig::new("wsk0")` gives the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessConfig {
    /// The invoker instance: the first part of every container's id and of its
    /// working directory's name.
    pub instance: String,
    /// The `proxy-runtime` binary every container runs. `None`: `proxy-runtime` next
    /// to the current executable (or, for a test or bench binary in
    /// `target/<profile>/deps`, in `target/<profile>`), as `cargo build -p
    /// proxy-runtime` leaves it.
    pub runtime: Option<PathBuf>,
    /// Where the containers' working directories are created; `None`: the system's
    /// temp directory.
    pub temp_root: Option<PathBuf>,
    /// `__OW_API_HOST` in every container's environment.
    pub api_host: String,
    /// More environment variables for every container (upstream's `extra-env-vars`).
    /// The runtime's environment is otherwise cleared: only `PATH` is passed on.
    pub extra_env: Vec<(String, String)>,
    /// The open-files limit (`RLIMIT_NOFILE`, soft and hard) of each runtime and its
    /// actions.
    pub nofile: u64,
    /// `RLIMIT_NPROC` (soft and hard), or none. Beware: the kernel counts every
    /// process of the *user*, machine-wide, not of the container; and it does not
    /// hold for root. A bound on fork bombs, not a per-container count.
    pub nproc: Option<u64>,
    /// `RLIMIT_CPU` in seconds (soft and hard), or none: each action process gets
    /// this much CPU time; the runtime too, in total over all its activations (it is
    /// then killed, and the pool replaces the container).
    pub cpu_seconds: Option<u64>,
    /// Whether each container gets a cgroup v2 of its own with `memory.max` (and
    /// `cpu.max` for a CPU limit) where the machine allows it; where it does not,
    /// one log line says why and the rlimits are all.
    pub cgroup: bool,
    /// The cgroup v2 directory under which per-container cgroups are created;
    /// `None`: this process's own cgroup (which works where it is the root of a
    /// namespace or a delegated cgroup with the memory controller on).
    pub cgroup_parent: Option<PathBuf>,
    /// Whether warm containers are stopped (`SIGSTOP` to the process group).
    pub pause: bool,
    /// How long a started runtime may take to say where it listens.
    pub start_timeout: Duration,
    /// The longest silence between two log lines while waiting for the end
    /// sentinels (upstream: 2 s).
    pub log_idle_timeout: Duration,
    /// The most bytes of log lines kept per stream and container while nobody reads
    /// them (the oldest go first).
    pub log_buffer_bytes: usize,
}

impl ProcessConfig {
    /// The defaults for instance `instance`: the runtime next to the current
    /// executable, 1024 open files, 1024 processes (per user), 600 CPU seconds,
    /// cgroups where possible, pausing on, 5 s to start.
    pub fn new(instance: impl Into<String>) -> Self {
        ProcessConfig {
            instance: instance.into(),
            runtime: None,
            temp_root: None,
            api_host: "https://localhost".into(),
            extra_env: Vec::new(),
            nofile: 1024,
            nproc: Some(1024),
            cpu_seconds: Some(600),
            cgroup: true,
            cgroup_parent: None,
            pause: true,
            start_timeout: Duration::from_secs(5),
            log_idle_timeout: Duration::from_secs(2),
            log_buffer_bytes: 16 * 1024 * 1024,
        }
    }

    /// The id of the container proxy-core named `name`: `<instance>_<name>`, both
    /// cleaned to letters, digits and `_.-` (so it can name a directory and a cgroup).
    pub fn container_name(&self, name: &str) -> String {
        let clean = |s: &str| -> String {
            s.chars().map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' }).collect()
        };
        format!("{}_{}", clean(&self.instance), clean(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_clean() {
        assert_eq!(ProcessConfig::new("wsk0").container_name("ab_1_guest_x"), "wsk0_ab_1_guest_x");
        assert_eq!(ProcessConfig::new("a/b").container_name("../x y"), "a_b_.._x_y");
    }
}
