//! The rlimits of a runtime, set with `prlimit(2)` on its pid right after it was
//! spawned (the workspace forbids `unsafe`, so there is no `pre_exec` with
//! `setrlimit`). The runtime runs no action before its `/init`, which comes after
//! [`create_container`](crate::ProcessFactory::create_container) returned, so every action process starts
//! under them (children inherit rlimits, across `exec` too).

use proxy_core::container::CreateSpec;
use rlimit::Resource;

use crate::config::ProcessConfig;
use crate::error::ProcessError;

/// The limits for `spec`: the address space from its memory limit, core dumps off,
/// and the configured open files, processes and CPU seconds.
pub(crate) fn for_spec(spec: &CreateSpec, config: &ProcessConfig) -> Vec<(&'static str, Resource, u64)> {
    let mut limits = vec![
        ("RLIMIT_AS", Resource::AS, spec.memory_mb.saturating_mul(1024 * 1024)),
        ("RLIMIT_CORE", Resource::CORE, 0),
        ("RLIMIT_NOFILE", Resource::NOFILE, config.nofile),
    ];
    if let Some(nproc) = config.nproc {
        limits.push(("RLIMIT_NPROC", Resource::NPROC, nproc));
    }
    if let Some(cpu) = config.cpu_seconds {
        limits.push(("RLIMIT_CPU", Resource::CPU, cpu));
    }
    limits
}

/// Sets each limit (soft and hard) on process `pid`.
pub(crate) fn apply(pid: i32, limits: &[(&'static str, Resource, u64)]) -> Result<(), ProcessError> {
    for &(resource, which, value) in limits {
        rlimit::prlimit(pid, which, Some((value, value)), None).map_err(|source| ProcessError::Limit {
            resource,
            pid,
            source,
        })?;
    }
    Ok(())
}

/// The soft limit of `which` on process `pid` (for tests and diagnostics).
pub fn current(pid: i32, which: Resource) -> std::io::Result<u64> {
    let (mut soft, mut hard) = (0, 0);
    rlimit::prlimit(pid, which, None, Some((&mut soft, &mut hard)))?;
    Ok(soft)
}
