//! The metadata of a `lifecycle!` machine and its diagrams (Mermaid, Graphviz, and a
//! laid-out SVG for pages: [`MachineMeta::to_svg`]).
//!
//! One description serves both sides of the macro: `proxy-macros` builds a
//! [`MachineMeta`] from the table at expansion time to put the Mermaid diagram in the
//! generated rustdoc, and the generated code holds the same description as a constant
//! (`META`) so programs can list states, events and rows, and render diagrams at run
//! time. Keeping the renderer here means the diagram in the docs and the one from
//! [`MachineMeta::to_mermaid`] can never disagree.
//!
//! ```
//! use proxy_meta::{MachineMeta, RowMeta, StateMeta, EventMeta};
//!
//! const META: MachineMeta<'static> = MachineMeta {
//!     name: "Door",
//!     doc: "",
//!     states: &[StateMeta::unit("Open"), StateMeta::unit("Shut")],
//!     events: &[EventMeta::unit("Push")],
//!     rows: &[
//!         RowMeta::new("Open", "Push", &["Shut"]),
//!         RowMeta::new("Shut", "Push", &["Open"]),
//!     ],
//!     timeouts: &[],
//!     deferrals: &[],
//!     initial: "Open",
//!     terminal: &[],
//!     superstates: &[],
//! };
//! assert!(META.to_mermaid().contains("Open --> Shut: Push"));
//! assert_eq!(META.targets("Shut", "Push"), Some(&["Open"][..]));
//! ```

//! # Features
//!
//! - `std` (default): the renderings, [`MachineMeta::to_mermaid`], `to_dot` and
//!   `to_svg`. Without it the crate is `no_std` and allocates nothing: the types and
//!   their lookups only, what a generated machine's `META` needs.

#![forbid(unsafe_code)]
#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "std")]
mod layout;
#[cfg(feature = "std")]
mod render;
#[cfg(feature = "std")]
mod svg;

/// Everything the table of one machine says, in declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineMeta<'a> {
    /// The machine's name, as written after `machine`.
    pub name: &'a str,
    /// The machine's doc comment, lines joined by `\n`.
    pub doc: &'a str,
    /// Every state.
    pub states: &'a [StateMeta<'a>],
    /// Every event.
    pub events: &'a [EventMeta<'a>],
    /// One entry per (source state, event) pair of the table; a row written with
    /// several sources appears once per source.
    pub rows: &'a [RowMeta<'a>],
    /// The per-state timeouts.
    pub timeouts: &'a [TimeoutMeta<'a>],
    /// The deferred events of each state that defers any.
    pub deferrals: &'a [DeferralMeta<'a>],
    /// The state a new machine starts in.
    pub initial: &'a str,
    /// The states from which no transition leaves.
    pub terminal: &'a [&'a str],
    /// The superstates, in table order: groups of states that share rows, timeouts
    /// and deferrals. Their rows are in [`rows`](Self::rows) once per state they
    /// stand for, with [`RowMeta::via`] naming the superstate.
    pub superstates: &'a [SuperstateMeta<'a>],
}

/// A superstate: a group of states, and of other superstates, that share rows,
/// timeouts and deferrals (`superstates { Idle: [Started, Warm] }`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuperstateMeta<'a> {
    /// The superstate's name.
    pub name: &'a str,
    /// The superstate's doc comment.
    pub doc: &'a str,
    /// The superstate it is in, if any.
    pub parent: Option<&'a str>,
    /// The states directly in it (not those of the superstates nested in it).
    pub states: &'a [&'a str],
    /// Whether it has an entry action: run on every transition from outside it to a
    /// state in it, and by `new` when the initial state is in it.
    pub entry: bool,
    /// Whether it has an exit action: run on every transition from a state in it
    /// to one outside it.
    pub exit: bool,
}

impl SuperstateMeta<'_> {
    /// `entry`, `exit`, or both, as the diagrams name the superstate's actions.
    pub fn actions(&self) -> Option<&'static str> {
        actions_text(self.entry, self.exit)
    }
}

fn actions_text(entry: bool, exit: bool) -> Option<&'static str> {
    match (entry, exit) {
        (true, true) => Some("entry, exit"),
        (true, false) => Some("entry"),
        (false, true) => Some("exit"),
        (false, false) => None,
    }
}

/// One state of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateMeta<'a> {
    /// The state's name.
    pub name: &'a str,
    /// The type of the data the state carries, as written (`None` for a unit state).
    pub data: Option<&'a str>,
    /// The state's doc comment.
    pub doc: &'a str,
    /// Whether the state has an entry action (`entry: [..]`): run on every transition
    /// into it, self-loops included, and by `new` for the initial state.
    pub entry: bool,
    /// Whether the state has an exit action (`exit: [..]`): run on every transition
    /// out of it, self-loops included.
    pub exit: bool,
}

impl<'a> StateMeta<'a> {
    /// A unit state without documentation or actions.
    pub const fn unit(name: &'a str) -> Self {
        StateMeta { name, data: None, doc: "", entry: false, exit: false }
    }

