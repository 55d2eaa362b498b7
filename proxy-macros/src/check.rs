//! Syntax tree to model: one function per rule. Every mistake is a `syn::Error` on
//! the user's token, and all of them are collected, so a misspelt state used in five
//! rows gives five errors in one build. What survives the checks still becomes a
//! model, so codegen can emit a best-effort expansion beside the errors and one
//! mistake does not cascade into unresolved names.

use std::collections::{BTreeSet, VecDeque};

use syn::{parse_quote, Ident};

use crate::hierarchy;
use crate::model::{Event, Guarded, Machine, Row, State, Superstate, Timeout, Via};
use crate::names;
use crate::parse::{DeferDef, MachineDef, RowDef, TimeoutDef, Variant};

/// Accumulated errors, reported together.
#[derive(Default)]
pub(crate) struct Errors(Vec<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, span: impl Into<proc_macro2::Span>, message: impl std::fmt::Display) {
        self.0.push(syn::Error::new(span.into(), message));
    }

    /// The errors as `compile_error!`s, each once: the rows a superstate stands for
    /// share its tokens, so a mistake in it is found once per state but is one
    /// mistake, on one token. Unit tests read [`messages`](Self::messages), which
    /// keeps them all: outside an expansion every span is the same.
    pub(crate) fn into_compile_errors(self) -> proc_macro2::TokenStream {
        let mut seen: Vec<(String, String)> = Vec::new();
        let mut out = proc_macro2::TokenStream::new();
        for error in self.0 {
            let key = (error.to_string(), format!("{:?}", error.span()));
            if !seen.contains(&key) {
                out.extend(error.to_compile_error());
                seen.push(key);
            }
        }
        out
    }

    #[cfg(test)]
    pub(crate) fn messages(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

/// Checks one machine and builds its model from everything that passed.
/// `None` only when there is nothing to generate (no state at all).
pub(crate) fn check(mut def: MachineDef, errors: &mut Errors) -> Option<Machine> {
    for error in &def.syntax_errors {
        errors.0.push(error.clone());
    }
    let tree = hierarchy::desugar(&mut def, errors);
    let mut states = declared_states(&def, errors);
    if states.is_empty() {
        // Nothing to generate, but every other mistake that can be judged without
        // states is still reported in this build, not the next one.
        if def.initial.is_none() {
            errors.push(
                def.name.span(),
                format!("missing initial state: add `initial: <state>;` to `{}`", def.name),
            );
        }
        return None;
    }
    let mut events = declared_events(&def, errors);
    method_names_are_free(&def.name, &mut events, errors);
    let stand_ins = undeclared_names_stand_in(&def, &mut states, &mut events, errors);
    let state_names: Vec<&Ident> = states.iter().map(|s| &s.name).collect();
    let event_names: Vec<&Ident> = events.iter().map(|e| &e.name).collect();
    let table = Names { states: &state_names, events: &event_names };

    let initial = initial_state(&def, &table, errors);
    let terminal = terminal_states(&def, &table, errors);
    // A row dropped, or a name guessed, for a misspelling would make states look
    // unreachable or stuck: the graph is judged only when every row made it into the
    // model and every state name of the graph was spelt as declared.
    let (rows, rows_complete) = rows(&def, &table, &terminal, errors);
    let graph_exact = !stand_ins
        && rows_complete
        && def.initial.iter().chain(def.terminal.iter().flatten()).all(|name| state_names.contains(&name));
    let mut rows = rows;
    guards_are_sound(&mut rows, &table, &events, errors);
    let actions = state_actions(&def, &table, &terminal, &rows, errors);
    let initial_terminal = initial_is_not_terminal(&def, initial, &terminal, &state_names, errors);
    let timeouts = timeouts(&def, &table, &events, &rows, errors);
    let deferrals = deferrals(&def, &table, &rows, &terminal, errors);

    let mut states = states;
    for (state, (entry, exit)) in states.iter_mut().zip(actions) {
        (state.entry, state.exit) = (entry, exit);
    }
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
        superstates: Vec::new(),
    };
    // A superstate's action must not take the name of any other method of the
    // handlers trait, a guard's included.
    let state_names: Vec<&Ident> = machine.states.iter().map(|s| &s.name).collect();
    let event_names: Vec<&Ident> = machine.events.iter().map(|e| &e.name).collect();
    let mut handler_names = handler_names(&machine.rows, &state_names, &event_names);
    handler_names.extend(machine.rows.iter().flat_map(|r| r.guarded.iter().map(|g| g.guard.to_string())));
    machine.superstates = tree
        .into_iter()
        .map(|node| {
            let mut action = |listed: bool, handler: String, kind: &str| {
                let taken = listed && handler_names.contains(&handler);
                if taken {
                    errors.push(
                        node.name.span(),
                        format!(
                            "the {kind} action of superstate `{}` would be the handler `{handler}`, which another handler already is; rename the superstate",
                            node.name
                        ),
                    );
                }
                listed && !taken
            };
            let entry = action(node.entry, names::entry_action(&node.name), "entry");
            let exit = action(node.exit, names::exit_action(&node.name), "exit");
            let states =
                node.states.iter().filter_map(|s| machine.states.iter().position(|m| m.name == *s)).collect();
            Superstate { attrs: node.attrs, name: node.name, parent: node.parent, states, entry, exit }
        })
        .collect();
    // From a terminal initial state nothing is reachable: the one error says so,
    // rather than one "unreachable" per other state.
    if graph_exact && !initial_terminal {
        every_state_reachable(&machine, errors);
        every_state_has_a_way_out(&machine, errors);
    }
    machine.terminal.sort_unstable();
    Some(machine)
}

