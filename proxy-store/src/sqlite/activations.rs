//! Activations: one row each, unique per (namespace, id) as upstream's document ids
//! (`namespace/activationId`) are; the response, annotations and logs as JSON.

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, ToSql};
use serde::de::DeserializeOwned;

use super::sql_count;
use crate::doc::{ActivationBrief, ActivationDoc, ResponseDoc};
use crate::{ActivationQuery, StoreError};

/// Inserts `doc`; false when the namespace holds an activation of that id already
/// (the first stays).
pub(crate) fn insert(conn: &Connection, doc: &ActivationDoc) -> Result<bool, StoreError> {
    let int = |what: &'static str, value: u64| {
        i64::try_from(value).map_err(|_| StoreError::OutOfRange { what, value })
    };
    let mut statement = conn.prepare_cached(
        "INSERT INTO activations (namespace, activation_id, entity_path, name, version, subject,
             publish, start, end, duration, status_code, cause, response, annotations, logs)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (namespace, activation_id) DO NOTHING",
    )?;
    let inserted = statement.execute(params![
        doc.namespace,
        doc.activation_id,
        doc.entity_path(),
        doc.name,
        doc.version,
        doc.subject,
        doc.publish,
        int("activation start", doc.start)?,
        int("activation end", doc.end)?,
        int("activation duration", doc.duration)?,
        doc.response.status_code,
        doc.cause,
        encode("response", &doc.response)?,
        encode("annotations", &doc.annotations)?,
        encode("logs", &doc.logs)?,
    ])?;
    Ok(inserted == 1)
}

fn encode<T: serde::Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|source| StoreError::Document { what: format!("activation {what}"), source })
}

const DOC_COLUMNS: &str = "namespace, activation_id, name, version, subject, publish, start, end, duration, \
                           cause, response, annotations, logs";
const BRIEF_COLUMNS: &str =
    "namespace, activation_id, name, version, publish, start, end, duration, cause, annotations, status_code";

/// Activation `activation_id` of `namespace`.
pub(crate) fn get(
    conn: &Connection,
    namespace: &str,
    activation_id: &str,
) -> Result<Option<ActivationDoc>, StoreError> {
    let sql = format!("SELECT {DOC_COLUMNS} FROM activations WHERE namespace = ?1 AND activation_id = ?2");
    let row = conn.prepare_cached(&sql)?.query_row(params![namespace, activation_id], doc_row).optional()?;
    row.map(DocRow::decode).transpose()
}

/// The log lines of activation `activation_id` of `namespace`.
pub(crate) fn logs(
    conn: &Connection,
    namespace: &str,
    activation_id: &str,
) -> Result<Option<Vec<String>>, StoreError> {
    column(conn, namespace, activation_id, "logs")
}

/// The response of activation `activation_id` of `namespace`.
pub(crate) fn response(
    conn: &Connection,
    namespace: &str,
    activation_id: &str,
) -> Result<Option<ResponseDoc>, StoreError> {
    column(conn, namespace, activation_id, "response")
}

/// One JSON column of activation `activation_id` of `namespace`, decoded.
fn column<T: DeserializeOwned>(
    conn: &Connection,
    namespace: &str,
    activation_id: &str,
    column: &'static str,
) -> Result<Option<T>, StoreError> {
    let sql = format!("SELECT {column} FROM activations WHERE namespace = ?1 AND activation_id = ?2");
    let text: Option<String> = conn
        .prepare_cached(&sql)?
        .query_row(params![namespace, activation_id], |row| row.get(0))
        .optional()?;
    text.map(|text| decode(column, &text)).transpose()
}

/// The whole documents `query` selects in `namespace`, newest first.
pub(crate) fn list(
    conn: &Connection,
    namespace: &str,
    query: &ActivationQuery,
) -> Result<Vec<ActivationDoc>, StoreError> {
    select(conn, DOC_COLUMNS, namespace, query, doc_row)?.into_iter().map(DocRow::decode).collect()
}

