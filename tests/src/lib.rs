//! Cross-crate tests of `lifecycle!`: trybuild diagnostics, runtime dispatch
//! against the table, lint hygiene. The library holds the example machines the
//! tests share.

pub mod machines;