/// The handlers trait's methods for the rows (guarded ones too) and the states'
/// entry and exit actions, by name (guards, which are methods too, not included).
fn handler_names(rows: &[Row], states: &[&Ident], events: &[&Ident]) -> Vec<String> {
    let mut out = Vec::new();
    for row in rows {
        let (state, event) = (states[row.source], events[row.event]);
        out.push(names::row_handler(state, event));
        out.extend(row.guarded.iter().map(|g| names::guarded_handler(state, event, &g.guard)));
    }
    for state in states {
        out.push(names::entry_action(state));
        out.push(names::exit_action(state));
    }
    out
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

    /// `state`, except that a misspelt name, once reported, stands for the state the
    /// error suggests: the best-effort expansion then keeps the row, handler and
    /// method that the code using the machine names, and one typo gives one error.
    fn state_or_guess(&self, ident: &Ident, errors: &mut Errors) -> Option<usize> {
        self.state(ident, errors).or_else(|| guess(self.states, ident))
    }

    /// `event`, with the same stand-in as `state_or_guess`.
    fn event_or_guess(&self, ident: &Ident, errors: &mut Errors) -> Option<usize> {
        self.event(ident, errors).or_else(|| guess(self.events, ident))
    }
}

/// The declared name `resolve` suggests for a misspelt `ident`.
fn guess(declared: &[&Ident], ident: &Ident) -> Option<usize> {
    let near = names::closest(&ident.to_string(), declared.iter().map(ToString::to_string))?;
    declared.iter().position(|d| **d == near)
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

/// A name used in a row, `initial` or `terminal`, not declared and without a close
/// match, is reported here, once per use, and then stands in the model as if declared
/// (a state without data, an event without payload). The expansion then still has the
/// row's handler and method, so the user's `impl` of the handler and their call of the
/// method, written against the table as they meant it, add no error of their own
/// (E0407 "not a member of trait", E0599 "no method"). A name with a close match is
/// left to the lookups, which report it and stand in the suggested name. Returns
/// whether any stand-in was added (the graph is then not judged).
fn undeclared_names_stand_in(
    def: &MachineDef,
    states: &mut Vec<State>,
    events: &mut Vec<Event>,
    errors: &mut Errors,
) -> bool {
    let declared_states: Vec<Ident> = states.iter().map(|s| s.name.clone()).collect();
    let declared_events: Vec<Ident> = events.iter().map(|e| e.name.clone()).collect();
    let state_refs: Vec<&Ident> = declared_states.iter().collect();
    let event_refs: Vec<&Ident> = declared_events.iter().collect();
    let mut uses: Vec<(&Ident, bool)> = Vec::new();
    uses.extend(def.initial.iter().chain(def.terminal.iter().flatten()).map(|i| (i, true)));
    for row in def.transitions.iter().flatten() {
        uses.push((&row.event, false));
        uses.extend(row.sources.iter().chain(&row.targets).map(|i| (i, true)));
    }
    let mut added = false;
    for (ident, is_state) in uses {
        let declared = if is_state { &state_refs } else { &event_refs };
        if declared.contains(&ident) || guess(declared, ident).is_some() {
            continue;
        }
        let what = if is_state { "state" } else { "event" };
        resolve(declared, ident, what, errors);
        added = true;
        if is_state && !states.iter().any(|s| s.name == *ident) {
            states.push(State {
                attrs: Vec::new(),
                name: ident.clone(),
                data: None,
                entry: false,
                exit: false,
            });
        } else if !is_state && !events.iter().any(|e| e.name == *ident) {
            // Its method is left out if its name is taken: that is no mistake of
            // the user's to report on top of the undeclared name.
            let method = names::snake(&ident.to_string());
            let free = !names::RESERVED_METHODS.contains(&method.as_str())
                && events.iter().all(|e| names::snake(&e.name.to_string()) != method);
            events.push(Event { attrs: Vec::new(), name: ident.clone(), payload: None, method: free });
        }
    }
    added
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
    if section.is_empty() {
        errors.push(
            def.states_span.unwrap_or_else(|| def.name.span()),
            "`states {}` is empty: a machine has at least one state, for example `states { Idle, Busy(Job) }`",
        );
        return Vec::new();
    }
    unique_variants(section, "state", errors)
        .map(|v| State {
            attrs: v.attrs.clone(),
            name: v.name.clone(),
            data: v.data.clone(),
            entry: false,
            exit: false,
        })
        .collect()
}

/// The `events { .. }` section, without duplicates. A machine may have none.
fn declared_events(def: &MachineDef, errors: &mut Errors) -> Vec<Event> {
    let Some(section) = &def.events else {
        return Vec::new();
    };
    unique_variants(section, "event", errors)
        .map(|v| Event {
            attrs: v.attrs.clone(),
            name: v.name.clone(),
            payload: v.data.clone(),
            method: true,
        })
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
/// the handle already has, nor of another event. An event that would is kept, without
/// its method.
fn method_names_are_free(machine: &Ident, events: &mut [Event], errors: &mut Errors) {
    let mut taken: Vec<(String, Ident)> = Vec::new();
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
            event.method = false;
        } else if let Some((_, first)) = taken.iter().find(|(m, _)| *m == method) {
            errors.push(
                event.name.span(),
                format!(
                    "event `{}` would generate the method `{method}`, as `{first}` does; rename one of the two events",
                    event.name
                ),
            );
            event.method = false;
        }
        taken.push((method, event.name.clone()));
    }
}

