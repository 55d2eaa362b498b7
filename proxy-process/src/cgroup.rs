//! cgroup v2 limits where the machine lets this process create cgroups: each
//! container's runtime goes into a cgroup of its own with `memory.max` (and
//! `memory.swap.max` 0, and `cpu.max` for a CPU limit), whose `memory.events` tells
//! an out-of-memory kill. Elsewhere (cgroup v1, no delegation, no memory
//! controller) the backend says once why not, and the rlimits are all.

use std::path::{Path, PathBuf};

/// The root of the unified hierarchy.
const UNIFIED: &str = "/sys/fs/cgroup";

/// Whether per-container cgroups can be made, and under which directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CgroupSupport {
    /// Per-container cgroups are created under this directory.
    Available(PathBuf),
    /// Not used, and why.
    Unavailable(String),
}

impl CgroupSupport {
    /// Decides once, at the factory's start: `parent` (or this process's own
    /// cgroup v2) must offer the memory controller to its children, enabling it if
    /// it can.
    pub(crate) fn detect(parent: Option<&Path>) -> CgroupSupport {
        match find_parent(parent) {
            Ok(dir) => CgroupSupport::Available(dir),
            Err(reason) => CgroupSupport::Unavailable(reason),
        }
    }
}

fn find_parent(parent: Option<&Path>) -> Result<PathBuf, String> {
    let dir = match parent {
        Some(dir) => dir.to_path_buf(),
        None => {
            if !Path::new(UNIFIED).join("cgroup.controllers").exists() {
                return Err(format!("no cgroup v2 hierarchy at {UNIFIED} (cgroup v1 or none)"));
            }
            let own = std::fs::read_to_string("/proc/self/cgroup")
                .map_err(|e| format!("cannot read /proc/self/cgroup: {e}"))?;
            let path = own
                .lines()
                .find_map(|l| l.strip_prefix("0::"))
                .ok_or("this process is in no cgroup v2 (/proc/self/cgroup has no 0:: line)")?;
            Path::new(UNIFIED).join(path.trim_start_matches('/'))
        }
    };
    let controllers = std::fs::read_to_string(dir.join("cgroup.controllers"))
        .map_err(|e| format!("{} is no cgroup v2 directory: {e}", dir.display()))?;
    if !controllers.split_whitespace().any(|c| c == "memory") {
        return Err(format!("the memory controller is not available in {}", dir.display()));
    }
    let subtree = dir.join("cgroup.subtree_control");
    let enabled = std::fs::read_to_string(&subtree).unwrap_or_default();
    if !enabled.split_whitespace().any(|c| c == "memory") {
        // Fails (EBUSY) where the cgroup holds processes and is not a root: the
        // "no internal processes" rule.
        std::fs::write(&subtree, "+memory")
            .map_err(|e| format!("cannot enable the memory controller in {}: {e}", subtree.display()))?;
    }
    // Best effort: a CPU limit needs the cpu controller, memory does not.
    if !enabled.split_whitespace().any(|c| c == "cpu") {
        let _ = std::fs::write(&subtree, "+cpu");
    }
    Ok(dir)
}

/// One container's cgroup.
#[derive(Debug)]
pub(crate) struct Cgroup {
    dir: PathBuf,
}

impl Cgroup {
    /// Creates `parent/name` with its limits.
    pub(crate) fn create(
        parent: &Path,
        name: &str,
        memory_bytes: u64,
        cpu_limit: Option<f64>,
    ) -> std::io::Result<Cgroup> {
        let dir = parent.join(name);
        std::fs::create_dir(&dir)?;
        let cgroup = Cgroup { dir };
        let limits = || -> std::io::Result<()> {
            std::fs::write(cgroup.dir.join("memory.max"), memory_bytes.to_string())?;
            // Absent without swap accounting: nothing to limit then.
            let _ = std::fs::write(cgroup.dir.join("memory.swap.max"), "0");
            if let Some(cpus) = cpu_limit {
                let period = 100_000u64;
                let quota = ((cpus * period as f64).round() as u64).max(1000);
                if let Err(error) = std::fs::write(cgroup.dir.join("cpu.max"), format!("{quota} {period}")) {
                    tracing::debug!(%error, "no cpu.max for the container's cgroup");
                }
            }
            Ok(())
        };
        if let Err(error) = limits() {
            cgroup.remove();
            return Err(error);
        }
        Ok(cgroup)
    }

    /// Moves process `pid` into the cgroup.
    pub(crate) fn add(&self, pid: i32) -> std::io::Result<()> {
        std::fs::write(self.dir.join("cgroup.procs"), pid.to_string())
    }

    /// How many processes of the cgroup the kernel killed for memory so far.
    pub(crate) fn oom_kills(&self) -> u64 {
        let events = std::fs::read_to_string(self.dir.join("memory.events")).unwrap_or_default();
        events
            .lines()
            .find_map(|l| l.strip_prefix("oom_kill "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Removes the cgroup (it must be empty: after the runtime was reaped).
    pub(crate) fn remove(&self) {
        if let Err(error) = std::fs::remove_dir(&self.dir) {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(cgroup = %self.dir.display(), %error, "could not remove a container's cgroup");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_that_is_no_cgroup_is_refused_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        match CgroupSupport::detect(Some(dir.path())) {
            CgroupSupport::Unavailable(reason) => {
                assert!(reason.contains("no cgroup v2 directory"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
}
