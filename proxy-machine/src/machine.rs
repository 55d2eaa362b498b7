//! The traits generated machines implement.

use core::time::Duration;

use crate::{MachineMeta, Rejected, Transition};

/// A machine in whichever state it is: the runtime enum `lifecycle!` generates
/// (`LeaseAny` for `machine Lease`). Drivers and tools work on any machine through it.
pub trait Machine: Sized {
    /// The machine's events as values (`LeaseEvent`).
    type Event: Event;
    /// The context the machine owns in every state.
    type Context;
    /// The table: states, events, rows, timeouts, deferrals.
    const META: MachineMeta<'static>;

    /// The current state's name.
    fn state_name(&self) -> &'static str;
    /// Whether the current state is terminal.
    fn is_terminal(&self) -> bool;
    /// The context.
    fn context(&self) -> &Self::Context;
    /// The context, mutably.
    fn context_mut(&mut self) -> &mut Self::Context;
    /// The current state's timeout and the event it raises, if the state has one.
    fn timeout(&self) -> Option<(Duration, Self::Event)>;
    /// Whether the current state defers `event`.
    fn defers(&self, event: &Self::Event) -> bool;
    /// Handles `event` through the typed transition of the current state, in place,
    /// and says which row it took; or, when the table has no row for the state and
    /// the event, hands the event back and leaves the machine untouched.
    ///
    /// The row is chosen before the machine is touched, so a rejection moves nothing
    /// but the event. An accepted event moves the handle out of `self` into its
    /// transition and the next handle back in. A handler that panics meanwhile aborts
    /// the process: the machine it was given is gone, and `self` cannot be left
    /// holding a copy of it. Handlers that can fail say so in the table, with a row
    /// to a failed state.
    fn dispatch(&mut self, event: Self::Event) -> Result<Transition, Rejected<Self::Event>>;
}

/// An event value (`LeaseEvent`).
pub trait Event {
    /// The event's name, as written in the table.
    fn name(&self) -> &'static str;
}