/// `initial: State;` is required and must name a declared state. Without it, the
/// first state stands in so the expansion can go on.
fn initial_state(def: &MachineDef, table: &Names<'_>, errors: &mut Errors) -> usize {
    match &def.initial {
        Some(section) => table.state_or_guess(section, errors).unwrap_or(0),
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

/// The initial state is not terminal when there are other states: the machine could
/// never move. Returns whether it is (an error already reported).
fn initial_is_not_terminal(
    def: &MachineDef,
    initial: usize,
    terminal: &[usize],
    state_names: &[&Ident],
    errors: &mut Errors,
) -> bool {
    let Some(ident) = &def.initial else { return false };
    // A one-state machine that starts where it ends is consistent (a machine without
    // events); with more states, the others could never be reached.
    if !terminal.contains(&initial) || !state_names.contains(&ident) || state_names.len() < 2 {
        return false;
    }
    errors.push(
        ident.span(),
        format!(
            "the initial state `{ident}` is terminal: the machine could never leave it; start in another state, or take `{ident}` out of `terminal`"
        ),
    );
    true
}

/// `terminal: [..];` names declared states.
fn terminal_states(def: &MachineDef, table: &Names<'_>, errors: &mut Errors) -> Vec<usize> {
    let Some(section) = &def.terminal else {
        return Vec::new();
    };
    let mut terminal = Vec::new();
    for ident in section {
        if let Some(state) = table.state_or_guess(ident, errors) {
            if !terminal.contains(&state) {
                terminal.push(state);
            }
        }
    }
    terminal
}

/// `entry: [..];` and `exit: [..];` name declared states, each once; a terminal
/// state is never left, so it has no exit; and an action's handler must not take
/// the name of a row's. Per state: (entry, exit).
fn state_actions(
    def: &MachineDef,
    table: &Names<'_>,
    terminal: &[usize],
    rows: &[Row],
    errors: &mut Errors,
) -> Vec<(bool, bool)> {
    let mut actions = vec![(false, false); table.states.len()];
    let row_handlers: Vec<String> =
        rows.iter().map(|r| names::row_handler(table.states[r.source], table.events[r.event])).collect();
    for (section, kind) in [(&def.entry, "entry"), (&def.exit, "exit")] {
        // Per state: listed, and whether as spelt (a misspelling stands for its close
        // match, reported once, and is no second listing of it).
        let mut listed: Vec<Option<bool>> = vec![None; table.states.len()];
        for ident in section.iter().flatten() {
            let Some(state) = table.state_or_guess(ident, errors) else { continue };
            let exact = ident == table.states[state];
            match listed[state] {
                Some(true) if exact => {
                    errors.push(ident.span(), format!("state `{ident}` is listed twice in `{kind}: [..]`"));
                    continue;
                }
                Some(before) => {
                    listed[state] = Some(before || exact);
                    continue;
                }
                None => listed[state] = Some(exact),
            }
            let slot = &mut actions[state];
            let flag = if kind == "entry" { &mut slot.0 } else { &mut slot.1 };
            if kind == "exit" && terminal.contains(&state) {
                errors.push(
                    ident.span(),
                    format!(
                        "terminal state `{ident}` is never left, so it has no exit action; remove it from `exit: [..]`"
                    ),
                );
                continue;
            }
            let handler = match kind {
                "entry" => names::entry_action(table.states[state]),
                _ => names::exit_action(table.states[state]),
            };
            if row_handlers.contains(&handler) {
                errors.push(
                    ident.span(),
                    format!(
                        "the {kind} action of `{ident}` would be the handler `{handler}`, which a row's handler already is; rename the state or the event"
                    ),
                );
                continue;
            }
            *flag = true;
        }
    }
    actions
}

/// Every row, split into (source, event) pairs, and whether all of them resolved
/// exactly. A pair declared twice, a target listed twice and a row leaving a terminal
/// state are errors. A misspelt name with a suggestion stands for the suggested one;
/// nothing more is reported about a row that rests on such a guess.
fn rows(def: &MachineDef, table: &Names<'_>, terminal: &[usize], errors: &mut Errors) -> (Vec<Row>, bool) {
    let Some(section) = &def.transitions else {
        return (Vec::new(), true);
    };
    let mut rows: Vec<Row> = Vec::new();
    let mut complete = true;
    // The table's own rows first: a wildcard covers the states left without one,
    // wherever it is written.
    let (wildcards, own): (Vec<&RowDef>, Vec<&RowDef>) = section.iter().partition(|r| r.wildcard.is_some());
    for row in own {
        let event = table.event_or_guess(&row.event, errors);
        let sources = resolve_all(&row.sources, "source", |i, e| table.state_or_guess(i, e), errors);
        let targets = resolve_all(&row.targets, "target", |i, e| table.state_or_guess(i, e), errors);
        let guessed = event.is_some_and(|e| row.event != *table.events[e])
            || sources.iter().chain(&targets).any(|(ident, s)| *ident != table.states[*s]);
        complete &= !guessed
            && event.is_some()
            && sources.len() == row.sources.len()
            && targets.len() == row.targets.len();
        let Some(event) = event else { continue };
        if targets.is_empty() {
            continue;
        }
        if row.guard.is_some() && targets.len() > 1 {
            errors.push(
                row.targets[1].span(),
                format!(
                    "a guarded row has one target: the guard already chose it; write one row per target, each with its own guard (`{} + {} if <guard> => {}`)",
                    row.sources.first().map_or_else(String::new, ToString::to_string),
                    row.event,
                    row.targets[1]
                ),
            );
        }
        for (ident, source) in sources {
            if let Some(existing) = rows.iter_mut().find(|r| r.source == source && r.event == event) {
                if guessed {
                    continue;
                }
                // A row left out of its pair would make its target look unreachable.
                complete &= add_to_group(existing, row, ident, &targets, errors);
                continue;
            }
            if terminal.contains(&source) && !guessed {
                errors.push(
                    ident.span(),
                    format!(
                        "terminal state `{ident}` has an outgoing row for `{}`; remove the row or take `{ident}` out of `terminal`",
                        row.event
                    ),
                );
            }
            let mut new = pair(row, ident.span(), source, event, &targets);
            if let Some(guard) = &row.guard {
                new.guarded.push(Guarded {
                    attrs: row.attrs.clone(),
                    span: guard.span(),
                    guard: guard.clone(),
                    target: targets[0].1,
                    sound: true,
                });
                // Filled by the pair's unguarded row, which must come later; the
                // docs are the guarded row's, not the fallback's handler's.
                new.targets.clear();
                new.attrs = Vec::new();
            }
            rows.push(new);
        }
    }
    // A pair whose rows are all guarded could find no guard holding: the table
    // would not say where the event leads.
    for row in &mut rows {
        if row.targets.is_empty() {
            let last = row.guarded.last().expect("a pair has a row");
            let (state, event) = (table.states[row.source], table.events[row.event]);
            errors.push(
                last.guard.span(),
                format!(
                    "`{state} + {event}` has only guarded rows: add an unguarded row after them, `{state} + {event} => <state>`, taken when no guard holds"
                ),
            );
            // The expansion goes on as if the last guarded row's target were the
            // fallback's.
            row.targets.push(last.target);
        }
    }
    for row in wildcards {
        let underscore = row.wildcard.as_ref().map_or_else(|| row.event.span(), |w| w.span);
        if let Some(guard) = &row.guard {
            // Which states a wildcard covers depends on the other rows; a guard on
            // top would make a pair's row order depend on where the wildcard is.
            errors.push(
                guard.span(),
                format!(
                    "guards on wildcard rows are not supported: write the guarded rows per state (`<State> + {0} if {guard} => ..`), and keep `_ + {0}` unguarded",
                    row.event
                ),
            );
        }
        let event = table.event_or_guess(&row.event, errors);
        let targets = resolve_all(&row.targets, "target", |i, e| table.state_or_guess(i, e), errors);
        let guessed = event.is_some_and(|e| row.event != *table.events[e])
            || targets.iter().any(|(ident, s)| *ident != table.states[*s]);
        complete &= !guessed && event.is_some() && targets.len() == row.targets.len();
        let Some(event) = event else { continue };
        if targets.is_empty() {
            continue;
        }
        // A state that defers the event keeps it for later: it has no row for it,
        // and the wildcard must not give it one.
        let defers = |state: usize| {
            def.defer
                .iter()
                .flatten()
                .any(|d| d.state == *table.states[state] && d.events.iter().any(|e| e == table.events[event]))
        };
        let sources: Vec<usize> = (0..table.states.len())
            .filter(|&s| {
                !terminal.contains(&s)
                    && !defers(s)
                    && !rows.iter().any(|r| r.source == s && r.event == event)
            })
            .collect();
        if sources.is_empty() {
            if !guessed {
                errors.push(
                    underscore,
                    format!(
                        "`_ + {0}` covers no state: every state that is not terminal has its own row for `{0}`, defers it, or an earlier `_ + {0}` took it; remove this row",
                        row.event
                    ),
                );
            }
            continue;
        }
        for source in sources {
            rows.push(pair(row, underscore, source, event, &targets));
        }
    }
    (rows, complete)
}

fn pair(
    row: &RowDef,
    span: proc_macro2::Span,
    source: usize,
    event: usize,
    targets: &[(&Ident, usize)],
) -> Row {
    Row {
        attrs: row.attrs.clone(),
        span,
        source,
        event,
        targets: targets.iter().map(|(_, t)| *t).collect(),
        guarded: Vec::new(),
        via: match (&row.via, row.wildcard) {
            (Some(group), _) => Via::Superstate(group.clone()),
            (None, Some(_)) => Via::Wildcard,
            (None, None) => Via::Own,
        },
    }
}

/// A further row for a pair that already has one: a guarded row while the pair has
/// no unguarded row yet, or its unguarded row, which closes it. Anything else never
/// runs and is an error. Returns false when a guarded row was left out (the graph
/// is then not judged).
fn add_to_group(
    existing: &mut Row,
    row: &RowDef,
    ident: &Ident,
    targets: &[(&Ident, usize)],
    errors: &mut Errors,
) -> bool {
    let event = &row.event;
    let closed = !existing.targets.is_empty();
    if closed && existing.guarded.is_empty() && row.guard.is_none() {
        errors.push(
            ident.span(),
            format!(
                "duplicate transition: `{ident}` already has a row for `{event}`; a state has one row per event (write alternatives in one row: `{ident} + {event} => A | B`, or guard all rows but the last: `{ident} + {event} if <guard> => A`)"
            ),
        );
        return true;
    }
    if closed {
        // The unguarded row is always taken: whatever follows it is never tried.
        errors.push(
            ident.span(),
            format!(
                "`{ident} + {event}` already has its unguarded row, which is always taken, so this row is never tried; put the unguarded row last"
            ),
        );
        return false;
    }
    match &row.guard {
        Some(guard) => {
            if existing.guarded.iter().any(|g| g.guard == *guard) {
                errors.push(
                    guard.span(),
                    format!(
                        "guard `{guard}` is used twice for `{ident} + {event}`: the second row would never be taken; use another guard"
                    ),
                );
                return false;
            }
            existing.guarded.push(Guarded {
                attrs: row.attrs.clone(),
                span: guard.span(),
                guard: guard.clone(),
                target: targets[0].1,
                sound: true,
            });
        }
        None => {
            if targets.len() > 1 {
                errors.push(
                    row.targets[1].span(),
                    format!(
                        "the unguarded row of a pair with guarded rows has one target; write a guarded row for `{}` instead",
                        row.targets[1]
                    ),
                );
            }
            existing.targets = vec![targets[0].1];
            existing.attrs = row.attrs.clone();
        }
    }
    true
}

/// A guard is a method of the handlers trait: its name must not be a handler's, and
/// it takes one event type, so all the events it guards carry the same payload.
fn guards_are_sound(rows: &mut [Row], table: &Names<'_>, events: &[Event], errors: &mut Errors) {
    let handlers = handler_names(rows, table.states, table.events);
    let payload_text = |event: usize| {
        events[event].payload.as_ref().map_or_else(
            || "no payload".to_owned(),
            |p| {
                let text = quote::ToTokens::to_token_stream(p).to_string();
                format!("payload `{text}`")
            },
        )
    };
    let mut seen: Vec<(String, usize)> = Vec::new();
    for row in rows.iter_mut() {
        let (source, event) = (row.source, row.event);
        for guarded in &mut row.guarded {
            let guard = &guarded.guard;
            let name = guard.to_string();
            if handlers.contains(&name) {
                errors.push(
                    guard.span(),
                    format!("guard `{guard}` has the name of a handler of the trait; rename the guard"),
                );
                guarded.sound = false;
                continue;
            }
            // The row's own handler must not be another's either (`A + GoIfX` and
            // `A + Go if x` would both be `a_go_if_x`).
            let own = names::guarded_handler(table.states[source], table.events[event], guard);
            if handlers.iter().filter(|h| **h == own).count() > 1 {
                errors.push(
                    guard.span(),
                    format!("the handler of this guarded row, `{own}`, is also another handler's name; rename the guard"),
                );
            }
            match seen.iter().find(|(g, _)| *g == name) {
                Some((_, first)) if payload_text(*first) != payload_text(event) => {
                    guarded.sound = false;
                    errors.push(
                    guard.span(),
                    format!(
                        "guard `{guard}` guards `{}` ({}) and `{}` ({}): a guard takes one event type; use a guard per event type",
                        table.events[*first],
                        payload_text(*first),
                        table.events[event],
                        payload_text(event)
                    ),
                    );
                }
                Some(_) => {}
                None => seen.push((name, event)),
            }
        }
    }
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

/// `defer { State: [Event, ..] }`: known names, a state that is not terminal, and
/// never an event the state handles (it would be ambiguous whether the row or the
/// deferral wins).
fn deferrals(
    def: &MachineDef,
    table: &Names<'_>,
    rows: &[Row],
    terminal: &[usize],
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
        if terminal.contains(&state) {
            // A terminal state never changes, so a deferred event would never be
            // replayed.
            errors.push(
                state_ident.span(),
                format!(
                    "terminal state `{state_ident}` defers events, but it is never left, so they would never be replayed; remove its deferral"
                ),
            );
            continue;
        }
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
            for target in row.next_targets() {
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

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::parse::Input;

    /// Checks the first machine of `input`; returns the model and the messages.
    fn run(input: Input) -> (Option<Machine>, Vec<String>) {
        let mut errors = Errors::default();
        let def = input.machines.into_iter().next().unwrap();
        let machine = check(def, &mut errors);
        (machine, errors.messages())
    }

    #[test]
    fn a_valid_table_becomes_a_model_of_pairs() {
        let (machine, errors) = run(parse_quote! {
            machine Lease {
                initial: Idle;
                terminal: [Closed];
                states { Idle, Open(u8), Closed }
                events { Connect, Close, TimedOut }
                transitions {
                    Idle + Connect => Open | Idle,
                    [Idle, Open] + Close => Closed,
                    Open + TimedOut => Idle,
                }
                timeouts { Open after std::time::Duration::from_secs(1) => TimedOut }
                defer { Open: [Connect] }
            }
        });
        assert_eq!(errors, Vec::<String>::new());
        let m = machine.unwrap();
        assert_eq!(m.initial, 0);
        assert_eq!(m.terminal, [2]);
        let pairs: Vec<(usize, usize, Vec<usize>)> =
            m.rows.iter().map(|r| (r.source, r.event, r.targets.clone())).collect();
        assert_eq!(pairs, [(0, 0, vec![1, 0]), (0, 1, vec![2]), (1, 1, vec![2]), (1, 2, vec![0])]);
        assert_eq!((m.timeouts[0].state, m.timeouts[0].event), (1, 2));
        assert_eq!(m.deferrals, [(1, vec![0])]);
        assert!(m.row(1, 0).is_none());
        assert_eq!(m.context, parse_quote!(()));
    }

    #[test]
    fn every_misspelling_is_reported_with_a_suggestion() {
        let (machine, errors) = run(parse_quote! {
            machine M {
                initial: Idle;
                terminal: [Done];
                states { Idle, Busy, Done }
                events { Go, Stop }
                transitions {
                    Idle + Go => Bsy,
                    Bsy + Stop => Done,
                    Busy + Stp => Done,
                    Idle + Stop => Busy,
                }
            }
        });
        assert_eq!(
            errors,
            [
                "unknown state `Bsy`; did you mean `Busy`? the states are `Idle`, `Busy`, `Done`",
                "unknown state `Bsy`; did you mean `Busy`? the states are `Idle`, `Busy`, `Done`",
                "unknown event `Stp`; did you mean `Stop`? the events are `Go`, `Stop`",
            ]
        );
        // No graph error and no duplicate follows from the guesses. Each misspelt name
        // stands for the suggested one in the model, for the best-effort expansion;
        // `Busy + Stp` would repeat `Busy + Stop` and is left out.
        let pairs: Vec<(usize, usize, Vec<usize>)> =
            machine.unwrap().rows.iter().map(|r| (r.source, r.event, r.targets.clone())).collect();
        assert_eq!(pairs, [(0, 0, vec![1]), (1, 1, vec![2]), (0, 1, vec![1])]);
    }

    #[test]
    fn a_name_without_suggestion_stands_in_as_declared() {
        let (machine, errors) = run(parse_quote! {
            machine M {
                initial: Idle;
                states { Idle, Busy }
                events { Go }
                transitions { Idle + Go => Busy, Busy + Go => Gone }
            }
        });
        assert_eq!(errors, ["unknown state `Gone`; the states are `Idle`, `Busy`"]);
        // `Gone` stands in as a state without data, so the row, its handler and its
        // method are still generated and the code using them adds no error.
        let machine = machine.unwrap();
        assert_eq!(machine.rows.len(), 2);
        assert_eq!(machine.states[2].name, "Gone");
    }

    #[test]
    fn graph_rules() {
        let (_, errors) = run(parse_quote! {
            machine M {
                initial: A;
                terminal: [C];
                states { A, B, C, D }
                events { Go }
                transitions { A + Go => C, C + Go => A, D + Go => A }
            }
        });
        assert_eq!(
            errors,
            [
                "terminal state `C` has an outgoing row for `Go`; remove the row or take `C` out of `terminal`",
                "state `B` is unreachable from the initial state `A`; add a row that leads to it, or remove it",
                "state `D` is unreachable from the initial state `A`; add a row that leads to it, or remove it",
                "state `B` has no way out: add a row leaving it, or list it in `terminal: [..]`",
            ]
        );
    }

    #[test]
    fn duplicates() {
        let (_, errors) = run(parse_quote! {
            machine M {
                initial: A;
                terminal: [B];
                states { A, B, A }
                events { Go, Go }
                transitions { A + Go => B | B, [A, A] + Go => B }
            }
        });
        assert_eq!(
            errors,
            [
                "duplicate state `A`: each state is declared once",
                "duplicate event `Go`: each event is declared once",
                "duplicate target `B` in this row; list it once",
                "duplicate source `A` in this row; list it once",
                "duplicate transition: `A` already has a row for `Go`; a state has one row per event (write alternatives in one row: `A + Go => A | B`, or guard all rows but the last: `A + Go if <guard> => A`)",
            ]
        );
    }

    #[test]
    fn missing_initial_and_states() {
        let (_, errors) = run(parse_quote! { machine M { states { A } terminal: [A] } });
        assert_eq!(errors, ["missing initial state: add `initial: <state>;` to `M`, naming one of `A`"]);
        let (machine, errors) = run(parse_quote! { machine M { initial: A; } });
        assert!(machine.is_none());
        assert_eq!(
            errors,
            ["missing `states { .. }` section: list the states of `M`, for example `states { Idle, Busy(Job) }`"]
        );
    }

    #[test]
    fn a_machine_without_sections_reports_every_missing_one() {
        let (machine, errors) = run(parse_quote! { machine Lamp {} });
        assert!(machine.is_none());
        assert_eq!(
            errors,
            [
                "missing `states { .. }` section: list the states of `Lamp`, for example `states { Idle, Busy(Job) }`",
                "missing initial state: add `initial: <state>;` to `Lamp`",
            ]
        );
        let (machine, errors) = run(parse_quote! { machine Lamp { initial: Off; states {} } });
        assert!(machine.is_none());
        assert_eq!(
            errors,
            ["`states {}` is empty: a machine has at least one state, for example `states { Idle, Busy(Job) }`"]
        );
    }

    #[test]
    fn a_terminal_initial_state_is_one_error() {
        let (_, errors) = run(parse_quote! {
            machine M {
                initial: Done;
                terminal: [Done];
                states { Idle, Busy, Done }
                events { Go }
                transitions { Idle + Go => Busy, Busy + Go => Done }
            }
        });
        assert_eq!(
            errors,
            ["the initial state `Done` is terminal: the machine could never leave it; start in another state, or take `Done` out of `terminal`"]
        );
    }

    #[test]
    fn a_terminal_state_defers_nothing() {
        let (machine, errors) = run(parse_quote! {
            machine M {
                initial: A;
                terminal: [B];
                states { A, B }
                events { Go, Poke }
                transitions { A + Go => B }
                defer { B: [Poke] }
            }
        });
        assert_eq!(
            errors,
            ["terminal state `B` defers events, but it is never left, so they would never be replayed; remove its deferral"]
        );
        assert!(machine.unwrap().deferrals.is_empty());
    }

    #[test]
    fn a_repeated_section_does_not_hide_the_other_mistakes() {
        let (_, errors) = run(parse_quote! {
            machine M {
                initial: A;
                initial: B;
                states { A, B }
                events { Go }
                transitions { A + Go => B }
                transitions { B + Go => Gone }
            }
        });
        // The second `transitions` is merged into the first, so its row is checked
        // and `B` does not look like a dead end.
        assert_eq!(
            errors,
            [
                "duplicate section `initial`: each section may appear once per machine",
                "duplicate section `transitions`: each section may appear once per machine; write its items in one",
                "unknown state `Gone`; the states are `A`, `B`",
            ]
        );
    }

    #[test]
    fn timeouts_and_deferrals() {
        let (machine, errors) = run(parse_quote! {
            machine M {
                initial: A;
                terminal: [B];
                states { A, B }
                events { Go, Tick(u8), Late }
                transitions { A + Go => B, A + Tick => B }
                timeouts {
                    Q after d => Go,
                    A after d => Nope,
                    A after d => Tick,
                    A after d => Late,
                    A after d => Go,
                    A after d => Go,
                }
                defer { A: [Go, Late, Lat], Z: [Go], A: [Late] }
            }
        });
        assert_eq!(
            errors,
            [
                "unknown state `Q`; the states are `A`, `B`",
                "unknown event `Nope`; the events are `Go`, `Tick`, `Late`",
                "timeout event `Tick` carries data, but a timer has none to give; use an event without data",
                "`A` times out with `Late` but has no row for it; add `A + Late => <state>` to `transitions`",
                "duplicate timeout: `A` already has one; a state has at most one timer",
                "unknown event `Lat`; did you mean `Late`? the events are `Go`, `Tick`, `Late`",
                "`A` both handles and defers `Go`; remove its row or its deferral",
                "unknown state `Z`; the states are `A`, `B`",
                "duplicate deferral list for `A`; list all its deferred events once: `A: [A, B]`",
            ]
        );
        let m = machine.unwrap();
        assert_eq!(m.timeouts.len(), 1);
        assert_eq!(m.deferrals, [(0, vec![2])]);
    }

    #[test]
    fn event_methods_must_not_clash() {
        let (machine, errors) = run(parse_quote! {
            machine M {
                initial: A;
                terminal: [A];
                states { A }
                events { IntoAny, FooBar, Foo_bar }
            }
        });
        assert_eq!(errors.len(), 2);
        assert!(errors[0]
            .starts_with("event `IntoAny` would generate the method `into_any`, which `M` already has"));
        assert_eq!(
            errors[1],
            "event `Foo_bar` would generate the method `foo_bar`, as `FooBar` does; rename one of the two events"
        );
        // The events stay, for the rows and handlers naming them; only the clashing
        // methods are left out of the expansion.
        let methods: Vec<bool> = machine.unwrap().events.iter().map(|e| e.method).collect();
        assert_eq!(methods, [false, true, false]);
    }

    #[test]
    fn guarded_rows_make_one_pair() {
        let (machine, errors) = run(parse_quote! {
            machine M {
                initial: A;
                terminal: [C];
                states { A, B, C }
                events { Go(u8) }
                transitions { A + Go if g => B, A + Go if h => C, A + Go => A, B + Go if g => C, B + Go => C }
            }
        });
        assert_eq!(errors, Vec::<String>::new());
        let m = machine.unwrap();
        type Pair = (usize, Vec<(String, usize)>, Vec<usize>);
        let pairs: Vec<Pair> = m
            .rows
            .iter()
            .map(|r| {
                (
                    r.source,
                    r.guarded.iter().map(|g| (g.guard.to_string(), g.target)).collect(),
                    r.targets.clone(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [(0, vec![("g".into(), 1), ("h".into(), 2)], vec![0]), (1, vec![("g".into(), 2)], vec![2])]
        );
        assert_eq!(m.rows[0].next_targets(), [1, 2, 0]);
        assert!(!m.rows[1].returns_next());
    }

    #[test]
    fn guard_mistakes() {
        let (_, errors) = run(parse_quote! {
            machine M {
                initial: A;
                terminal: [C];
                states { A, B, C }
                events { Go(u8), Stop, Halt(u16), Ping, PingIfZ }
                transitions {
                    A + Go if g => B,
                    A + Go => C,
                    A + Go if h => B,
                    B + Go if g => C,
                    B + Go if g => A,
                    B + Go => C | A,
                    A + Stop if k => C | B,
                    A + Stop if b_go => C,
                    _ + Halt if g => C,
                    B + Stop if last => C,
                    A + Halt if k => C,
                    A + Halt => C,
                    B + PingIfZ => C,
                    B + Ping if z => C,
                    B + Ping => C,
                }
            }
        });
        assert_eq!(
            errors,
            [
                "`A + Go` already has its unguarded row, which is always taken, so this row is never tried; put the unguarded row last",
                "guard `g` is used twice for `B + Go`: the second row would never be taken; use another guard",
                "the unguarded row of a pair with guarded rows has one target; write a guarded row for `A` instead",
                "a guarded row has one target: the guard already chose it; write one row per target, each with its own guard (`A + Stop if <guard> => B`)",
                "`A + Stop` has only guarded rows: add an unguarded row after them, `A + Stop => <state>`, taken when no guard holds",
                "`B + Stop` has only guarded rows: add an unguarded row after them, `B + Stop => <state>`, taken when no guard holds",
                "guards on wildcard rows are not supported: write the guarded rows per state (`<State> + Halt if g => ..`), and keep `_ + Halt` unguarded",
                "guard `b_go` has the name of a handler of the trait; rename the guard",
                "guard `k` guards `Stop` (no payload) and `Halt` (payload `u16`): a guard takes one event type; use a guard per event type",
                "the handler of this guarded row, `b_ping_if_z`, is also another handler's name; rename the guard",
            ]
        );
    }
}
