//! The container lifecycle of a serverless invoker: Apache OpenWhisk's
//! `ContainerProxy` behaviour, declared with [`proxy_machine::lifecycle!`] and run
//! by its async driver.
//!
//! - [`container::lifecycle`]: the table, in one file;
//! - [`container::proxy`]: the rows' bodies and the parent protocol;
//! - [`container::backend`]: the seam a backend (`proxy-docker`, or the scripted
//!   test container behind the `scripted` feature) implements;
//! - [`random`]: the operating system's random bytes, for names and tokens.

pub mod container;
pub mod pool;
pub mod random;

pub use proxy_machine as machine;
