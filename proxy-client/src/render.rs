//! Human output, in the `wsk` CLI's forms: `ok: ..` lines, pretty JSON, and the
//! tables of `action list` and `activation list`.

use proxy_store::doc::{ActionDoc, ActivationBrief, KeyValue};
use serde_json::Value;

use crate::{ClientError, Reply};

/// The body of `reply` as indented JSON (the text itself when it is not JSON).
pub(crate) fn pretty(reply: &Reply) -> String {
    match serde_json::from_slice::<Value>(&reply.body) {
        Ok(value) => pretty_value(&value),
        Err(_) => String::from_utf8_lossy(&reply.body).into_owned(),
    }
}

/// `value` as indented JSON.
pub(crate) fn pretty_value(value: &Value) -> String {
    // A `Value` always serializes.
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// `wsk action list`: a title line, then one line per action: its fully qualified
/// name, `private` or `shared`, its kind.
pub(crate) fn action_table(reply: &Reply) -> Result<String, ClientError> {
    let actions: Vec<ActionDoc> = reply.json()?;
    let mut text = String::from("actions\n");
    for action in actions {
        let name = format!("/{}/{}", action.namespace, action.name);
        let publish = if action.publish { "shared" } else { "private" };
        text.push_str(&format!("{name:<70} {publish} {}\n", action.exec.kind));
    }
    Ok(text)
}

/// `wsk activation list`: a header, then one row per activation, newest first as
/// the server sends them. Times are UTC (deviation D52: `wsk` prints local time).
pub(crate) fn activation_table(reply: &Reply) -> Result<String, ClientError> {
    let activations: Vec<ActivationBrief> = reply.json()?;
    let mut rows = vec![
        ["Datetime", "Activation ID", "Kind", "Start", "Duration", "Status", "Entity"].map(String::from)
    ];
    for brief in &activations {
        let kind = KeyValue::find(&brief.annotations, "kind").and_then(Value::as_str).unwrap_or("unknown");
        let start = if KeyValue::find(&brief.annotations, "initTime").is_some() { "cold" } else { "warm" };
        rows.push([
            utc_datetime(brief.start),
            brief.activation_id.clone(),
            kind.to_string(),
            start.to_string(),
            format!("{}ms", brief.duration),
            status_name(brief.status_code).to_string(),
            format!("{}/{}:{}", brief.namespace, brief.name, brief.version),
        ]);
    }
    let widths: Vec<usize> =
        (0..7).map(|column| rows.iter().map(|row| row[column].chars().count()).max().unwrap_or(0)).collect();
    let mut text = String::new();
    for row in rows {
        let cells: Vec<String> =
            row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        text.push_str(cells.join(" ").trim_end());
        text.push('\n');
    }
    Ok(text)
}

/// The name of an activation's `statusCode`.
fn status_name(code: u8) -> &'static str {
    match code {
        0 => "success",
        1 => "application error",
        2 => "developer error",
        3 => "internal error",
        _ => "unknown",
    }
}

/// `ms` since the epoch as `YYYY-MM-DD HH:MM:SS` in UTC (Howard Hinnant's
/// `civil_from_days`, to keep a time-zone crate out of the client).
pub(crate) fn utc_datetime(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_datetimes() {
        assert_eq!(utc_datetime(0), "1970-01-01 00:00:00");
        assert_eq!(utc_datetime(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc_datetime(1_700_000_000_999), "2023-11-14 22:13:20");
        assert_eq!(utc_datetime(4_102_444_799_000), "2099-12-31 23:59:59");
    }

    #[test]
    fn status_names_follow_status_codes() {
        let names: Vec<_> = (0..5).map(status_name).collect();
        assert_eq!(names, ["success", "application error", "developer error", "internal error", "unknown"]);
    }
}
