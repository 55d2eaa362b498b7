//! Nothing: this crate holds the peers bench (`benches/peers.rs`).
