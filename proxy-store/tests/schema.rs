//! The schema: migrated from nothing (no file, an empty file), re-opened without
//! change, and a database from a newer binary refused with both versions named.

use proxy_store::sqlite::{DB_FILE, SCHEMA_VERSION};
use proxy_store::{SqliteStore, StoreError};
use rusqlite::Connection;

fn user_version(path: &std::path::Path) -> u32 {
    Connection::open(path).unwrap().query_row("PRAGMA user_version", [], |row| row.get(0)).unwrap()
}

fn tables(path: &std::path::Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut statement =
        conn.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").unwrap();
    statement.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn a_missing_directory_and_file_are_created_and_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    let opened = SqliteStore::open(&data).unwrap();
    assert!(opened.guest.is_some());
    let path = data.join(DB_FILE);
    assert_eq!(opened.store.path(), path);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_eq!(tables(&path), ["actions", "activations", "subjects"]);
    let mode: String =
        Connection::open(&path).unwrap().query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn an_empty_file_is_migrated_and_a_reopen_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    std::fs::write(&path, b"").unwrap();
    let first = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    drop(first);
    let before = tables(&path);
    let second = SqliteStore::open(dir.path()).unwrap();
    assert!(second.guest.is_none(), "the guest is created once");
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_eq!(tables(&path), before);
}

#[test]
fn a_database_from_a_newer_binary_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    drop(SqliteStore::open(dir.path()).unwrap());
    let newer = SCHEMA_VERSION + 1;
    Connection::open(&path).unwrap().pragma_update(None, "user_version", newer).unwrap();
    let error = SqliteStore::open(dir.path()).unwrap_err();
    match &error {
        StoreError::SchemaTooNew { found, supported, path: named } => {
            assert_eq!((*found, *supported), (newer, SCHEMA_VERSION));
            assert_eq!(named, &path);
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains(&format!("schema version {newer}")), "{message}");
    assert!(message.contains(&format!("the {SCHEMA_VERSION} this binary knows")), "{message}");
    assert_eq!(user_version(&path), newer, "left as it was");
}

#[test]
fn a_file_that_is_not_a_database_is_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(DB_FILE), vec![0x5a; 8192]).unwrap();
    let error = SqliteStore::open(dir.path()).unwrap_err();
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");
    assert!(std::error::Error::source(&error).is_some(), "the cause is kept");
}
