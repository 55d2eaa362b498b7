//! The embedded store of the `proxyctl` server: actions, activations (with their logs
//! and results) and subjects, behind the [`Store`] trait, on SQLite.
//!
//! # Design
//!
//! - **The seam.** [`Store`] is what the server uses; [`SqliteStore`] implements it
//!   for one node. A shared database (PostgreSQL) serving several invokers would
//!   implement the same trait: nothing in it assumes one process (revisions guard
//!   read-modify-write of actions, activation ids are unique per namespace, a put's
//!   conflict check runs in the transaction of its write).
//! - **Documents in upstream's shapes.** [`doc`] holds the action and activation
//!   documents with the field names of OpenWhisk's REST API v1, so the server returns
//!   what it reads. Each table keeps the JSON beside the columns its queries filter
//!   and sort on.
//! - **Schema migrations** keyed by `PRAGMA user_version`, each in one transaction; a
//!   database newer than the binary is refused with both versions named.
//! - **Activations never hold up the ack path.** [`ActivationSink::store`] only queues
//!   the record on a bounded channel to a writer thread, which commits in batches:
//!   everything queued when a commit starts goes into that transaction (group
//!   commit), so one fsync serves every record that arrived during the previous one.
//!   Each record comes with a [`Durable`] future for callers that must answer only
//!   with a committed record; [`Store::flush`] waits for everything queued before it.
//!   What [`Durable`] reported committed survives a `kill -9` of the process; with
//!   [`Options::sync_to_disk`] also a power cut, at an fsync per commit (see that
//!   option for why it is off by default).
//! - **Reads** run on tokio's blocking pool, each with a connection from a small pool
//!   of read-only connections, which WAL lets run beside the writer and each other
//!   (why a pool and not one mutex'd connection: see the `pool` module).
//! - **Keys** are stored as SHA-256 hashes and compared in constant time; the guest's
//!   key is returned once, by the open that created it ([`Opened::guest`]).
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! use proxy_store::doc::{ActionDoc, ActivationDoc, ExecDoc, ResponseDoc};
//! use proxy_store::{ActivationQuery, PutMode, SqliteStore, Store};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(dir.path()).unwrap().store;
//! let hello = ActionDoc::new("guest", "hello", ExecDoc::code("nodejs:20", "function main() {}"));
//! store.put_action(hello.clone(), PutMode::Create).await.unwrap();
//! let updated = store.put_action(hello, PutMode::Overwrite).await.unwrap();
//! assert_eq!(updated.action.version, "0.0.2");
//!
//! let record = ActivationDoc::new("guest", "a1", "hello", 1_000, 1_005, ResponseDoc::success(serde_json::json!({"ok": 1})));
//! store.insert_activation(record).await.unwrap().await.unwrap(); // queued, then durable
//! let listed = store.list_activations("guest", &ActivationQuery::default()).await.unwrap();
//! assert_eq!(listed[0].activation_id, "a1");
//! # });
//! ```
//!
//! [`ActivationSink::store`]: proxy_core::container::ActivationSink::store

pub mod clock;
pub mod doc;
mod error;
mod sink;
pub mod sqlite;
mod store;

pub use error::StoreError;
pub use sqlite::{Opened, Options, SqliteStore, WriterStats};
pub use store::{ActivationQuery, Durable, Page, PutMode, Store};
