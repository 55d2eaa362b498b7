//! What a handler asks the driver to do. Handlers are synchronous and pure: they
//! record effects in the context, and the driver carries them out after the
//! transition, in order.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A future whose output comes back to the machine as an event (OpenWhisk's
/// `pipeTo(self)`).
pub type EffectFuture<E> = Pin<Box<dyn Future<Output = E> + Send + 'static>>;

/// One effect recorded by a handler.
pub enum Effect<E, O> {
    /// Send a message to the owner. It arrives before the transition notification
    /// of the handler that sent it.
    Emit(O),
    /// Run a future on the driver's task set; its output is handled as an event.
    Spawn(EffectFuture<E>),
    /// Stop the machine after this transition, whatever its state.
    Stop,
}

impl<E, O: fmt::Debug> fmt::Debug for Effect<E, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Emit(message) => f.debug_tuple("Emit").field(message).finish(),
            Effect::Spawn(_) => f.write_str("Spawn(..)"),
            Effect::Stop => f.write_str("Stop"),
        }
    }
}

/// The effects recorded since the driver last took them. Keep one in the machine's
/// context and hand it to the driver through [`Driven::effects`](super::Driven::effects).
pub struct Effects<E, O> {
    queue: Vec<Effect<E, O>>,
}

impl<E, O> Default for Effects<E, O> {
    fn default() -> Self {
        Effects { queue: Vec::new() }
    }
}

impl<E, O> fmt::Debug for Effects<E, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Effects").field("pending", &self.queue.len()).finish()
    }
}

impl<E, O> Effects<E, O> {
    /// No effect yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends `message` to the owner.
    pub fn emit(&mut self, message: O) {
        self.queue.push(Effect::Emit(message));
    }

    /// Runs `future`; its output comes back as an event.
    pub fn spawn(&mut self, future: impl Future<Output = E> + Send + 'static) {
        self.queue.push(Effect::Spawn(Box::pin(future)));
    }

    /// Stops the machine after the current transition.
    pub fn stop(&mut self) {
        self.queue.push(Effect::Stop);
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Takes every pending effect, in the order they were recorded.
    pub fn take(&mut self) -> std::vec::Drain<'_, Effect<E, O>> {
        self.queue.drain(..)
    }
}
