//! Syntax tree to model: one function per rule. Every mistake is a `syn::Error` on
//! the user's token, and all of them are collected, so a misspelt state used in five
//! rows gives five errors in one build. What survives the checks still becomes a
//! model, so codegen can emit a best-effort expansion beside the errors and one
//! mistake does not cascade into unresolved names.

use std::collections::{BTreeSet, VecDeque};

use syn::{parse_quote, Ident};

use crate::model::{Event, Machine, Row, State, Timeout};
use crate::names;
use crate::parse::{DeferDef, MachineDef, RowDef, TimeoutDef, Variant};

/// Accumulated errors, reported together.
#[derive(Default)]
pub(crate) struct Errors(Vec<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, span: impl Into<proc_macro2::Span>, message: impl std::fmt::Display) {
        self.0.push(syn::Error::new(span.into(), message));
    }

    pub(crate) fn into_compile_errors(self) -> proc_macro2::TokenStream {
        self.0.into_iter().map(|e| e.to_compile_error()).collect()
    }

    #[cfg(test)]
    pub(crate) fn messages(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

/// Checks one machine and builds its model from everything that passed.
/// `None` only when there is nothing to generate (no state at all).
pub(crate) fn check(def: MachineDef, errors: &mut Errors) -> Option<Machine> {
    let states = declared_states(&def, errors);
    if states.is_empty() {
        return None;
    }
    let events = declared_events(&def, errors);
    method_names_are_free(&def.name, &events, errors);
    let state_names: Vec<&Ident> = states.iter().map(|s| &s.name).collect();
    let event_names: Vec<&Ident> = events.iter().map(|e| &e.name).collect();
    let table = Names { states: &state_names, events: &event_names };

    let initial = initial_state(&def, &table, errors);
    let terminal = terminal_states(&def, &table, errors);
    let rows = rows(&def, &table, &terminal, errors);
    let timeouts = timeouts(&def, &table, &events, &rows, errors);
    let deferrals = deferrals(&def, &table, &rows, errors);

    let mut machine = Machine {
        attrs: def.attrs,
        vis: def.vis,
        name: def.name,
        generics: def.generics,
        context: def.context.unwrap_or_else(|| parse_quote!(())),
        states,
        events,
        rows,
        timeouts,
        deferrals,
        initial,
        terminal,
    };
    every_state_reachable(&machine, errors);
    every_state_has_a_way_out(&machine, errors);
    machine.terminal.sort_unstable();
    Some(machine)
}

/// The declared names, for lookups with a "did you mean" hint.
struct Names<'a> {
    states: &'a [&'a Ident],
    events: &'a [&'a Ident],
}

impl Names<'_> {
    fn state(&self, ident: &Ident, errors: &mut Errors) -> Option<usize> {
        resolve(self.states, ident, "state", errors)
    }

    fn event(&self, ident: &Ident, errors: &mut Errors) -> Option<usize> {
        resolve(self.events, ident, "event", errors)
    }
}

/// Looks `ident` up among `declared`; on a miss, an error on `ident` that suggests the
/// closest name and lists the valid ones.
fn resolve(declared: &[&Ident], ident: &Ident, what: &str, errors: &mut Errors) -> Option<usize> {
    if let Some(index) = declared.iter().position(|d| *d == ident) {
        return Some(index);
    }
    let wanted = ident.to_string();
    let list = names::backticked(declared.iter().map(ToString::to_string));
    let message = match names::closest(&wanted, declared.iter().map(ToString::to_string)) {
        Some(near) => format!("unknown {what} `{wanted}`; did you mean `{near}`? the {what}s are {list}"),
        None if declared.is_empty() => format!("unknown {what} `{wanted}`: the machine declares no {what}s"),
        None => format!("unknown {what} `{wanted}`; the {what}s are {list}"),
    };
    errors.push(ident.span(), message);
    None
}

/// The `states { .. }` section, without duplicates.
fn declared_states(def: &MachineDef, errors: &mut Errors) -> Vec<State> {
    let Some(section) = &def.states else {
        errors.push(
            def.name.span(),
            format!(
                "missing `states {{ .. }}` section: list the states of `{}`, for example `states {{ Idle, Busy(Job) }}`",
                def.name
            ),
        );
        return Vec::new();
    };
    unique_variants(section, "state", errors)
        .map(|v| State { attrs: v.attrs.clone(), name: v.name.clone(), data: v.data.clone() })
        .collect()
}

