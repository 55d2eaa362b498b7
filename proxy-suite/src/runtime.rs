//! The `proxy-runtime` binary for backends that run it directly (the process
//! backend): built once per test process with cargo (a no-op when up to date), in
//! the profile of the calling test or bench binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `PROXY_RUNTIME_NATIVE` names a prebuilt binary instead.
pub const NATIVE_ENV: &str = "PROXY_RUNTIME_NATIVE";

/// The workspace's root (this crate's parent).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new(".")).to_path_buf()
}

/// `proxy-runtime` in `target/<profile>`, where `<profile>` is the directory of the
/// calling executable's `deps` (`debug` for tests, `release` for benches): built
/// with `cargo build -p proxy-runtime [--release]`, once per process.
pub fn native_runtime() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(prebuilt) = std::env::var_os(NATIVE_ENV) {
                return Ok(PathBuf::from(prebuilt));
            }
            let exe = std::env::current_exe().map_err(|e| format!("no current executable: {e}"))?;
            let profile_dir = exe
                .parent()
                .and_then(|deps| deps.parent())
                .ok_or_else(|| format!("{} is not in target/<profile>/deps", exe.display()))?;
            let release = profile_dir.file_name().is_some_and(|n| n == "release");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut command = Command::new(cargo);
            command.current_dir(workspace()).args(["build", "-p", "proxy-runtime"]);
            if release {
                command.arg("--release");
            }
            // The test's own target directory, whatever it is.
            if let Some(target) = profile_dir.parent() {
                command.env("CARGO_TARGET_DIR", target);
            }
            let status = command.status().map_err(|e| format!("cannot run cargo: {e}"))?;
            let binary = profile_dir.join("proxy-runtime");
            if !status.success() || !binary.exists() {
                return Err(format!(
                    "`cargo build -p proxy-runtime` failed ({status}); {} missing",
                    binary.display()
                ));
            }
            Ok(binary)
        })
        .clone()
}
