//! Subjects: one row per key, its uuid in the clear, its key hashed.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::doc::subject::{key_hash, key_matches};
use crate::doc::{Credentials, Subject};
use crate::StoreError;

/// The subject and namespace the platform creates on first start.
pub(crate) const GUEST: &str = "guest";

/// A new key for `subject` in `namespace`.
pub(crate) fn create(
    conn: &Connection,
    subject: &str,
    namespace: &str,
    now: u64,
) -> Result<Credentials, StoreError> {
    let credentials = Credentials::generate()?;
    conn.execute(
        "INSERT INTO subjects (uuid, key_hash, subject, namespace, created) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            credentials.uuid,
            key_hash(credentials.key()).as_slice(),
            subject,
            namespace,
            i64::try_from(now).unwrap_or(i64::MAX)
        ],
    )?;
    Ok(credentials)
}

/// The guest's key, created if no guest exists yet; `None` if one does (its key
/// was shown when it was created and is not kept).
pub(crate) fn ensure_guest(conn: &mut Connection, now: u64) -> Result<Option<Credentials>, StoreError> {
    // IMMEDIATE: two processes opening a fresh directory at once create one guest.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let exists: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM subjects WHERE subject = ?1)", [GUEST], |row| row.get(0))?;
    if exists {
        return Ok(None);
    }
    let credentials = create(&tx, GUEST, GUEST, now)?;
    tx.commit()?;
    Ok(Some(credentials))
}

/// The subject of `uuid` if `key` is its key.
pub(crate) fn authenticate(conn: &Connection, uuid: &str, key: &str) -> Result<Option<Subject>, StoreError> {
    let row: Option<(Vec<u8>, String, String)> = conn
        .prepare_cached("SELECT key_hash, subject, namespace FROM subjects WHERE uuid = ?1")?
        .query_row([uuid], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    // An unknown uuid still costs a hash and a comparison, so that timing tells
    // little about which uuids exist.
    let (stored, subject, namespace) = row.unwrap_or_else(|| (vec![0; 32], String::new(), String::new()));
    let matches = key_matches(&stored, key);
    Ok((matches && !subject.is_empty()).then(|| Subject { subject, namespace, uuid: uuid.to_string() }))
}
