//! Subjects: the guest created once, keys checked (right, wrong, unknown uuid), new
//! subjects, and keys never stored in the clear (deviation D33).

mod common;

use common::fresh;
use proxy_store::sqlite::DB_FILE;
use proxy_store::{SqliteStore, Store};

#[tokio::test]
async fn the_guest_is_created_on_first_open_only_and_its_key_works() {
    let dir = tempfile::tempdir().unwrap();
    let opened = SqliteStore::open(dir.path()).unwrap();
    let guest = opened.guest.expect("first open");
    let store = opened.store;
    let subject = store.authenticate(&guest.uuid, guest.key()).await.unwrap().expect("the guest's key");
    assert_eq!((subject.subject.as_str(), subject.namespace.as_str()), ("guest", "guest"));
    assert_eq!(subject.uuid, guest.uuid);
    drop(store);
    let reopened = SqliteStore::open(dir.path()).unwrap();
    assert!(reopened.guest.is_none());
    assert!(reopened.store.authenticate(&guest.uuid, guest.key()).await.unwrap().is_some(), "kept");
}

#[tokio::test]
async fn a_wrong_key_or_an_unknown_uuid_authenticates_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let opened = SqliteStore::open(dir.path()).unwrap();
    let (guest, store) = (opened.guest.unwrap(), opened.store);
    let mut wrong = guest.key().to_string();
    wrong.replace_range(63.., if wrong.ends_with('a') { "b" } else { "a" });
    assert_eq!(store.authenticate(&guest.uuid, &wrong).await.unwrap(), None);
    assert_eq!(store.authenticate(&guest.uuid, "").await.unwrap(), None);
    assert_eq!(store.authenticate("00000000-0000-4000-8000-000000000000", guest.key()).await.unwrap(), None);
    assert_eq!(store.authenticate("", "").await.unwrap(), None);
}

#[tokio::test]
async fn new_subjects_get_their_own_keys() {
    let (_dir, store) = fresh();
    let alice = store.create_subject("alice", "alice-ns").await.unwrap();
    let bob = store.create_subject("bob", "bob-ns").await.unwrap();
    assert_ne!(alice.uuid, bob.uuid);
    assert_eq!(store.authenticate(&alice.uuid, alice.key()).await.unwrap().unwrap().namespace, "alice-ns");
    assert_eq!(store.authenticate(&bob.uuid, bob.key()).await.unwrap().unwrap().subject, "bob");
    assert_eq!(
        store.authenticate(&alice.uuid, bob.key()).await.unwrap(),
        None,
        "keys are not interchangeable"
    );
}

#[tokio::test]
async fn keys_are_not_in_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let opened = SqliteStore::open(dir.path()).unwrap();
    let guest = opened.guest.unwrap();
    let other = opened.store.create_subject("alice", "alice").await.unwrap();
    opened.store.close().await;
    drop(opened.store);
    // After the close the WAL is checkpointed or still beside the file: read both.
    let mut bytes = std::fs::read(dir.path().join(DB_FILE)).unwrap();
    bytes.extend(std::fs::read(dir.path().join(format!("{DB_FILE}-wal"))).unwrap_or_default());
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains(&guest.uuid), "the uuid is stored in the clear (sanity of this test)");
    assert!(!text.contains(guest.key()) && !text.contains(other.key()));
}
