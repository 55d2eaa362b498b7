//! What an idle warm container costs in memory: in the pool (the pool's state and
//! its proxy), and as a bare proxy, on the invoker of `benches/pool.rs`.
//!
//! Every allocation is counted (`stats_alloc` as the global allocator; live bytes =
//! allocated minus freed plus the growth of reallocations), which is why this is a
//! binary of its own: the counters would tax the throughput figures of `pool`.
//!
//! - pool: live bytes before and after spawning a pool and taking [`CONTAINERS`]
//!   distinct actions' containers to warm through it (one cold activation each,
//!   every activation stored and its record freed, every container back in the free
//!   pool), minus the same for a pool of no container; over [`CONTAINERS`];
//! - proxies alone: live bytes before and after spawning as many proxies and taking
//!   each to warm with one activation (their `Running` handles kept, their notice
//!   receivers dropped as in `pool`'s baseline); over [`CONTAINERS`].
//!
//! The actions are built before any count and kept, so they are not counted; a
//! first pool and proxy are warmed first, so the runtime's and the allocator's
//! one-off allocations are not either.
//!
//! Run with `cargo bench -p proxy-core --bench pool_memory`; `cargo test --benches`
//! runs it with small counts.

mod support;

use std::alloc::System;
use std::hint::black_box;

use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use support::pool::World;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Idle warm containers measured.
const CONTAINERS: usize = 1_000;

/// Bytes allocated and not freed so far.
fn live_bytes() -> isize {
    let stats = GLOBAL.stats();
    stats.bytes_allocated as isize - stats.bytes_deallocated as isize + stats.bytes_reallocated
}

fn main() {
    let containers = if std::env::args().any(|arg| arg == "--bench") { CONTAINERS } else { 20 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (empty, world) = (World::new(0, 1), World::new(containers, 1));
    let first = World::new(1, 1);
    let (pool, empty_pool, proxies) = rt.block_on(async {
        let kept = (first.warm_pool().await, first.warm_proxies().await);
        let before = live_bytes();
        let empty_pool = empty.warm_pool().await;
        let empty_pool_bytes = live_bytes() - before;
        let before = live_bytes();
        let pool = world.warm_pool().await;
        let pool_bytes = live_bytes() - before;
        let before = live_bytes();
        let proxies = world.warm_proxies().await;
        let proxy_bytes = live_bytes() - before;
        black_box((kept, empty_pool, pool, proxies));
        (pool_bytes, empty_pool_bytes, proxy_bytes)
    });
    let per = |bytes: isize| bytes as f64 / containers as f64;
    println!(
        "memory: a pool of no container {empty_pool} B; {containers} idle warm containers: \
         pool + proxies {:.0} B each, proxies alone {:.0} B each, the pool's share {:.0} B each",
        per(pool - empty_pool),
        per(proxies),
        per(pool - empty_pool - proxies),
    );
}
