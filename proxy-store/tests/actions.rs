//! Actions against a real SQLite file: create, conflict, overwrite (version bump,
//! new revision), conditional replace, get, list (newest first, paged), delete,
//! and a re-open that keeps them.

mod common;

use common::{action, fresh};
use proxy_store::doc::{ExecDoc, KeyValue, LimitsDoc, Parameter};
use proxy_store::{Page, PutMode, SqliteStore, Store, StoreError};
use serde_json::json;

#[tokio::test]
async fn create_then_get_returns_the_document_as_stored() {
    let (_dir, store) = fresh();
    let doc = proxy_store::doc::ActionDoc {
        limits: LimitsDoc { timeout: 3_000, memory: 128, logs: 1, concurrency: 4 },
        parameters: vec![Parameter::plain("greeting", json!("hi"))],
        annotations: vec![KeyValue { key: "provide-api-key".into(), value: json!(false) }],
        exec: ExecDoc { main: Some("run".into()), ..ExecDoc::code("python:3.11", "def run(a): return a") },
        ..action("guest", "hello")
    };
    let before = proxy_store::clock::now_ms();
    let created = store.put_action(doc.clone(), PutMode::Create).await.unwrap();
    assert_eq!(created.action.version, "0.0.1");
    assert!(created.action.updated >= before, "updated is set by the store");
    assert_eq!(created.action, proxy_store::doc::ActionDoc { updated: created.action.updated, ..doc });

    let read = store.get_action("guest", "hello").await.unwrap().expect("stored");
    assert_eq!(read, created);
    assert_eq!(store.get_action("guest", "nope").await.unwrap(), None);
    assert_eq!(store.get_action("other", "hello").await.unwrap(), None, "namespaces are apart");
}

#[tokio::test]
async fn a_second_create_is_a_conflict_and_changes_nothing() {
    let (_dir, store) = fresh();
    let first = store.put_action(action("guest", "hello"), PutMode::Create).await.unwrap();
    let changed =
        proxy_store::doc::ActionDoc { exec: ExecDoc::blackbox("me/img"), ..action("guest", "hello") };
    let error = store.put_action(changed, PutMode::Create).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Conflict { namespace, name } if namespace == "guest" && name == "hello"),
        "{error:?}"
    );
    assert_eq!(store.get_action("guest", "hello").await.unwrap(), Some(first));
}

#[tokio::test]
async fn overwrite_replaces_bumps_the_patch_and_the_revision() {
    let (_dir, store) = fresh();
    // Overwrite of a missing action creates it at the version given.
    let created = store.put_action(action("guest", "hello"), PutMode::Overwrite).await.unwrap();
    assert_eq!(created.action.version, "0.0.1");
    let mut revisions = vec![created.revision.clone()];
    for expected in ["0.0.2", "0.0.3"] {
        let doc = proxy_store::doc::ActionDoc {
            exec: ExecDoc::blackbox(format!("img:{expected}")),
            ..action("guest", "hello")
        };
        let updated = store.put_action(doc, PutMode::Overwrite).await.unwrap();
        assert_eq!(updated.action.version, expected);
        assert_eq!(updated.action.exec.image.as_deref(), Some(format!("img:{expected}").as_str()));
        assert!(!revisions.contains(&updated.revision), "a new revision on every write");
        revisions.push(updated.revision);
    }
    // The generation counts the writes, CouchDB style.
    assert!(revisions[2].as_str().starts_with("3-"), "{}", revisions[2]);
    assert_eq!(store.get_action("guest", "hello").await.unwrap().unwrap().action.version, "0.0.3");
}

#[tokio::test]
async fn replace_requires_the_revision_read() {
    let (_dir, store) = fresh();
    let missing = store.put_action(action("guest", "hello"), PutMode::Create).await.unwrap();
    let stale = missing.revision.clone();
    let now = store.put_action(action("guest", "hello"), PutMode::Replace(stale.clone())).await.unwrap();
    assert_eq!(now.action.version, "0.0.2");
    let error =
        store.put_action(action("guest", "hello"), PutMode::Replace(stale.clone())).await.unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "a stale revision: {error:?}");
    let error = store.put_action(action("guest", "other"), PutMode::Replace(stale)).await.unwrap_err();
    assert!(matches!(error, StoreError::Conflict { .. }), "nothing to replace: {error:?}");
    assert_eq!(store.get_action("guest", "hello").await.unwrap(), Some(now));
    assert_eq!(store.get_action("guest", "other").await.unwrap(), None);
}

