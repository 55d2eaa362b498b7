//! The validated model that codegen reads. Every name keeps its `Ident`, so codegen
//! can put the user's span on what it generates. Indices refer to `Machine::states`
//! and `Machine::events`.

use proc_macro2::Span;
use syn::{Attribute, Expr, Generics, Ident, Type, Visibility};

/// One machine, validated: every index is in range, every (state, event) pair has at
/// most one row, the initial state exists.
pub(crate) struct Machine {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) generics: Generics,
    pub(crate) context: Type,
    pub(crate) states: Vec<State>,
    pub(crate) events: Vec<Event>,
    /// One per (source, event) pair, in table order; a pair with guarded rows is one
    /// `Row` holding them all, so everything that asks "does this state accept this
    /// event" stays one lookup.
    pub(crate) rows: Vec<Row>,
    pub(crate) timeouts: Vec<Timeout>,
    /// (state, deferred events), in table order.
    pub(crate) deferrals: Vec<(usize, Vec<usize>)>,
    pub(crate) initial: usize,
    pub(crate) terminal: Vec<usize>,
    /// The superstates, in table order; their rows, timeouts and deferrals are
    /// already those of their states (`hierarchy`).
    pub(crate) superstates: Vec<Superstate>,
}

/// A group of states sharing rows, timeouts and deferrals.
pub(crate) struct Superstate {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    /// The superstate it is in.
    pub(crate) parent: Option<usize>,
    /// The states directly in it.
    pub(crate) states: Vec<usize>,
    /// `on_enter_<name>` runs on entering it from outside (and in `new`).
    pub(crate) entry: bool,
    /// `on_exit_<name>` runs on leaving it for a state outside.
    pub(crate) exit: bool,
}

/// Where a row of the model was written.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Via {
    /// For its source state itself.
    Own,
    /// As `_ + Event`, for every state left without a row.
    Wildcard,
    /// For this superstate of its source.
    Superstate(Ident),
}

/// A state, the type of its data, if any, and its actions.
pub(crate) struct State {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) data: Option<Type>,
    /// Listed in `entry: [..]`: the handler `on_enter_<state>` runs on every
    /// transition into it, and in `new` for the initial state.
    pub(crate) entry: bool,
    /// Listed in `exit: [..]`: the handler `on_exit_<state>` runs on every
    /// transition out of it.
    pub(crate) exit: bool,
}

/// An event and the type of its payload, if any.
pub(crate) struct Event {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) payload: Option<Type>,
    /// Whether the handle gets a method for it: not when the method's name would
    /// clash (an error already reported), so the expansion adds no second error.
    pub(crate) method: bool,
}

/// A (source, event) pair of the table and its targets.
pub(crate) struct Row {
    pub(crate) attrs: Vec<Attribute>,
    /// The source as written in this row: where a diagnostic about what the pair
    /// generates (its handler, its choice enum) points.
    pub(crate) span: Span,
    pub(crate) source: usize,
    pub(crate) event: usize,
    /// The unguarded row's targets: the fallback when `guarded` is not empty.
    pub(crate) targets: Vec<usize>,
    /// `Ready + Run if fits => Running`: the guarded rows of the pair, in table
    /// order, tried before the unguarded one.
    pub(crate) guarded: Vec<Guarded>,
    /// Where the pair's rows were written.
    pub(crate) via: Via,
}

/// One guarded row: taken when `guard` holds and no earlier guarded row's did.
pub(crate) struct Guarded {
    pub(crate) attrs: Vec<Attribute>,
    /// The guard's name as written: where a diagnostic about its handler points.
    pub(crate) span: Span,
    pub(crate) guard: Ident,
    pub(crate) target: usize,
    /// False when the guard was refused (its name is a handler's, or another event
    /// of another payload uses it; an error already reported): the best-effort
    /// expansion then declares no method for it here and never takes the row, so the
    /// one mistake gives one error.
    pub(crate) sound: bool,
}

/// `state after <expr> => event`.
pub(crate) struct Timeout {
    pub(crate) state: usize,
    pub(crate) after: Expr,
    pub(crate) event: usize,
}

impl Machine {
    /// The row for `(state, event)`, if the table has one: a linear scan, for tests
    /// (codegen asks `Ctx::row`, which is indexed).
    #[cfg(test)]
    pub(crate) fn row(&self, state: usize, event: usize) -> Option<&Row> {
        self.rows.iter().find(|row| row.source == state && row.event == event)
    }

    /// The rows leaving `state`.
    pub(crate) fn rows_from(&self, state: usize) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(move |row| row.source == state)
    }

    /// The superstates `state` is in, innermost first.
    pub(crate) fn superstates_of(&self, state: usize) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut at = self.superstates.iter().position(|s| s.states.contains(&state));
        while let Some(group) = at {
            chain.push(group);
            at = self.superstates[group].parent;
        }
        chain
    }

    /// The superstates a transition from `source` to `target` leaves, innermost
    /// first, and those it enters, outermost first: a move within a superstate
    /// neither leaves nor enters it.
    pub(crate) fn superstate_moves(&self, source: usize, target: usize) -> (Vec<usize>, Vec<usize>) {
        let (from, to) = (self.superstates_of(source), self.superstates_of(target));
        let left = from.iter().copied().filter(|g| !to.contains(g)).collect();
        let entered = to.iter().rev().copied().filter(|g| !from.contains(g)).collect();
        (left, entered)
    }

    /// Whether `state` is terminal.
    pub(crate) fn is_terminal(&self, state: usize) -> bool {
        self.terminal.contains(&state)
    }
}

impl Row {
    /// Whether the handler chooses among several targets.
    pub(crate) fn has_alternatives(&self) -> bool {
        self.targets.len() > 1
    }

    /// Every state the pair may lead to, each once: the guarded rows' in table
    /// order, then the fallback's.
    pub(crate) fn next_targets(&self) -> Vec<usize> {
        let mut all: Vec<usize> = Vec::new();
        for target in self.guarded.iter().map(|g| g.target).chain(self.targets.iter().copied()) {
            if !all.contains(&target) {
                all.push(target);
            }
        }
        all
    }

    /// Whether the typed transition returns a `..Next` enum rather than a handle.
    pub(crate) fn returns_next(&self) -> bool {
        self.next_targets().len() > 1
    }
}
