//! What `dispatch` hands back: the row it took, or the event the state refused.

use core::fmt;

/// The row [`Machine::dispatch`](crate::Machine::dispatch) took: the state it left,
/// the event, and the state it is in now (the same as `from` for a self-loop).
///
/// Names, as written in the table, rather than indices: every name is a `&'static
/// str` the arm knows as a constant, so building one costs stores and no lookup, and
/// a caller logs or compares it without the machine's `META`. The driver's own
/// `driver::Transition`, which it sends to the owner and to observers, adds the
/// machine's name and the time to these three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transition {
    /// The state the event was handled in.
    pub from: &'static str,
    /// The event.
    pub event: &'static str,
    /// The state after the handler.
    pub to: &'static str,
}

impl Transition {
    /// Whether the state changed (Akka's `goto` as opposed to `stay`).
    pub fn changed_state(&self) -> bool {
        self.from != self.to
    }
}

/// An event the machine's current state does not accept. The machine was not
/// touched, so it stays where it was, with the caller; the event comes back here.
///
/// Its `Display` reads like the compile error of the same mistake on a typed handle:
/// "illegal transition: `Paused` does not accept `Run` (machine `Container`)".
pub struct Rejected<E> {
    /// The event the state did not accept, as it was sent.
    pub event: E,
    /// The machine's name.
    pub machine_name: &'static str,
    /// The state that rejected the event.
    pub state: &'static str,
    /// The event's name.
    pub event_name: &'static str,
}

impl<E> Rejected<E> {
    /// A rejection of `event` by a machine called `machine_name` in `state`.
    pub fn new(machine_name: &'static str, state: &'static str, event_name: &'static str, event: E) -> Self {
        Rejected { event, machine_name, state, event_name }
    }

    /// The event, to send again once the machine has moved on, or to hand back.
    pub fn into_event(self) -> E {
        self.event
    }
}

impl<E> fmt::Display for Rejected<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "illegal transition: `{}` does not accept `{}` (machine `{}`)",
            self.state, self.event_name, self.machine_name
        )
    }
}

impl<E> fmt::Debug for Rejected<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejected")
            .field("machine", &self.machine_name)
            .field("state", &self.state)
            .field("event", &self.event_name)
            .finish()
    }
}

impl<E> core::error::Error for Rejected<E> {}
