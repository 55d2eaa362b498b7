//! Finding the `proxy-runtime` binary.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::ProcessError;

/// The binary's file name.
pub const RUNTIME_NAME: &str = "proxy-runtime";

/// The runtime binary: `configured` if given, else `proxy-runtime` next to the
/// current executable, or one directory up when the executable is in a `deps`
/// directory (a test or bench binary: cargo puts `proxy-runtime` in
/// `target/<profile>`). Checked to be an executable file.
pub fn runtime_binary(configured: Option<&Path>) -> Result<PathBuf, ProcessError> {
    let path = match configured {
        Some(path) => path.to_path_buf(),
        None => default_path(&std::env::current_exe().map_err(ProcessError::NoCurrentExe)?),
    };
    let metadata = std::fs::metadata(&path)
        .map_err(|source| ProcessError::RuntimeMissing { path: path.clone(), source })?;
    if !metadata.is_file() || metadata.permissions().mode() & 0o111 == 0 {
        return Err(ProcessError::RuntimeNotExecutable { path });
    }
    Ok(path)
}

/// Where the runtime is looked for, given the current executable.
fn default_path(exe: &Path) -> PathBuf {
    let dir = exe.parent().unwrap_or(Path::new("."));
    let dir = if dir.file_name().is_some_and(|n| n == "deps") { dir.parent().unwrap_or(dir) } else { dir };
    dir.join(RUNTIME_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_to_the_executable_or_above_deps() {
        assert_eq!(default_path(Path::new("/opt/bin/proxyctl")), Path::new("/opt/bin/proxy-runtime"));
        assert_eq!(
            default_path(Path::new("/w/target/debug/deps/suite-1234")),
            Path::new("/w/target/debug/proxy-runtime")
        );
    }

    #[test]
    fn a_missing_runtime_says_how_to_build_it() {
        let error = runtime_binary(Some(Path::new("/nonexistent/proxy-runtime"))).unwrap_err();
        assert!(matches!(error, ProcessError::RuntimeMissing { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("/nonexistent/proxy-runtime"), "{message}");
        assert!(message.contains("cargo build -p proxy-runtime"), "{message}");
        let error = runtime_binary(Some(Path::new("/"))).unwrap_err();
        assert!(matches!(error, ProcessError::RuntimeNotExecutable { .. }), "{error:?}");
    }
}
