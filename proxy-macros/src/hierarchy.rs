//! Superstates, desugared before `check` judges the table.
//!
//! `superstates { Idle: [Started, Warm], Warm: [Ready, Paused] }` makes a tree: a
//! superstate groups states and other superstates, each member in one group. A row,
//! timeout or deferral written for a superstate stands for the same row, timeout or
//! deferral of each state below it, wherever no nearer level says otherwise: for one
//! state and one event, the state's own rows and deferrals come first, then its
//! superstate's, then that one's parent's, and the wildcard `_` last (check applies
//! it to what is left). A terminal state below a superstate gets none of them.
//!
//! Desugaring here, on the syntax tree, keeps `check` and codegen unaware of the tree
//! except for its names: every rule about rows (duplicates, guards, reachability)
//! then holds for the rows a superstate stands for exactly as for rows written out,
//! and each stands-for row's source is the superstate's token, so what `check` says
//! about it points there. Each state still has its own handler per row
//! (`{state}_{event}`, with its own data): the typestate API stays exact per state.

use proc_macro2::Span;
use syn::{Attribute, Ident};

use crate::check::Errors;
use crate::names;
use crate::parse::{DeferDef, MachineDef, RowDef, TimeoutDef};

/// One superstate of the tree.
pub(crate) struct Node {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    /// The superstate this one is in.
    pub(crate) parent: Option<usize>,
    /// The states directly in it, in the order listed.
    pub(crate) states: Vec<Ident>,
    /// Listed in `entry: [..]`: `on_enter_<superstate>` runs on every transition
    /// from outside it to a state in it, and in `new` when the initial state is in it.
    pub(crate) entry: bool,
    /// Listed in `exit: [..]`: `on_exit_<superstate>` runs on every transition from
    /// a state in it to one outside it.
    pub(crate) exit: bool,
}

/// Checks the `superstates` section and rewrites `def` so that nothing in it names a
/// superstate any more. Returns the tree, for the model (markers, `META`, diagrams).
pub(crate) fn desugar(def: &mut MachineDef, errors: &mut Errors) -> Vec<Node> {
    let Some(section) = def.superstates.take() else {
        return Vec::new();
    };
    let states: Vec<Ident> = def.states.iter().flatten().map(|v| v.name.clone()).collect();
    let mut nodes = tree(section, &states, errors);
    if nodes.is_empty() {
        return nodes;
    }
    superstate_actions(def, &mut nodes, errors);
    let tree = Tree::new(&nodes, &states);
    tree.no_superstate_where_a_state_belongs(def, errors);
    tree.expand(def, errors);
    nodes
}

/// The nodes of the section, checked: unique names that are not states', members
/// that exist, one group per member, no cycle, no empty group.
fn tree(section: Vec<crate::parse::SuperstateDef>, states: &[Ident], errors: &mut Errors) -> Vec<Node> {
    let mut defs = Vec::new();
    for def in section {
        if names::GENERATED_SUFFIXES.iter().any(|s| def.name == s) {
            errors.push(
                def.name.span(),
                format!(
                    "superstate `{0}` would generate the trait `<Machine>{0}`, which the machine already has; rename the superstate",
                    def.name
                ),
            );
        } else if states.contains(&def.name) {
            errors.push(
                def.name.span(),
                format!(
                    "superstate `{0}` has the name of a state; states and superstates share one namespace: rename one of them",
                    def.name
                ),
            );
        } else if defs.iter().any(|d: &crate::parse::SuperstateDef| d.name == def.name) {
            errors.push(
                def.name.span(),
                format!("duplicate superstate `{}`: list all its members once: `{0}: [A, B]`", def.name),
            );
        } else {
            defs.push(def);
        }
    }
    let names: Vec<Ident> = defs.iter().map(|d| d.name.clone()).collect();
    let mut nodes: Vec<Node> = defs
        .iter()
        .map(|d| Node {
            attrs: d.attrs.clone(),
            name: d.name.clone(),
            parent: None,
            states: Vec::new(),
            entry: false,
            exit: false,
        })
        .collect();
    // Which group each state and each superstate is in, as first listed.
    let mut state_group: Vec<Option<usize>> = vec![None; states.len()];
    for (group, def) in defs.iter().enumerate() {
        if def.members.is_empty() {
            errors.push(
                def.name.span(),
                format!("superstate `{0}` groups nothing; list its states: `{0}: [A, B]`", def.name),
            );
        }
        for member in &def.members {
            let earlier = if let Some(state) = states.iter().position(|s| s == member) {
                let earlier = state_group[state];
                if earlier.is_none() {
                    state_group[state] = Some(group);
                    nodes[group].states.push(member.clone());
                }
                earlier
            } else if let Some(child) = names.iter().position(|n| n == member) {
                if child == group || is_below(&nodes, group, child) {
                    errors.push(
                        member.span(),
                        format!(
                            "superstate `{member}` would contain itself through `{}`; superstates make a tree",
                            def.name
                        ),
                    );
                    continue;
                }
                let earlier = nodes[child].parent;
                if earlier.is_none() {
                    nodes[child].parent = Some(group);
                }
                earlier
            } else {
                unknown_member(member, &def.name, states, &names, errors);
                continue;
            };
            if let Some(earlier) = earlier {
                errors.push(
                    member.span(),
                    format!(
                        "`{member}` is already in superstate `{}`; each state is in one superstate: nest superstates to share rows between groups",
                        names[earlier]
                    ),
                );
            }
        }
    }
    nodes
}

