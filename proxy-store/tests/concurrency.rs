//! Many writers at once: every record stored exactly once, in fewer commits than
//! records (group commit), and everything queued while a commit waits goes into the
//! next one.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{activation, fresh, fresh_with};
use proxy_store::{Options, Store, StoreError};
use rusqlite::Connection;

const TASKS: usize = 16;
const EACH: usize = 250;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_writers_store_every_record_exactly_once() {
    let (_dir, store) = fresh();
    let writers: Vec<_> = (0..TASKS)
        .map(|task| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut durables = Vec::new();
                for i in 0..EACH {
                    let doc = activation(
                        "guest",
                        &format!("t{task}-{i}"),
                        &format!("action{}", task % 3),
                        i as u64,
                    );
                    durables.push(store.insert_activation(doc).await.expect("queued"));
                }
                for durable in durables {
                    durable.await.expect("durable");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let conn = Connection::open(store.path()).unwrap();
    let (rows, distinct): (usize, usize) = conn
        .query_row("SELECT COUNT(*), COUNT(DISTINCT activation_id) FROM activations", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!((rows, distinct), (TASKS * EACH, TASKS * EACH));
    let mut statement = conn.prepare("SELECT activation_id FROM activations").unwrap();
    let stored: BTreeSet<String> =
        statement.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
    let expected: BTreeSet<String> =
        (0..TASKS).flat_map(|task| (0..EACH).map(move |i| format!("t{task}-{i}"))).collect();
    assert_eq!(stored, expected);
    let stats = store.writer_stats();
    assert_eq!(stats.records, (TASKS * EACH) as u64);
    assert!(stats.batches < stats.records, "group commit shares commits: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_queues_while_a_commit_waits_goes_into_the_next_one() {
    let (_dir, store) = fresh();
    // Another connection holds the write lock, so the writer's first commit waits.
    let blocker = Connection::open(store.path()).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut durables = Vec::new();
    for i in 0..200 {
        durables.push(store.insert_activation(activation("guest", &format!("q{i}"), "x", i)).await.unwrap());
    }
    blocker.execute_batch("COMMIT").unwrap();
    for durable in durables {
        durable.await.unwrap();
    }
    let stats = store.writer_stats();
    assert_eq!(stats.records, 200);
    // The first batch took what was queued when the writer woke (at least one record);
    // the second, everything queued while the first waited for the lock.
    assert!(stats.batches <= 2, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_fails_every_record_of_its_batch_and_the_writer_goes_on() {
    let options = Options { busy_timeout: Duration::from_millis(100), ..Options::default() };
    let (_dir, store) = fresh_with(&options);
    let blocker = Connection::open(store.path()).unwrap();
    // Held past the writer's busy timeout: its transaction cannot begin.
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let durable = store.insert_activation(activation("guest", "lost", "x", 1)).await.unwrap();
    let error = durable.await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Batch(cause) if matches!(**cause, StoreError::Sqlite(_))),
        "{error:?}"
    );
    blocker.execute_batch("COMMIT").unwrap();
    let durable = store.insert_activation(activation("guest", "kept", "x", 2)).await.unwrap();
    durable.await.expect("the writer survives a failed batch");
    assert!(store.get_activation("guest", "lost").await.unwrap().is_none());
    assert!(store.get_activation("guest", "kept").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_are_checkpointed_into_the_database_file_off_the_writer() {
    let (_dir, store) = fresh();
    let size = || std::fs::metadata(store.path()).unwrap().len();
    let before = size();
    for i in 0..100 {
        let _queued = store.insert_activation(activation("guest", &format!("c{i}"), "x", i)).await.unwrap();
    }
    store.flush().await.unwrap();
    // The writer's connection never checkpoints (and 100 records stay far below
    // SQLite's automatic threshold): only the checkpointer grows the file.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while size() == before {
        assert!(std::time::Instant::now() < deadline, "no checkpoint within 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
