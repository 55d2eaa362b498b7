//! What a handler asks the driver to do. Handlers are synchronous and pure: they
//! record effects in the context, and the driver carries them out after the
//! transition, in order.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::own::OwnTx;

/// A future whose output comes back to the machine as an event (OpenWhisk's
/// `pipeTo(self)`); `None` when it ends without one (a cancelled health ping).
pub type EffectFuture<E> = Pin<Box<dyn Future<Output = Option<E>> + Send + 'static>>;

/// Builds an effect's future once the driver hands it a sink.
pub type SpawnFn<E> = Box<dyn FnOnce(EventSink<E>) -> EffectFuture<E> + Send + 'static>;

/// Lets a running effect send events to its machine before it ends (OpenWhisk's
/// `self ! InitCompleted(..)` in the middle of init-and-run). The events go to the
/// machine's own channel, not the owner's inbox, in the order sent and before the
/// effect's output. It does not keep the machine alive; once the machine has
/// stopped, sends fail.
pub struct EventSink<E>(pub(super) OwnTx<E>);

impl<E> fmt::Debug for EventSink<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSink").finish_non_exhaustive()
    }
}

impl<E> Clone for EventSink<E> {
    fn clone(&self) -> Self {
        EventSink(self.0.clone())
    }
}

impl<E> EventSink<E> {
    /// Sends `event` to the machine; `false` if the machine has stopped.
    pub fn send(&self, event: E) -> bool {
        self.0.send(event)
    }
}

/// One effect recorded by a handler.
pub enum Effect<E, O> {
    /// Send a message to the owner. It arrives before the transition notification
    /// of the handler that sent it.
    Emit(O),
    /// Run a future on the driver's task set; its output is handled as an event.
    Spawn {
        /// Builds the future.
        start: SpawnFn<E>,
        /// Handled as the effect's result if the future panics
        /// ([`Spawned::on_panic`]).
        on_panic: Option<E>,
    },
    /// Handle this event next, before anything in the inbox (Akka's `self ! msg`,
    /// without the wait behind the mailbox).
    Raise(E),
    /// Stop the machine after this transition, whatever its state.
    Stop,
}

impl<E, O: fmt::Debug> fmt::Debug for Effect<E, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Emit(message) => f.debug_tuple("Emit").field(message).finish(),
            Effect::Spawn { on_panic, .. } => {
                f.debug_struct("Spawn").field("on_panic", &on_panic.is_some()).finish_non_exhaustive()
            }
            Effect::Raise(_) => f.write_str("Raise(..)"),
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
    pub fn spawn(&mut self, future: impl Future<Output = E> + Send + 'static) -> Spawned<'_, E>
    where
        E: 'static,
    {
        self.push_spawn(Box::new(move |_| Box::pin(async move { Some(future.await) })))
    }

    /// Runs `future`; its output, if any, comes back as an event.
    pub fn spawn_maybe(
        &mut self,
        future: impl Future<Output = Option<E>> + Send + 'static,
    ) -> Spawned<'_, E> {
        self.push_spawn(Box::new(move |_| Box::pin(future)))
    }

    /// Runs the future `start` builds from a sink, through which it may send events
    /// before its output comes back as the last one.
    pub fn spawn_with<F>(&mut self, start: impl FnOnce(EventSink<E>) -> F + Send + 'static) -> Spawned<'_, E>
    where
        F: Future<Output = E> + Send + 'static,
        E: 'static,
    {
        self.push_spawn(Box::new(move |sink| {
            let future = start(sink);
            Box::pin(async move { Some(future.await) })
        }))
    }

    fn push_spawn(&mut self, start: SpawnFn<E>) -> Spawned<'_, E> {
        self.queue.push(Effect::Spawn { start, on_panic: None });
        match self.queue.last_mut() {
            Some(Effect::Spawn { on_panic, .. }) => Spawned { on_panic },
            _ => unreachable!("the effect just pushed is a spawn"),
        }
    }

    /// Handles `event` right after the current transition, before the inbox.
    pub fn raise(&mut self, event: E) {
        self.queue.push(Effect::Raise(event));
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

/// The effect a spawn method just recorded, to say what its panic means.
///
/// Ignoring it keeps the default: a panic is reported as
/// [`Notice::EffectPanicked`](super::Notice::EffectPanicked) and the machine
/// hears nothing of it.
pub struct Spawned<'a, E> {
    on_panic: &'a mut Option<E>,
}

impl<E> fmt::Debug for Spawned<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spawned").field("on_panic", &self.on_panic.is_some()).finish()
    }
}

impl<E> Spawned<'_, E> {
    /// If the effect's future panics, `event` is handled by the machine as that
    /// effect's result (after whatever it sent through its sink), so the table
    /// decides what a panic means, e.g. a failure. The
    /// [`Notice::EffectPanicked`](super::Notice::EffectPanicked) and the
    /// `tracing` error still come first. Dropped unused if the effect ends
    /// normally or is aborted.
    pub fn on_panic(self, event: E) {
        *self.on_panic = Some(event);
    }
}
