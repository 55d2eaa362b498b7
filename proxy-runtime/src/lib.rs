//! The action runtime of an OpenWhisk action container, as a library; the binary in
//! `src/main.rs` runs it as PID 1 on port 8080.
//!
//! - [`protocol`]: the request and response types of `/init` and `/run`, and the
//!   error messages;
//! - [`action`]: writing the executable at init, and choosing its mode;
//! - [`process`]: the process-per-activation mode;
//! - [`actionloop`]: the actionloop mode, one process for every activation;
//! - [`logs`]: the container log and the end-of-activation sentinel;
//! - [`server`]: HTTP routing and the graceful stop.

pub mod action;
pub mod actionloop;
pub mod logs;
pub mod process;
pub mod protocol;
pub mod server;