/// Takes the superstates out of `entry: [..]` and `exit: [..]` into their nodes'
/// flags; what is left there names states, for `check`.
fn superstate_actions(def: &mut MachineDef, nodes: &mut [Node], errors: &mut Errors) {
    for (list, kind) in [(&mut def.entry, "entry"), (&mut def.exit, "exit")] {
        let Some(list) = list else { continue };
        list.retain(|ident| {
            let Some(node) = nodes.iter_mut().find(|n| n.name == *ident) else { return true };
            let flag = if kind == "entry" { &mut node.entry } else { &mut node.exit };
            if *flag {
                errors.push(ident.span(), format!("superstate `{ident}` is listed twice in `{kind}: [..]`"));
            }
            *flag = true;
            false
        });
    }
}

/// Whether `group` is `ancestor` or below it, following parents.
fn is_below(nodes: &[Node], group: usize, ancestor: usize) -> bool {
    let mut at = Some(group);
    while let Some(node) = at {
        if node == ancestor {
            return true;
        }
        at = nodes[node].parent;
    }
    false
}

fn unknown_member(member: &Ident, group: &Ident, states: &[Ident], supers: &[Ident], errors: &mut Errors) {
    let all = states.iter().chain(supers).map(ToString::to_string);
    let list = names::backticked(states.iter().map(ToString::to_string));
    let message = match names::closest(&member.to_string(), all) {
        Some(near) => format!(
            "unknown member `{member}` of superstate `{group}`; did you mean `{near}`? the states are {list}"
        ),
        None => format!("unknown member `{member}` of superstate `{group}`; the states are {list}"),
    };
    errors.push(member.span(), message);
}

/// The tree, indexed for the expansion.
struct Tree<'n> {
    nodes: &'n [Node],
    states: &'n [Ident],
    /// Per state: its superstates, innermost first.
    ancestors: Vec<Vec<usize>>,
}

/// A row, timeout or deferral written for a superstate, with the token that named it.
struct Scoped<T> {
    group: usize,
    span: Span,
    item: T,
}

impl<'n> Tree<'n> {
    fn new(nodes: &'n [Node], states: &'n [Ident]) -> Self {
        let ancestors = states
            .iter()
            .map(|state| {
                let mut chain = Vec::new();
                let mut at = nodes.iter().position(|n| n.states.contains(state));
                while let Some(group) = at {
                    chain.push(group);
                    at = nodes[group].parent;
                }
                chain
            })
            .collect();
        Tree { nodes, states, ancestors }
    }