/// The `events { .. }` section, without duplicates. A machine may have none.
fn declared_events(def: &MachineDef, errors: &mut Errors) -> Vec<Event> {
    let Some(section) = &def.events else {
        return Vec::new();
    };
    unique_variants(section, "event", errors)
        .map(|v| Event { attrs: v.attrs.clone(), name: v.name.clone(), payload: v.data.clone() })
        .collect()
}

/// The variants of a section, skipping (and reporting) a name declared twice.
fn unique_variants<'a>(
    section: &'a [Variant],
    what: &'a str,
    errors: &'a mut Errors,
) -> impl Iterator<Item = &'a Variant> + 'a {
    let mut seen: Vec<&Ident> = Vec::new();
    section.iter().filter(move |variant| {
        if seen.contains(&&variant.name) {
            errors.push(
                variant.name.span(),
                format!("duplicate {what} `{}`: each {what} is declared once", variant.name),
            );
            false
        } else {
            seen.push(&variant.name);
            true
        }
    })
}

/// Each event becomes a method on the handle; it must not take the name of a method
/// the handle already has, nor of another event.
fn method_names_are_free(machine: &Ident, events: &[Event], errors: &mut Errors) {
    let mut taken: Vec<String> = Vec::new();
    for event in events {
        let method = names::snake(&event.name.to_string());
        if names::RESERVED_METHODS.contains(&method.as_str()) {
            errors.push(
                event.name.span(),
                format!(
                    "event `{}` would generate the method `{method}`, which `{machine}` already has; rename the event (the reserved names are {})",
                    event.name,
                    names::backticked(names::RESERVED_METHODS.iter().copied())
                ),
            );
        } else if taken.contains(&method) {
            errors.push(
                event.name.span(),
                format!("event `{}` would generate the method `{method}` a second time; rename one of the two events", event.name),
            );
        }
        taken.push(method);
    }
}

/// `initial: State;` is required and must name a declared state. Without it, the
/// first state stands in so the expansion can go on.
fn initial_state(def: &MachineDef, table: &Names<'_>, errors: &mut Errors) -> usize {
    match &def.initial {
        Some(section) => table.state(section, errors).unwrap_or(0),
        None => {
            errors.push(
                def.name.span(),
                format!(
                    "missing initial state: add `initial: <state>;` to `{}`, naming one of {}",
                    def.name,
                    names::backticked(table.states.iter().map(ToString::to_string))
                ),
            );
            0
        }
    }
}

/// `terminal: [..];` names declared states.
fn terminal_states(def: &MachineDef, table: &Names<'_>, errors: &mut Errors) -> Vec<usize> {
    let Some(section) = &def.terminal else {
        return Vec::new();
    };
    let mut terminal = Vec::new();
    for ident in section {
        if let Some(state) = table.state(ident, errors) {
            if !terminal.contains(&state) {
                terminal.push(state);
            }
        }
    }
    terminal
}

/// Every row, split into (source, event) pairs. A pair declared twice, a target
/// listed twice and a row leaving a terminal state are errors.
fn rows(def: &MachineDef, table: &Names<'_>, terminal: &[usize], errors: &mut Errors) -> Vec<Row> {
    let Some(section) = &def.transitions else {
        return Vec::new();
    };
    let mut rows: Vec<Row> = Vec::new();
    for row in section {
        let event = table.event(&row.event, errors);
        let sources = resolve_all(&row.sources, "source", |i, e| table.state(i, e), errors);
        let targets = resolve_all(&row.targets, "target", |i, e| table.state(i, e), errors);
        let Some(event) = event else { continue };
        if targets.is_empty() {
            continue;
        }
        for (ident, source) in sources {
            if rows.iter().any(|r| r.source == source && r.event == event) {
                errors.push(
                    row.event.span(),
                    format!(
                        "duplicate transition: `{ident}` already has a row for `{}`; a state has one row per event (write alternatives in one row: `{ident} + {} => A | B`)",
                        row.event, row.event
                    ),
                );
                continue;
            }
            if terminal.contains(&source) {
                errors.push(
                    ident.span(),
                    format!(
                        "terminal state `{ident}` has an outgoing row for `{}`; remove the row or take `{ident}` out of `terminal`",
                        row.event
                    ),
                );
            }
            rows.push(pair(row, source, event, &targets));
        }
    }
    rows
}

fn pair(row: &RowDef, source: usize, event: usize, targets: &[(&Ident, usize)]) -> Row {
    Row { attrs: row.attrs.clone(), source, event, targets: targets.iter().map(|(_, t)| *t).collect() }
}