#[tokio::test]
async fn list_is_newest_first_paged_and_per_namespace() {
    let (_dir, store) = fresh();
    for name in ["a", "b", "c", "d"] {
        store.put_action(action("guest", name), PutMode::Create).await.unwrap();
    }
    store.put_action(action("other", "x"), PutMode::Create).await.unwrap();
    // Updating `b` makes it the newest; `updated` ties (same ms) go to the later write (D34).
    store.put_action(action("guest", "b"), PutMode::Overwrite).await.unwrap();
    let names = |listed: Vec<proxy_store::doc::StoredAction>| {
        listed.into_iter().map(|stored| stored.action.name).collect::<Vec<_>>()
    };
    let all = store.list_actions("guest", Page { limit: 10, skip: 0 }).await.unwrap();
    assert_eq!(names(all), ["b", "d", "c", "a"]);
    assert_eq!(names(store.list_actions("guest", Page { limit: 2, skip: 1 }).await.unwrap()), ["d", "c"]);
    assert_eq!(names(store.list_actions("guest", Page { limit: 2, skip: 3 }).await.unwrap()), ["a"]);
    assert_eq!(
        names(store.list_actions("guest", Page { limit: 0, skip: 0 }).await.unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(names(store.list_actions("other", Page::default()).await.unwrap()), ["x"]);
    assert!(store.list_actions("nobody", Page::default()).await.unwrap().is_empty());
}

#[tokio::test]
async fn delete_returns_what_was_there_once() {
    let (_dir, store) = fresh();
    let stored = store.put_action(action("guest", "hello"), PutMode::Create).await.unwrap();
    assert_eq!(store.delete_action("other", "hello").await.unwrap(), None, "not another namespace's");
    assert_eq!(store.delete_action("guest", "hello").await.unwrap(), Some(stored.clone()));
    assert_eq!(store.delete_action("guest", "hello").await.unwrap(), None, "already deleted is an outcome");
    assert_eq!(store.get_action("guest", "hello").await.unwrap(), None);
    // Created again, it starts over, and the old revision does not match it.
    let again = store.put_action(action("guest", "hello"), PutMode::Create).await.unwrap();
    assert_eq!(again.action.version, "0.0.1");
    assert_ne!(again.revision, stored.revision);
}

#[tokio::test]
async fn actions_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap().store;
    let stored = store.put_action(action("guest", "hello"), PutMode::Create).await.unwrap();
    store.close().await;
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap().store;
    assert_eq!(store.get_action("guest", "hello").await.unwrap(), Some(stored));
}

#[tokio::test]
async fn concurrent_creates_of_one_name_let_exactly_one_win() {
    let (_dir, store) = fresh();
    let attempts: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            let doc = proxy_store::doc::ActionDoc {
                exec: ExecDoc::blackbox(format!("img:{i}")),
                ..action("guest", "race")
            };
            tokio::spawn(async move { store.put_action(doc, PutMode::Create).await })
        })
        .collect();
    let mut won = Vec::new();
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(stored) => won.push(stored),
            Err(StoreError::Conflict { .. }) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(won.len(), 1);
    assert_eq!(store.get_action("guest", "race").await.unwrap(), Some(won.remove(0)));
}

#[tokio::test]
async fn the_store_serves_as_a_shared_trait_object() {
    let (_dir, store) = fresh();
    let shared: std::sync::Arc<dyn Store> = std::sync::Arc::new(store);
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let shared = std::sync::Arc::clone(&shared);
            tokio::spawn(async move {
                shared.put_action(action("guest", &format!("a{i}")), PutMode::Create).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(shared.list_actions("guest", Page::default()).await.unwrap().len(), 4);
}
