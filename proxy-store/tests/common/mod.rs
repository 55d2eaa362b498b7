//! Helpers shared by the store's tests: a store in a fresh temporary directory, and
//! records built from a few fields.
#![allow(dead_code, unreachable_pub)]

use proxy_store::doc::{ActionDoc, ActivationDoc, ExecDoc, KeyValue, ResponseDoc};
use proxy_store::{Options, SqliteStore};
use serde_json::json;
use tempfile::TempDir;

/// A store in its own temporary directory (removed when the `TempDir` drops).
pub fn fresh() -> (TempDir, SqliteStore) {
    fresh_with(&Options::default())
}

/// A store with `options` in its own temporary directory.
pub fn fresh_with(options: &Options) -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open_with(dir.path(), options).expect("the store opens").store;
    (dir, store)
}

/// Action `name` of `namespace`, a nodejs action.
pub fn action(namespace: &str, name: &str) -> ActionDoc {
    ActionDoc::new(namespace, name, ExecDoc::code("nodejs:20", format!("// {name}")))
}

/// Activation `id` of action `name` in `namespace`, started at `start` (ms), lasting
/// 5 ms, with a log line and a result that name it.
pub fn activation(namespace: &str, id: &str, name: &str, start: u64) -> ActivationDoc {
    ActivationDoc {
        logs: vec![format!("log of {id}")],
        annotations: vec![KeyValue { key: "path".into(), value: json!(format!("{namespace}/{name}")) }],
        ..ActivationDoc::new(namespace, id, name, start, start + 5, ResponseDoc::success(json!({ "id": id })))
    }
}
