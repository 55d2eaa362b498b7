//! The container lifecycle of a serverless invoker, built on [`proxy_machine`].
//!
//! Status: this crate holds only the framework re-export for now. The container
//! lifecycle (the `ContainerProxy` behaviour of Apache OpenWhisk), its async driver
//! and the backend seam are the next piece of work and are not implemented yet.
//!
//! ```
//! use proxy_core::machine::MachineMeta;
//! let _: Option<MachineMeta<'static>> = None;
//! ```

pub use proxy_machine as machine;
