//! The schema, as a list of migrations keyed by `PRAGMA user_version`: a database at
//! version `n` has had the first `n` migrations applied. Each migration runs in one
//! transaction together with the version bump, so a failed one leaves the database at
//! the version before it. Append new migrations; never edit one that has shipped.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// One step of the schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// What it does, for the log.
    pub(crate) name: &'static str,
    /// The statements.
    pub(crate) sql: &'static str,
}

/// The migrations of this binary, in order.
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    name: "actions, activations, subjects",
    sql: "
        -- The document is upstream's JSON; the columns beside it are what queries need.
        CREATE TABLE actions (
            namespace TEXT NOT NULL,
            name      TEXT NOT NULL,
            revision  TEXT NOT NULL,
            updated   INTEGER NOT NULL,
            -- Breaks ties of `updated` (same ms) in write order.
            seq       INTEGER NOT NULL,
            doc       TEXT NOT NULL,
            PRIMARY KEY (namespace, name)
        ) WITHOUT ROWID;
        CREATE INDEX actions_newest ON actions (namespace, updated DESC, seq DESC);

        -- `seq` is the rowid: insertion order, the tie-break of equal starts.
        CREATE TABLE activations (
            seq           INTEGER PRIMARY KEY,
            namespace     TEXT NOT NULL,
            activation_id TEXT NOT NULL,
            entity_path   TEXT NOT NULL,
            name          TEXT NOT NULL,
            version       TEXT NOT NULL,
            subject       TEXT NOT NULL,
            publish       INTEGER NOT NULL,
            start         INTEGER NOT NULL,
            end           INTEGER NOT NULL,
            duration      INTEGER NOT NULL,
            status_code   INTEGER NOT NULL,
            cause         TEXT,
            response      TEXT NOT NULL,
            annotations   TEXT NOT NULL,
            logs          TEXT NOT NULL,
            UNIQUE (namespace, activation_id)
        );
        CREATE INDEX activations_newest ON activations (namespace, start DESC, seq DESC);
        CREATE INDEX activations_by_name ON activations (namespace, entity_path, start DESC, seq DESC);

        CREATE TABLE subjects (
            uuid      TEXT PRIMARY KEY,
            key_hash  BLOB NOT NULL,
            subject   TEXT NOT NULL,
            namespace TEXT NOT NULL,
            created   INTEGER NOT NULL
        );
        CREATE INDEX subjects_by_name ON subjects (subject);
    ",
}];

/// Settings every connection gets. WAL lets readers run beside the one writer;
/// `busy_timeout` makes the writer thread and the action writes wait for each other
/// instead of failing; foreign keys are not used.
pub(crate) fn configure(
    conn: &Connection,
    synchronous: &str,
    busy_timeout: Duration,
) -> rusqlite::Result<()> {
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", synchronous)?;
    Ok(())
}

/// Brings the database to the last of `migrations`; returns the version it was at.
pub(crate) fn migrate(
    conn: &mut Connection,
    path: &Path,
    migrations: &[Migration],
) -> Result<u32, StoreError> {
    let supported = u32::try_from(migrations.len()).unwrap_or(u32::MAX);
    let found = user_version(conn)?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { path: path.to_path_buf(), found, supported });
    }
    for (version, migration) in (found + 1..).zip(&migrations[found as usize..]) {
        let fail = |source| StoreError::Migration { version, source };
        // IMMEDIATE: two processes opening a new database at once do not both migrate;
        // the second waits, then finds the version bumped.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(fail)?;
        let current: u32 = tx.query_row("PRAGMA user_version", [], |row| row.get(0)).map_err(fail)?;
        if current >= version {
            continue;
        }
        tx.execute_batch(migration.sql).map_err(fail)?;
        tx.pragma_update(None, "user_version", version).map_err(fail)?;
        tx.commit().map_err(fail)?;
        tracing::info!(version, migration = migration.name, "store schema migrated");
    }
    Ok(found)
}

/// The database's `PRAGMA user_version`.
pub(crate) fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: Migration = Migration { name: "a table", sql: "CREATE TABLE one (x INTEGER);" };
    const BAD: Migration =
        Migration { name: "half good", sql: "CREATE TABLE two (x INTEGER); CREATE TABLE one (y INTEGER);" };

    #[test]
    fn a_failed_migration_leaves_the_version_before_it_and_nothing_of_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(migrate(&mut conn, &path, &[GOOD]).unwrap(), 0);
        assert_eq!(user_version(&conn).unwrap(), 1);
        let error = migrate(&mut conn, &path, &[GOOD, BAD]).unwrap_err();
        assert!(matches!(error, StoreError::Migration { version: 2, .. }), "{error:?}");
        assert_eq!(user_version(&conn).unwrap(), 1);
        let two: bool = conn
            .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE name = 'two')", [], |row| row.get(0))
            .unwrap();
        assert!(!two, "the failed migration's first statement was rolled back");
    }

    #[test]
    fn only_the_missing_migrations_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn, &path, &[GOOD]).unwrap();
        // Were GOOD run again, `CREATE TABLE one` would fail.
        let next = Migration { name: "another", sql: "CREATE TABLE three (x INTEGER);" };
        assert_eq!(migrate(&mut conn, &path, &[GOOD, next]).unwrap(), 1);
        assert_eq!(user_version(&conn).unwrap(), 2);
    }
}
