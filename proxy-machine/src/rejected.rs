//! The typed rejection of an event the current state has no row for.

use core::fmt;

/// An event the machine's current state does not accept. Nothing is lost: the
/// machine, unchanged, and the event are both handed back.
///
/// Its `Display` reads like the compile error of the same mistake on a typed handle:
/// "illegal transition: `Paused` does not accept `Run` (machine `Container`)".
pub struct Rejected<M, E> {
    /// The machine, in the state it was in.
    pub machine: M,
    /// The event it did not accept.
    pub event: E,
    /// The machine's name.
    pub machine_name: &'static str,
    /// The state that rejected the event.
    pub state: &'static str,
    /// The event's name.
    pub event_name: &'static str,
}

impl<M, E> Rejected<M, E> {
    /// A rejection of `event` by `machine` in `state`.
    pub fn new(
        machine_name: &'static str,
        state: &'static str,
        event_name: &'static str,
        machine: M,
        event: E,
    ) -> Self {
        Rejected { machine, event, machine_name, state, event_name }
    }

    /// The machine and the event, to go on with.
    pub fn into_parts(self) -> (M, E) {
        (self.machine, self.event)
    }
}

impl<M, E> fmt::Display for Rejected<M, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "illegal transition: `{}` does not accept `{}` (machine `{}`)",
            self.state, self.event_name, self.machine_name
        )
    }
}

impl<M, E> fmt::Debug for Rejected<M, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejected")
            .field("machine", &self.machine_name)
            .field("state", &self.state)
            .field("event", &self.event_name)
            .finish()
    }
}

impl<M, E> core::error::Error for Rejected<M, E> {}