    fn group(&self, ident: &Ident) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == *ident)
    }

    /// The states below `group`, in declaration order.
    fn leaves(&self, group: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.states.len()).filter(move |&s| self.ancestors[s].contains(&group))
    }

    /// The name of `state`, at `span`: a state a superstate's item stands for,
    /// spanned where the superstate was written.
    fn state_at(&self, state: usize, span: Span) -> Ident {
        Ident::new(&self.states[state].to_string(), span)
    }

    fn leaf_list(&self, group: usize) -> String {
        let leaves: Vec<String> = self.leaves(group).map(|s| self.states[s].to_string()).collect();
        names::backticked(leaves)
    }

    /// A misspelt source that is closer to a superstate than to any state: reported
    /// here, and taken for that superstate, so the one typo gives one error.
    fn guessed_group(&self, ident: &Ident, errors: &mut Errors) -> Option<usize> {
        if self.states.contains(ident) {
            return None;
        }
        let all = self.states.iter().chain(self.nodes.iter().map(|n| &n.name)).map(ToString::to_string);
        let near = names::closest(&ident.to_string(), all)?;
        let group = self.nodes.iter().position(|n| n.name == near)?;
        errors.push(
            ident.span(),
            format!(
                "unknown state `{ident}`; did you mean the superstate `{near}`? the superstates are {}",
                names::backticked(self.nodes.iter().map(|n| n.name.to_string()))
            ),
        );
        Some(group)
    }

    /// `initial`, `terminal` and row targets name states: a
    /// superstate there is an error naming its states. A target or the initial state
    /// then stands for the superstate's first state, so nothing else cascades.
    fn no_superstate_where_a_state_belongs(&self, def: &mut MachineDef, errors: &mut Errors) {
        let report = |ident: &Ident, place: &str, errors: &mut Errors| -> Option<Ident> {
            let group = self.group(ident)?;
            errors.push(
                ident.span(),
                format!(
                    "`{ident}` is a superstate, and {place} names a state: name one of its states, {}",
                    self.leaf_list(group)
                ),
            );
            Some(self.leaves(group).next().map_or_else(|| ident.clone(), |s| self.state_at(s, ident.span())))
        };
        if let Some(initial) = &mut def.initial {
            if let Some(leaf) = report(initial, "`initial`", errors) {
                *initial = leaf;
            }
        }
        for row in def.transitions.iter_mut().flatten() {
            for target in &mut row.targets {
                if let Some(leaf) = report(target, "a row's target", errors) {
                    *target = leaf;
                }
            }
        }
        // `entry` and `exit` may name superstates: `superstate_actions` took those.
        if let Some(list) = &mut def.terminal {
            list.retain(|ident| report(ident, "`terminal`", errors).is_none());
        }
    }

    /// Takes the items of a `timeouts` or `defer` section written for a superstate
    /// out of it, one per superstate: a second is the error `duplicate` words.
    fn take_scoped<T>(
        &self,
        section: &mut Option<Vec<T>>,
        state: impl Fn(&T) -> &Ident,
        duplicate: impl Fn(&Ident) -> String,
        errors: &mut Errors,
    ) -> Vec<Scoped<T>> {
        let Some(section) = section else { return Vec::new() };
        let (scoped, own): (Vec<T>, Vec<T>) =
            section.drain(..).partition(|item| self.group(state(item)).is_some());
        *section = own;
        let mut taken: Vec<Scoped<T>> = Vec::new();
        for item in scoped {
            let ident = state(&item);
            let group = self.group(ident).expect("partitioned on it");
            if taken.iter().any(|t| t.group == group) {
                errors.push(ident.span(), duplicate(ident));
                continue;
            }
            taken.push(Scoped { group, span: ident.span(), item });
        }
        taken
    }

    /// Takes every row, timeout and deferral written for a superstate out of `def`
    /// and puts back what each stands for, per state.
    fn expand(&self, def: &mut MachineDef, errors: &mut Errors) {
        let terminal: Vec<Ident> = def.terminal.iter().flatten().cloned().collect();
        let open = |state: usize| !terminal.contains(&self.states[state]);

        let mut rows: Vec<Scoped<RowDef>> = Vec::new();
        if let Some(section) = &mut def.transitions {
            let mut kept = Vec::with_capacity(section.len());
            for mut row in section.drain(..) {
                let mut own = Vec::new();
                for source in std::mem::take(&mut row.sources) {
                    match self.group(&source).or_else(|| self.guessed_group(&source, errors)) {
                        Some(group) => rows.push(Scoped {
                            group,
                            span: source.span(),
                            item: RowDef { sources: Vec::new(), ..row.clone() },
                        }),
                        None => own.push(source),
                    }
                }
                if !own.is_empty() || row.wildcard.is_some() {
                    row.sources = own;
                    kept.push(row);
                }
            }
            *section = kept;
        }
        let timeouts = self.take_scoped(
            &mut def.timeouts,
            |t| &t.state,
            |state| format!("duplicate timeout: `{state}` already has one; a state has at most one timer"),
            errors,
        );
        let deferrals: Vec<Scoped<Vec<Ident>>> = self
            .take_scoped(&mut def.defer, |d| &d.state, |state| {
                format!("duplicate deferral list for `{state}`; list all its deferred events once: `{state}: [A, B]`")
            }, errors)
            .into_iter()
            .map(|d| Scoped { group: d.group, span: d.span, item: d.item.events })
            .collect();
        // Whether a superstate's own rows handle, or its own list defers, `event`.
        let handles =
            |group: usize, event: &Ident| rows.iter().any(|r| r.group == group && r.item.event == *event);
        let defers = |group: usize, event: &Ident| {
            deferrals.iter().any(|d| d.group == group && d.item.contains(event))
        };
        for deferral in &deferrals {
            let (group, name) = (deferral.group, &self.nodes[deferral.group].name);
            for event in &deferral.item {
                if handles(group, event) {
                    errors.push(
                        event.span(),
                        format!("`{name}` both handles and defers `{event}`; remove its row or its deferral"),
                    );
                }
            }
        }

        // Per state and event, the nearest level that says anything decides.
        let own_rows: Vec<(Ident, Ident)> = def
            .transitions
            .iter()
            .flatten()
            .flat_map(|r| r.sources.iter().map(|s| (s.clone(), r.event.clone())))
            .collect();
        let own_deferrals: Vec<(Ident, Ident)> = def
            .defer
            .iter()
            .flatten()
            .flat_map(|d| d.events.iter().map(|e| (d.state.clone(), e.clone())))
            .collect();
        let decides = |state: usize, event: &Ident| -> Option<usize> {
            let name = &self.states[state];
            if own_rows.iter().chain(&own_deferrals).any(|(s, e)| s == name && e == event) {
                return None;
            }
            self.ancestors[state].iter().copied().find(|&group| handles(group, event) || defers(group, event))
        };

        let mut expanded: Vec<RowDef> = Vec::new();
        for (index, scoped) in rows.iter().enumerate() {
            let group = &self.nodes[scoped.group].name;
            let event = &scoped.item.event;
            let covered: Vec<usize> = self
                .leaves(scoped.group)
                .filter(|&s| open(s) && decides(s, event) == Some(scoped.group))
                .collect();
            // Said once per (superstate, event), at its first row.
            let first = !rows[..index].iter().any(|r| r.group == scoped.group && r.item.event == *event);
            if covered.is_empty() && first && !defers(scoped.group, event) {
                errors.push(
                    scoped.span,
                    format!(
                        "`{group} + {event}` covers no state: each state of `{group}` ({}) has its own row for `{event}`, defers it, is terminal, or is in a nested superstate that decides it; remove this row",
                        self.leaf_list(scoped.group)
                    ),
                );
            }
            for state in covered {
                let source = self.state_at(state, scoped.span);
                expanded.push(RowDef {
                    sources: vec![source],
                    via: Some(group.clone()),
                    ..scoped.item.clone()
                });
            }
        }
        def.transitions.get_or_insert_with(Vec::new).extend(expanded);

        for scoped in &deferrals {
            for state in self.leaves(scoped.group).filter(|&s| open(s)) {
                // An event the superstate also handles was reported above: its rows win.
                let events: Vec<Ident> = scoped
                    .item
                    .iter()
                    .filter(|e| decides(state, e) == Some(scoped.group) && !handles(scoped.group, e))
                    .cloned()
                    .collect();
                if events.is_empty() {
                    continue;
                }
                let section = def.defer.get_or_insert_with(Vec::new);
                match section.iter_mut().find(|d| d.state == self.states[state]) {
                    Some(own) => own.events.extend(events),
                    None => section.push(DeferDef { state: self.state_at(state, scoped.span), events }),
                }
            }
        }

        for scoped in &timeouts {
            let own: Vec<Ident> = def.timeouts.iter().flatten().map(|t| t.state.clone()).collect();
            let covered: Vec<usize> = self
                .leaves(scoped.group)
                .filter(|&s| {
                    open(s)
                        && !own.contains(&self.states[s])
                        && self.ancestors[s].iter().find(|g| timeouts.iter().any(|t| t.group == **g))
                            == Some(&scoped.group)
                })
                .collect();
            if covered.is_empty() {
                errors.push(
                    scoped.span,
                    format!(
                        "the timeout of `{}` covers no state: each of its states ({}) has its own timeout, is terminal, or is in a nested superstate with one; remove it",
                        self.nodes[scoped.group].name,
                        self.leaf_list(scoped.group)
                    ),
                );
            }
            // A state without a row for the timer's event: said once, for the
            // superstate, rather than once per state by `check`.
            let event = &scoped.item.event;
            let wildcard =
                def.transitions.iter().flatten().any(|r| r.wildcard.is_some() && r.event == *event);
            let has_row = |state: usize| {
                wildcard
                    || def
                        .transitions
                        .iter()
                        .flatten()
                        .any(|r| r.event == *event && r.sources.contains(&self.states[state]))
            };
            let (covered, missing): (Vec<usize>, Vec<usize>) = covered.into_iter().partition(|&s| has_row(s));
            if !missing.is_empty() {
                let group = &self.nodes[scoped.group].name;
                errors.push(
                    event.span(),
                    format!(
                        "`{group}` times out with `{event}`, but {} in it {} no row for it; add `{group} + {event} => <state>` to `transitions`",
                        names::backticked(missing.iter().map(|&s| self.states[s].to_string())),
                        if missing.len() == 1 { "has" } else { "have" }
                    ),
                );
            }
            let section = def.timeouts.get_or_insert_with(Vec::new);
            for state in covered {
                section.push(TimeoutDef {
                    state: self.state_at(state, scoped.span),
                    after: scoped.item.after.clone(),
                    event: scoped.item.event.clone(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The nearest level decides, checked at random against a direct reading of the
    //! rule: random trees of superstates over a few states, rows and deferrals at
    //! random levels (a state, a superstate, the wildcard), then for every state and
    //! event the model must hold exactly the row or deferral of the nearest level
    //! that says anything, or nothing.

    use proc_macro2::TokenStream;
    use proptest::prelude::*;
    use quote::{format_ident, quote};

    use crate::check::{check, Errors};
    use crate::model::Via;

    const STATES: usize = 6;
    const EVENTS: usize = 3;

    /// Where a row or deferral is written: a state, a superstate, or `_`.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Level {
        State(usize),
        Group(usize),
        Wildcard,
    }

    #[derive(Clone, Debug)]
    struct Table {
        /// Per superstate, its parent (always an earlier one: a tree).
        parents: Vec<Option<usize>>,
        /// Per state, the superstate it is directly in.
        homes: Vec<Option<usize>>,
        terminal: Vec<bool>,
        /// (level, event, deferred?): at most one per (level, event).
        decls: Vec<(Level, usize, bool)>,
    }

    fn table() -> impl Strategy<Value = Table> {
        (0usize..4)
            .prop_flat_map(|groups| {
                let parents = (0..groups)
                    .map(|g| if g == 0 { Just(None).boxed() } else { proptest::option::of(0..g).boxed() })
                    .collect::<Vec<_>>();
                let homes = proptest::collection::vec(
                    if groups == 0 { Just(None).boxed() } else { proptest::option::of(0..groups).boxed() },
                    STATES,
                );
                let terminal = proptest::collection::vec(proptest::bool::weighted(0.15), STATES);
                let level = prop_oneof![
                    (0..STATES).prop_map(Level::State),
                    (0..groups.max(1)).prop_map(move |g| if groups == 0 {
                        Level::Wildcard
                    } else {
                        Level::Group(g)
                    }),
                    Just(Level::Wildcard),
                ];
                let decls =
                    proptest::collection::vec((level, 0..EVENTS, proptest::bool::weighted(0.3)), 0..14);
                (parents, homes, terminal, decls)
            })
            .prop_map(|(parents, homes, mut terminal, decls)| {
                terminal[0] = false;
                let mut kept: Vec<(Level, usize, bool)> = Vec::new();
                for (level, event, deferred) in decls {
                    // The wildcard never defers; a terminal state has no rows.
                    let deferred = deferred && level != Level::Wildcard;
                    if matches!(level, Level::State(s) if terminal[s]) {
                        continue;
                    }
                    if !kept.iter().any(|(l, e, _)| *l == level && *e == event) {
                        kept.push((level, event, deferred));
                    }
                }
                Table { parents, homes, terminal, decls: kept }
            })
    }

    impl Table {
        fn ancestors(&self, state: usize) -> Vec<usize> {
            let mut chain = Vec::new();
            let mut at = self.homes[state];
            while let Some(g) = at {
                chain.push(g);
                at = self.parents[g];
            }
            chain
        }

        /// What the rule says for (state, event): `Some((via, deferred))` or nothing.
        fn expected(&self, state: usize, event: usize) -> Option<(Level, bool)> {
            if self.terminal[state] {
                return None;
            }
            let levels = std::iter::once(Level::State(state))
                .chain(self.ancestors(state).into_iter().map(Level::Group))
                .chain([Level::Wildcard]);
            for level in levels {
                if let Some((_, _, deferred)) = self.decls.iter().find(|(l, e, _)| *l == level && *e == event)
                {
                    return Some((level, *deferred));
                }
            }
            None
        }

        fn tokens(&self) -> TokenStream {
            let state = |s: usize| format_ident!("S{s}");
            let group = |g: usize| format_ident!("G{g}");
            let event = |e: usize| format_ident!("E{e}");
            let states = (0..STATES).map(state);
            let events = (0..EVENTS).map(event);
            let terminal = (0..STATES).filter(|&s| self.terminal[s]).map(state);
            // Every group lists its states and child groups; one without a state
            // below it is left out.
            let has_states = |g: usize| (0..STATES).any(|s| self.ancestors(s).contains(&g));
            let groups = (0..self.parents.len()).filter_map(|g| {
                let members: Vec<_> = (0..STATES)
                    .filter(|&s| self.homes[s] == Some(g))
                    .map(state)
                    .chain(
                        (0..self.parents.len())
                            .filter(|&c| self.parents[c] == Some(g) && has_states(c))
                            .map(group),
                    )
                    .collect();
                let name = group(g);
                (!members.is_empty()).then(|| quote!(#name: [#(#members),*],))
            });
            let source = |level: Level| match level {
                Level::State(s) => {
                    let s = state(s);
                    quote!(#s)
                }
                Level::Group(g) => {
                    let g = group(g);
                    quote!(#g)
                }
                Level::Wildcard => quote!(_),
            };
            let rows = self.decls.iter().filter(|d| !d.2).map(|(level, e, _)| {
                let (source, e) = (source(*level), event(*e));
                quote!(#source + #e => S0,)
            });
            let mut deferring: Vec<Level> = Vec::new();
            for (level, _, deferred) in &self.decls {
                if *deferred && !deferring.contains(level) {
                    deferring.push(*level);
                }
            }
            let defers = deferring.iter().map(|level| {
                let events = self.decls.iter().filter(|d| d.2 && d.0 == *level).map(|d| event(d.1));
                let source = source(*level);
                quote!(#source: [#(#events),*],)
            });
            quote! {
                machine M {
                    initial: S0;
                    terminal: [#(#terminal),*];
                    states { #(#states),* }
                    events { #(#events),* }
                    superstates { #(#groups)* }
                    transitions { #(#rows)* }
                    defer { #(#defers)* }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn the_nearest_level_decides(table in table()) {
            let input: crate::parse::Input = syn::parse2(table.tokens()).expect("parses");
            let mut errors = Errors::default();
            let def = input.machines.into_iter().next().expect("one machine");
            let model = check(def, &mut errors).expect("a model");
            // A group without states is left out of the section: rows written for it
            // name no superstate, and the table is skipped.
            let listed = |g: usize| model.superstates.iter().any(|s| s.name == format!("G{g}"));
            prop_assume!(table.decls.iter().all(|(l, _, _)| !matches!(l, Level::Group(g) if !listed(*g))));
            for message in errors.messages() {
                // The graph rules and rows that end up covering nothing are the
                // random table's business; a wrong expansion is not.
                prop_assert!(
                    message.contains("unreachable") || message.contains("no way out") || message.contains("covers no state"),
                    "{message}"
                );
            }
            for state in 0..STATES {
                for event in 0..EVENTS {
                    let row = model.rows.iter().find(|r| r.source == state && r.event == event);
                    let deferred = model.deferrals.iter().any(|(s, events)| *s == state && events.contains(&event));
                    let got = match (row, deferred) {
                        (Some(row), false) => Some((match &row.via {
                            Via::Own => Level::State(state),
                            Via::Wildcard => Level::Wildcard,
                            Via::Superstate(g) => Level::Group(g.to_string()[1..].parse().expect("G<n>")),
                        }, false)),
                        (None, true) => {
                            let expected = table.expected(state, event);
                            prop_assert!(matches!(expected, Some((_, true))), "S{state} + E{event} deferred, expected {expected:?}");
                            expected
                        }
                        (None, false) => None,
                        (Some(_), true) => panic!("S{state} both handles and defers E{event}"),
                    };
                    prop_assert_eq!(got, table.expected(state, event), "S{} + E{}", state, event);
                }
            }
        }
    }
}
