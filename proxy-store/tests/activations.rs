//! Activations against a real SQLite file: insert (queued, then durable), get, logs,
//! result, briefs, duplicates, namespaces apart, the filters of a list, and the store
//! as the container proxy's activation sink.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{activation, fresh};
use proxy_core::container::{
    Action, Activation, ActivationMessage, ActivationResponse, ActivationSink, Interval, Run,
};
use proxy_store::doc::{ActivationDoc, KeyValue, ResponseDoc};
use proxy_store::{ActivationQuery, Page, SqliteStore, Store, StoreError};
use serde_json::json;

async fn insert(store: &SqliteStore, doc: ActivationDoc) {
    store.insert_activation(doc).await.expect("queued").await.expect("durable");
}

#[tokio::test]
async fn a_durable_activation_reads_back_whole() {
    let (_dir, store) = fresh();
    let doc = ActivationDoc {
        logs: vec!["2026-12-02T06:00:00Z stdout: one".into(), "two".into()],
        annotations: vec![KeyValue { key: "limits".into(), value: json!({"timeout": 60000}) }],
        cause: Some("parent".into()),
        subject: "someone".into(),
        ..activation("guest", "a1", "hello", 1_000)
    };
    insert(&store, doc.clone()).await;
    assert_eq!(store.get_activation("guest", "a1").await.unwrap(), Some(doc.clone()));
    assert_eq!(store.activation_logs("guest", "a1").await.unwrap(), Some(doc.logs.clone()));
    assert_eq!(store.activation_result("guest", "a1").await.unwrap(), Some(doc.response.clone()));
    let briefs = store.list_activation_briefs("guest", &ActivationQuery::default()).await.unwrap();
    assert_eq!(briefs, vec![doc.brief()]);
    for (namespace, id) in [("other", "a1"), ("guest", "a2")] {
        assert_eq!(store.get_activation(namespace, id).await.unwrap(), None);
        assert_eq!(store.activation_logs(namespace, id).await.unwrap(), None);
        assert_eq!(store.activation_result(namespace, id).await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_duplicate_id_is_refused_and_the_first_stays() {
    let (_dir, store) = fresh();
    insert(&store, activation("guest", "a1", "hello", 1_000)).await;
    let second = ActivationDoc { name: "other".into(), ..activation("guest", "a1", "hello", 2_000) };
    let error = store.insert_activation(second).await.unwrap().await.unwrap_err();
    assert!(
        matches!(&error, StoreError::DuplicateActivation { activation_id, .. } if activation_id == "a1"),
        "{error:?}"
    );
    assert_eq!(store.get_activation("guest", "a1").await.unwrap().unwrap().name, "hello");
    // The same id in another namespace is another activation (upstream's ids are
    // `namespace/activationId`).
    insert(&store, activation("other", "a1", "hello", 3_000)).await;
    assert_eq!(store.writer_stats().records, 2);
}

#[tokio::test]
async fn list_filters_by_name_since_upto_and_pages_newest_first() {
    let (_dir, store) = fresh();
    let starts = [("a", "x", 100), ("b", "y", 200), ("c", "x", 300), ("d", "x", 300), ("e", "y", 400)];
    for (id, name, start) in starts {
        insert(&store, activation("guest", id, name, start)).await;
    }
    insert(&store, activation("other", "z", "x", 250)).await;
    let ids = |query: ActivationQuery| {
        let store = store.clone();
        async move {
            let docs = store.list_activations("guest", &query).await.unwrap();
            let briefs = store.list_activation_briefs("guest", &query).await.unwrap();
            assert_eq!(
                briefs,
                docs.iter().map(ActivationDoc::brief).collect::<Vec<_>>(),
                "the same selection"
            );
            docs.into_iter().map(|doc| doc.activation_id).collect::<Vec<_>>()
        }
    };
    // Equal starts: the later insert first (deviation D34).
    assert_eq!(ids(ActivationQuery::default()).await, ["e", "d", "c", "b", "a"]);
    assert_eq!(ids(ActivationQuery { name: Some("x".into()), ..Default::default() }).await, ["d", "c", "a"]);
    // since and upto are inclusive.
    assert_eq!(ids(ActivationQuery { since: Some(200), ..Default::default() }).await, ["e", "d", "c", "b"]);
    assert_eq!(ids(ActivationQuery { upto: Some(300), ..Default::default() }).await, ["d", "c", "b", "a"]);
    assert_eq!(
        ids(ActivationQuery {
            since: Some(200),
            upto: Some(300),
            name: Some("x".into()),
            ..Default::default()
        })
        .await,
        ["d", "c"]
    );
    assert_eq!(
        ids(ActivationQuery { page: Page { limit: 2, skip: 1 }, ..Default::default() }).await,
        ["d", "c"]
    );
    assert_eq!(
        ids(ActivationQuery { since: Some(u64::MAX), ..Default::default() }).await,
        Vec::<String>::new()
    );
    assert_eq!(ids(ActivationQuery { upto: Some(u64::MAX), ..Default::default() }).await.len(), 5);
}

#[tokio::test]
async fn the_name_filter_matches_the_package_path() {
    let (_dir, store) = fresh();
    let packaged = ActivationDoc {
        annotations: vec![KeyValue { key: "path".into(), value: json!("guest/utils/echo") }],
        ..activation("guest", "p1", "echo", 10)
    };
    insert(&store, packaged).await;
    insert(&store, activation("guest", "p2", "echo", 20)).await;
    let ids = |name: &str| {
        let (store, query) =
            (store.clone(), ActivationQuery { name: Some(name.into()), ..Default::default() });
        async move {
            let docs = store.list_activations("guest", &query).await.unwrap();
            docs.into_iter().map(|doc| doc.activation_id).collect::<Vec<_>>()
        }
    };
    assert_eq!(ids("utils/echo").await, ["p1"]);
    assert_eq!(ids("echo").await, ["p2"]);
}

#[tokio::test]
async fn an_insert_after_close_fails_and_says_so() {
    let (_dir, store) = fresh();
    let durable = store.insert_activation(activation("guest", "a1", "x", 1)).await.unwrap();
    store.close().await;
    durable.await.expect("queued before the close: committed");
    let error = store.insert_activation(activation("guest", "a2", "x", 2)).await.unwrap_err();
    assert!(matches!(error, StoreError::WriterGone), "{error:?}");
    assert!(store.flush().await.is_err());
    // Reads still work.
    assert!(store.get_activation("guest", "a1").await.unwrap().is_some());
}

/// A finished activation as the container proxy hands it to its sink.
fn core_activation(clock_start: tokio::time::Instant) -> Activation {
    let action =
        Arc::new(Action { kind: "nodejs:20".into(), ..Action::new("guest", "hello", "runtime:latest", "x") });
    let msg =
        ActivationMessage { transaction_start: clock_start, ..ActivationMessage::new("core1", "guest") };
    let job = Run::new(action, msg);
    let init = Interval { start: clock_start, end: clock_start + Duration::from_millis(30) };
    let total = Interval {
        start: clock_start + Duration::from_millis(30),
        end: clock_start + Duration::from_millis(42),
    };
    let mut record =
        Activation::new(&job, Some(init), total, false, ActivationResponse::application_error("bad"));
    record.logs = vec!["stdout: hi".into()];
    record
}

#[tokio::test]
async fn the_store_is_an_activation_sink() {
    let (_dir, store) = fresh();
    let record = core_activation(tokio::time::Instant::now());
    let sink: Arc<dyn ActivationSink> = Arc::new(store.clone());
    sink.ack(proxy_core::container::AckKind::Result, &record, true).await;
    sink.store(&record, true).await;
    store.flush().await.unwrap();

    let doc = store.get_activation("guest", "core1").await.unwrap().expect("stored through the sink");
    let clock = store.clock();
    assert_eq!(doc.start, clock.epoch_ms(record.interval.start));
    assert_eq!(doc.end - doc.start, 12);
    assert_eq!(doc.duration, 12);
    assert_eq!(doc.logs, ["stdout: hi"]);
    assert_eq!(doc.response, ResponseDoc::new(record.response.status, json!({"error": "bad"})));
    assert_eq!((doc.response.status_code, doc.response.success), (1, false));
    assert_eq!(KeyValue::find(&doc.annotations, "initTime"), Some(&json!(30)));
    assert_eq!(KeyValue::find(&doc.annotations, "path"), Some(&json!("guest/hello")));
    assert_eq!(KeyValue::find(&doc.annotations, "kind"), Some(&json!("nodejs:20")));
    assert_eq!((doc.subject.as_str(), doc.version.as_str(), doc.publish), ("guest", "0.0.1", false));

    // queue_activation hands back the durability of that very record.
    let again = core_activation(tokio::time::Instant::now());
    let durable = store.queue_activation(&again).await.unwrap();
    assert!(matches!(durable.await, Err(StoreError::DuplicateActivation { .. })));
}

#[tokio::test]
async fn activations_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap().store;
    insert(&store, activation("guest", "a1", "hello", 1_000)).await;
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap().store;
    assert_eq!(
        store.get_activation("guest", "a1").await.unwrap(),
        Some(activation("guest", "a1", "hello", 1_000))
    );
}
