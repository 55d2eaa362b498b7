//! What the randomized tests share: the backend calls a story scripts and their
//! generators, the bookkeeping of what was scripted (`script.rs`), and the runner
//! with its case-count and seed variables (`runner.rs`); and the one-proxy
//! harness of the scenario tests (`proxy.rs`). `tests/exactly_once.rs`
//! (the proxy alone) and `tests/pool_exactly_once.rs` (the pool and its proxies)
//! both use them; each test crate uses a part, so the rest is dead code there.

#![allow(dead_code)]

pub(crate) mod proxy;
pub(crate) mod runner;
pub(crate) mod script;
