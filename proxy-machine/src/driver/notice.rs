//! What the driver tells the owner and the observers.

use tokio::time::Instant;

/// One transition the driver carried out: a handled event, whether or not the
/// state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The machine's name.
    pub machine: &'static str,
    /// The state the event was handled in.
    pub from: &'static str,
    /// The event.
    pub event: &'static str,
    /// The state after the handler.
    pub to: &'static str,
    /// When it happened (tokio's clock, so paused-clock tests see exact times). The
    /// clock is read when the driver wakes and then every 8th transition of a run of
    /// queued events handled without waiting; the transitions between share that
    /// reading, so a stamp may be early by the time of up to 7 handlers.
    pub at: Instant,
}

impl Transition {
    /// Whether the state changed (Akka's `goto` as opposed to `stay`).
    pub fn changed_state(&self) -> bool {
        self.from != self.to
    }
}

/// One item of the ordered channel to the owner: a handler's messages come before
/// the transition that handler made.
#[derive(Debug)]
pub enum Notice<E, O> {
    /// A message a handler emitted.
    Message(O),
    /// A transition that changed the state.
    Transition(Transition),
    /// An event the current state has no row for and does not defer, or one still
    /// waiting (deferred, replayed, or in the owner's inbox) when the machine
    /// stopped: handed back, not lost.
    Unhandled {
        /// The state that did not accept it.
        state: &'static str,
        /// The event.
        event: E,
    },
    /// An effect's future panicked; its output never came. Its
    /// [`on_panic`](super::Spawned::on_panic) event, if it had one, is handled next.
    EffectPanicked {
        /// The state the machine was in when the panic was seen.
        state: &'static str,
    },
    /// The machine stopped; the last notice. Events still waiting were handed back
    /// as `Unhandled` before this.
    Stopped {
        /// The final state.
        state: &'static str,
        /// Why it stopped.
        reason: StopReason,
    },
}

/// Why a driven machine stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// It reached a terminal state.
    Terminal,
    /// A handler asked for it ([`Effects::stop`](super::Effects::stop)).
    Requested,
    /// The owner called [`Running::shutdown`](super::Running::shutdown) and the
    /// machine did not stop on its own within the grace.
    Shutdown,
    /// Every inbox sender was dropped and no effect was in flight.
    InboxClosed,
}