/// The briefs `query` selects in `namespace`, newest first.
pub(crate) fn list_briefs(
    conn: &Connection,
    namespace: &str,
    query: &ActivationQuery,
) -> Result<Vec<ActivationBrief>, StoreError> {
    select(conn, BRIEF_COLUMNS, namespace, query, brief_row)?.into_iter().map(BriefRow::decode).collect()
}

/// The rows of `query`: only the conditions it sets go into the SQL, so that each
/// combination gets a plan that uses its index (a `?2 IS NULL OR ..` would not).
fn select<T>(
    conn: &Connection,
    columns: &str,
    namespace: &str,
    query: &ActivationQuery,
    read: fn(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    // Bounds past the database's range select everything on their side.
    let time = |ms: u64| i64::try_from(ms).unwrap_or(i64::MAX);
    let mut sql = format!("SELECT {columns} FROM activations WHERE namespace = ?");
    let mut values: Vec<Box<dyn ToSql>> = vec![Box::new(namespace.to_string())];
    if let Some(name) = &query.name {
        sql.push_str(" AND entity_path = ?");
        values.push(Box::new(name.clone()));
    }
    if let Some(since) = query.since {
        sql.push_str(" AND start >= ?");
        values.push(Box::new(time(since)));
    }
    if let Some(upto) = query.upto {
        sql.push_str(" AND start <= ?");
        values.push(Box::new(time(upto)));
    }
    // D34: equal starts, the later insert first (CouchDB would order them by id).
    sql.push_str(" ORDER BY start DESC, seq DESC LIMIT ? OFFSET ?");
    values.push(Box::new(sql_count(query.page.limit)));
    values.push(Box::new(sql_count(query.page.skip)));
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params_from_iter(values.iter()), read)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A row of `DOC_COLUMNS`, its JSON not yet decoded (decoding errors are ours, not
/// SQLite's).
struct DocRow {
    doc: ActivationDoc,
    response: String,
    annotations: String,
    logs: String,
}

fn doc_row(row: &Row<'_>) -> rusqlite::Result<DocRow> {
    let placeholder = ResponseDoc::success(serde_json::Value::Null);
    Ok(DocRow {
        doc: ActivationDoc {
            namespace: row.get(0)?,
            activation_id: row.get(1)?,
            name: row.get(2)?,
            version: row.get(3)?,
            subject: row.get(4)?,
            publish: row.get(5)?,
            start: ms(row.get(6)?),
            end: ms(row.get(7)?),
            duration: ms(row.get(8)?),
            cause: row.get(9)?,
            response: placeholder,
            annotations: Vec::new(),
            logs: Vec::new(),
        },
        response: row.get(10)?,
        annotations: row.get(11)?,
        logs: row.get(12)?,
    })
}

impl DocRow {
    fn decode(self) -> Result<ActivationDoc, StoreError> {
        Ok(ActivationDoc {
            response: decode("response", &self.response)?,
            annotations: decode("annotations", &self.annotations)?,
            logs: decode("logs", &self.logs)?,
            ..self.doc
        })
    }
}

struct BriefRow {
    brief: ActivationBrief,
    annotations: String,
}

fn brief_row(row: &Row<'_>) -> rusqlite::Result<BriefRow> {
    Ok(BriefRow {
        brief: ActivationBrief {
            namespace: row.get(0)?,
            activation_id: row.get(1)?,
            name: row.get(2)?,
            version: row.get(3)?,
            publish: row.get(4)?,
            start: ms(row.get(5)?),
            end: ms(row.get(6)?),
            duration: ms(row.get(7)?),
            cause: row.get(8)?,
            annotations: Vec::new(),
            status_code: row.get(10)?,
        },
        annotations: row.get(9)?,
    })
}

impl BriefRow {
    fn decode(self) -> Result<ActivationBrief, StoreError> {
        Ok(ActivationBrief { annotations: decode("annotations", &self.annotations)?, ..self.brief })
    }
}

fn decode<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text)
        .map_err(|source| StoreError::Document { what: format!("activation {what}"), source })
}

/// A stored time or duration; the columns hold no negative values (insert refuses
/// what does not fit), so a negative one reads as 0 rather than failing the row.
fn ms(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}
