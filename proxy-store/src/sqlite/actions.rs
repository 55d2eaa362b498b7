//! Actions: one row per (namespace, name), the document as upstream's JSON.

use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::sql_count;
use crate::doc::{bump_patch, ActionDoc, Revision, StoredAction};
use crate::{PutMode, StoreError};

/// Writes `action` as `mode` allows, at `now` (ms since the epoch); see
/// [`Store::put_action`](crate::Store::put_action).
pub(crate) fn put(
    conn: &mut Connection,
    action: ActionDoc,
    mode: &PutMode,
    now: u64,
) -> Result<StoredAction, StoreError> {
    // IMMEDIATE: the check and the write are one step, so two creates of one name
    // cannot both succeed.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing = tx
        .query_row(
            "SELECT revision, doc FROM actions WHERE namespace = ?1 AND name = ?2",
            params![action.namespace, action.name],
            stored,
        )
        .optional()?
        .map(|row| decode(&action.namespace, &action.name, row))
        .transpose()?;
    let conflict = || StoreError::Conflict { namespace: action.namespace.clone(), name: action.name.clone() };
    let version = match (mode, &existing) {
        (PutMode::Create, Some(_)) | (PutMode::Replace(_), None) => return Err(conflict()),
        (PutMode::Replace(expected), Some(current)) if *expected != current.revision => {
            return Err(conflict());
        }
        (_, Some(current)) => bump_patch(&current.action.version)?,
        (_, None) => action.version.clone(),
    };
    let revision = next_revision(existing.as_ref().map(|current| &current.revision))?;
    let action = ActionDoc { version, updated: now, ..action };
    let doc = serde_json::to_string(&action).map_err(|source| StoreError::Document {
        what: format!("action /{}/{}", action.namespace, action.name),
        source,
    })?;
    let updated =
        i64::try_from(now).map_err(|_| StoreError::OutOfRange { what: "action updated", value: now })?;
    tx.execute(
        "INSERT INTO actions (namespace, name, revision, updated, seq, doc)
         VALUES (?1, ?2, ?3, ?4, (SELECT COALESCE(MAX(seq), 0) + 1 FROM actions WHERE namespace = ?1), ?5)
         ON CONFLICT (namespace, name) DO UPDATE SET
             revision = excluded.revision, updated = excluded.updated, seq = excluded.seq, doc = excluded.doc",
        params![action.namespace, action.name, revision.0, updated, doc],
    )?;
    tx.commit()?;
    Ok(StoredAction { action, revision })
}

/// Action `name` of `namespace`.
pub(crate) fn get(
    conn: &Connection,
    namespace: &str,
    name: &str,
) -> Result<Option<StoredAction>, StoreError> {
    let mut statement =
        conn.prepare_cached("SELECT revision, doc FROM actions WHERE namespace = ?1 AND name = ?2")?;
    let row = statement.query_row(params![namespace, name], stored).optional()?;
    row.map(|row| decode(namespace, name, row)).transpose()
}

/// The actions of `namespace`, most recently updated first.
pub(crate) fn list(
    conn: &Connection,
    namespace: &str,
    page: crate::Page,
) -> Result<Vec<StoredAction>, StoreError> {
    // D34: equal `updated`, the later write first (CouchDB would order them by id).
    let mut statement = conn.prepare_cached(
        "SELECT revision, doc FROM actions WHERE namespace = ?1
         ORDER BY updated DESC, seq DESC LIMIT ?2 OFFSET ?3",
    )?;
    let rows =
        statement.query_map(params![namespace, sql_count(page.limit), sql_count(page.skip)], stored)?;
    rows.map(|row| decode(namespace, "(listed)", row?)).collect()
}

/// Deletes action `name` of `namespace`; returns what was there.
pub(crate) fn delete(
    conn: &Connection,
    namespace: &str,
    name: &str,
) -> Result<Option<StoredAction>, StoreError> {
    let row = conn
        .query_row(
            "DELETE FROM actions WHERE namespace = ?1 AND name = ?2 RETURNING revision, doc",
            params![namespace, name],
            stored,
        )
        .optional()?;
    row.map(|row| decode(namespace, name, row)).transpose()
}

fn stored(row: &Row<'_>) -> rusqlite::Result<(String, String)> {
    Ok((row.get(0)?, row.get(1)?))
}

fn decode(
    namespace: &str,
    name: &str,
    (revision, doc): (String, String),
) -> Result<StoredAction, StoreError> {
    let action = serde_json::from_str(&doc)
        .map_err(|source| StoreError::Document { what: format!("action /{namespace}/{name}"), source })?;
    Ok(StoredAction { action, revision: Revision(revision) })
}

/// CouchDB's form: a generation that counts the writes, and a random part, so that a
/// revision read before a delete and re-create never matches the new document.
fn next_revision(previous: Option<&Revision>) -> Result<Revision, StoreError> {
    let generation = previous
        .and_then(|revision| revision.0.split_once('-'))
        .and_then(|(generation, _)| generation.parse::<u64>().ok())
        .map_or(1, |generation| generation.saturating_add(1));
    Ok(Revision(format!("{generation}-{}", proxy_core::random::hex(16)?)))
}
