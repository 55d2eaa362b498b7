//! Naming: the identifiers codegen derives from the table, and the "did you mean"
//! suggestion for a misspelt one.

use proc_macro2::Span;
use quote::format_ident;
use syn::Ident;

/// Methods every handle has; an event may not generate one of these names.
pub(crate) const RESERVED_METHODS: &[&str] =
    &["new", "restore", "context", "context_mut", "data", "data_mut", "into_parts", "into_any", "state_name"];

/// The names the expansion gives items of its own, after the machine's name
/// (`LeaseState`, `LeaseAny`, ..): a superstate's trait (`Lease` + its name) must not
/// be one of them.
pub(crate) const GENERATED_SUFFIXES: &[&str] = &["State", "Any", "Event", "Handlers"];

/// `TimedOut` -> `timed_out`, `HTTPError` -> `http_error`.
pub(crate) fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && !out.ends_with('_') && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The handler of row `state + event`: `idle_connect`. The one spelling of a
/// handler's name, for codegen and for the checks that keep names apart.
pub(crate) fn row_handler(state: &Ident, event: &Ident) -> String {
    format!("{}_{}", snake(&state.to_string()), snake(&event.to_string()))
}

/// The handler of the guarded row `state + event if guard`: `ready_run_if_fits`.
pub(crate) fn guarded_handler(state: &Ident, event: &Ident, guard: &Ident) -> String {
    format!("{}_if_{guard}", row_handler(state, event))
}

/// The entry action of `state`: `on_enter_open`.
pub(crate) fn entry_action(state: &Ident) -> String {
    format!("on_enter_{}", snake(&state.to_string()))
}

/// The exit action of `state`: `on_exit_open`.
pub(crate) fn exit_action(state: &Ident) -> String {
    format!("on_exit_{}", snake(&state.to_string()))
}

/// An identifier for a generated method, raw where the name is a keyword.
pub(crate) fn method_ident(name: &str, span: Span) -> Ident {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
        "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
        "box", "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
        "gen",
    ];
    match name {
        "self" | "super" | "crate" | "_" => format_ident!("{}_", name, span = span),
        _ if KEYWORDS.contains(&name) => Ident::new_raw(name, span),
        _ => Ident::new(name, span),
    }
}

/// `a`, `b`, `c` -> "`a`, `b`, `c`".
pub(crate) fn backticked<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> String {
    names.into_iter().map(|n| format!("`{}`", n.as_ref())).collect::<Vec<_>>().join(", ")
}

/// The declared name closest to `wanted`, if one is close enough to be a typo:
/// within a third of its length in edits (two for names of four letters or more),
/// ignoring case, and never a name that shares nothing with it.
pub(crate) fn closest(wanted: &str, declared: impl IntoIterator<Item = String>) -> Option<String> {
    declared
        .into_iter()
        .map(|candidate| (edit_distance(&wanted.to_lowercase(), &candidate.to_lowercase()), candidate))
        .filter(|(distance, candidate)| {
            let len = wanted.len().max(candidate.len());
            let allowed = (len / 3).max(if len >= 4 { 2 } else { 1 });
            *distance <= allowed && *distance < wanted.len().min(candidate.len())
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_event_names() {
        assert_eq!(snake("Connect"), "connect");
        assert_eq!(snake("TimedOut"), "timed_out");
        assert_eq!(snake("HTTPError"), "http_error");
        assert_eq!(snake("Run2Go"), "run2_go");
        assert_eq!(snake("already_snake"), "already_snake");
    }

    #[test]
    fn keywords_become_raw_identifiers() {
        assert_eq!(method_ident("move", Span::call_site()).to_string(), "r#move");
        assert_eq!(method_ident("self", Span::call_site()).to_string(), "self_");
        assert_eq!(method_ident("run", Span::call_site()).to_string(), "run");
    }

    #[test]
    fn closest_suggests_typos_only() {
        let declared = || ["Idle", "Running", "Paused"].map(String::from);
        assert_eq!(closest("Idel", declared()), Some("Idle".into()));
        assert_eq!(closest("paused", declared()), Some("Paused".into()));
        assert_eq!(closest("Runing", declared()), Some("Running".into()));
        assert_eq!(closest("Removed", declared()), None);
        assert_eq!(closest("Q", ["A".to_owned()]), None);
    }
}