    /// `entry`, `exit`, or both, as the diagrams name the state's actions.
    pub fn actions(&self) -> Option<&'static str> {
        actions_text(self.entry, self.exit)
    }
}

/// One event of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventMeta<'a> {
    /// The event's name.
    pub name: &'a str,
    /// The type of the event's payload, as written (`None` for a unit event).
    pub payload: Option<&'a str>,
    /// The event's doc comment.
    pub doc: &'a str,
}

impl<'a> EventMeta<'a> {
    /// A unit event without documentation.
    pub const fn unit(name: &'a str) -> Self {
        EventMeta { name, payload: None, doc: "" }
    }
}

/// One row of the table: a (source, event) pair and the states it may lead to. A
/// pair with guarded rows has several, in the order they are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowMeta<'a> {
    /// The state the transition leaves.
    pub source: &'a str,
    /// The event that triggers it.
    pub event: &'a str,
    /// The states the handler may choose from (one for a plain row).
    pub targets: &'a [&'a str],
    /// `Some("fits")` for `Ready + Run if fits => Running`: the row is taken when the
    /// guard holds and no earlier row of its (source, event) pair was. `None` for an
    /// unguarded row, the last of its pair.
    pub guard: Option<&'a str>,
    /// Where the row was written: `None` for the source's own row, `Some("_")` for a
    /// row of the wildcard `_ + Event`, `Some("Idle")` for a row of the superstate
    /// `Idle` that stands for this state's.
    pub via: Option<&'a str>,
}

impl<'a> RowMeta<'a> {
    /// An unguarded row written for its source.
    pub const fn new(source: &'a str, event: &'a str, targets: &'a [&'a str]) -> Self {
        RowMeta { source, event, targets, guard: None, via: None }
    }
}

/// A timeout: after `after` spent in `state`, the machine raises `event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutMeta<'a> {
    /// The state the timer belongs to.
    pub state: &'a str,
    /// The duration expression, as written.
    pub after: &'a str,
    /// The event raised when the timer fires.
    pub event: &'a str,
}

/// The events a state keeps for later instead of handling or rejecting them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeferralMeta<'a> {
    /// The deferring state.
    pub state: &'a str,
    /// The deferred events.
    pub events: &'a [&'a str],
}

impl<'a> MachineMeta<'a> {
    /// The states `event` leads to from `state`, or `None` when the table has no
    /// such row. For a pair with guarded rows, this is the unguarded (last) row's;
    /// [`rows_for`](Self::rows_for) gives them all.
    pub fn targets(&self, state: &str, event: &str) -> Option<&'a [&'a str]> {
        self.rows_for(state, event).last().map(|row| row.targets)
    }

    /// The rows of `(state, event)` in table order: one, or for guarded rows the
    /// guarded ones in the order they are tried, then the unguarded fallback.
    pub fn rows_for<'s>(
        &'s self,
        state: &'s str,
        event: &'s str,
    ) -> impl Iterator<Item = &'s RowMeta<'a>> + 's {
        self.rows.iter().filter(move |row| row.source == state && row.event == event)
    }

    /// The events `state` accepts, in table order, each once.
    pub fn accepted<'s>(&'s self, state: &'s str) -> impl Iterator<Item = &'a str> + 's {
        // A guarded pair has several rows; only its first names the event.
        self.rows
            .iter()
            .enumerate()
            .filter(move |(i, row)| {
                row.source == state
                    && !self.rows[..*i].iter().any(|r| r.source == state && r.event == row.event)
            })
            .map(|(_, row)| row.event)
    }

    /// Whether `row` is the unguarded fallback of a pair that has guarded rows.
    pub fn is_fallback(&self, row: &RowMeta<'_>) -> bool {
        row.guard.is_none() && self.rows_for(row.source, row.event).any(|r| r.guard.is_some())
    }

    /// Whether `state` defers `event`.
    pub fn defers(&self, state: &str, event: &str) -> bool {
        self.deferrals.iter().any(|d| d.state == state && d.events.contains(&event))
    }

    /// Whether `state` is terminal.
    pub fn is_terminal(&self, state: &str) -> bool {
        self.terminal.contains(&state)
    }

    /// The superstates `state` is in, innermost first.
    pub fn superstates_of<'s>(&'s self, state: &'s str) -> impl Iterator<Item = &'a str> + 's {
        let mut at = self.superstates.iter().find(|s| s.states.contains(&state)).map(|s| s.name);
        core::iter::from_fn(move || {
            let here = at?;
            at = self.superstates.iter().find(|s| s.name == here).and_then(|s| s.parent);
            Some(here)
        })
    }

    /// Whether `state` is in `superstate`, directly or through a nested one.
    pub fn is_in(&self, state: &str, superstate: &str) -> bool {
        self.superstates_of(state).any(|s| s == superstate)
    }

    /// The timeout of `state`, if it has one.
    pub fn timeout(&self, state: &str) -> Option<&TimeoutMeta<'a>> {
        self.timeouts.iter().find(|t| t.state == state)
    }
}