/// Resolves a list of state names, reporting unknown and repeated ones.
fn resolve_all<'i>(
    idents: &'i [Ident],
    role: &str,
    mut lookup: impl FnMut(&Ident, &mut Errors) -> Option<usize>,
    errors: &mut Errors,
) -> Vec<(&'i Ident, usize)> {
    let mut resolved: Vec<(&Ident, usize)> = Vec::new();
    for ident in idents {
        let Some(index) = lookup(ident, errors) else { continue };
        if resolved.iter().any(|(_, i)| *i == index) {
            errors.push(ident.span(), format!("duplicate {role} `{ident}` in this row; list it once"));
            continue;
        }
        resolved.push((ident, index));
    }
    resolved
}

/// `timeouts { State after <duration> => Event }`: known names, a unit event the
/// state has a row for, one timeout per state.
fn timeouts(
    def: &MachineDef,
    table: &Names<'_>,
    events: &[Event],
    rows: &[Row],
    errors: &mut Errors,
) -> Vec<Timeout> {
    let Some(section) = &def.timeouts else {
        return Vec::new();
    };
    let mut timeouts: Vec<Timeout> = Vec::new();
    for TimeoutDef { state: state_ident, after, event: event_ident } in section {
        let state = table.state(state_ident, errors);
        let event = table.event(event_ident, errors);
        let (Some(state), Some(event)) = (state, event) else { continue };
        if events[event].payload.is_some() {
            errors.push(
                event_ident.span(),
                format!("timeout event `{event_ident}` carries data, but a timer has none to give; use an event without data"),
            );
            continue;
        }
        if !rows.iter().any(|r| r.source == state && r.event == event) {
            errors.push(
                event_ident.span(),
                format!("`{state_ident}` times out with `{event_ident}` but has no row for it; add `{state_ident} + {event_ident} => <state>` to `transitions`"),
            );
            continue;
        }
        if timeouts.iter().any(|t| t.state == state) {
            errors.push(
                state_ident.span(),
                format!("duplicate timeout: `{state_ident}` already has one; a state has at most one timer"),
            );
            continue;
        }
        timeouts.push(Timeout { state, after: after.clone(), event });
    }
    timeouts
}

/// `defer { State: [Event, ..] }`: known names, and never an event the state
/// handles (it would be ambiguous whether the row or the deferral wins).
fn deferrals(
    def: &MachineDef,
    table: &Names<'_>,
    rows: &[Row],
    errors: &mut Errors,
) -> Vec<(usize, Vec<usize>)> {
    let Some(section) = &def.defer else {
        return Vec::new();
    };
    let mut deferrals: Vec<(usize, Vec<usize>)> = Vec::new();
    for DeferDef { state: state_ident, events } in section {
        let state = table.state(state_ident, errors);
        let events = resolve_all(events, "deferred event", |i, e| table.event(i, e), errors);
        let Some(state) = state else { continue };
        let mut kept = Vec::new();
        for (ident, event) in events {
            if rows.iter().any(|r| r.source == state && r.event == event) {
                errors.push(
                    ident.span(),
                    format!(
                        "`{state_ident}` both handles and defers `{ident}`; remove its row or its deferral"
                    ),
                );
            } else {
                kept.push(event);
            }
        }
        match deferrals.iter_mut().find(|(s, _)| *s == state) {
            Some(_) => errors.push(
                state_ident.span(),
                format!("duplicate deferral list for `{state_ident}`; list all its deferred events once: `{state_ident}: [A, B]`"),
            ),
            None => deferrals.push((state, kept)),
        }
    }
    deferrals
}

/// Every state can be reached from the initial one by following rows.
fn every_state_reachable(machine: &Machine, errors: &mut Errors) {
    let mut reached = BTreeSet::from([machine.initial]);
    let mut queue = VecDeque::from([machine.initial]);
    while let Some(state) = queue.pop_front() {
        for row in machine.rows_from(state) {
            for &target in &row.targets {
                if reached.insert(target) {
                    queue.push_back(target);
                }
            }
        }
    }
    let initial = &machine.states[machine.initial].name;
    for (index, state) in machine.states.iter().enumerate() {
        if !reached.contains(&index) {
            errors.push(
                state.name.span(),
                format!(
                    "state `{}` is unreachable from the initial state `{initial}`; add a row that leads to it, or remove it",
                    state.name
                ),
            );
        }
    }
}

/// A state that is not terminal has at least one row leaving it.
fn every_state_has_a_way_out(machine: &Machine, errors: &mut Errors) {
    for (index, state) in machine.states.iter().enumerate() {
        if !machine.is_terminal(index) && machine.rows_from(index).next().is_none() {
            errors.push(
                state.name.span(),
                format!(
                    "state `{}` has no way out: add a row leaving it, or list it in `terminal: [..]`",
                    state.name
                ),
            );
        }
    }
}
