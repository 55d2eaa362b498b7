//! The async driver: one tokio task per machine instance, for any machine
//! `lifecycle!` generates. It knows nothing of containers.
//!
//! - an inbox of events ([`Running::send`]);
//! - transitions are the machine's synchronous [`dispatch`](crate::Machine::dispatch);
//!   the effects a handler records ([`Effects`]) run after it: messages go to the
//!   owner, futures run on the driver's task set and their outputs come back as events
//!   (a future may also send events as it goes, through an [`EventSink`]), and raised
//!   events are handled next, before the inbox;
//! - per-state timers: after every event handled, the state's
//!   [`timeout`](crate::Machine::timeout) is armed afresh, so a timer measures time
//!   spent idle in the state, as in Akka's FSM;
//! - deferral: an event the state [`defers`](crate::Machine::defers) is kept and
//!   replayed, in arrival order and before any new event, once the state changes;
//! - one ordered channel to the owner ([`Notice`]) where a handler's messages come
//!   before its transition; a broadcast of every [`Transition`] for observers; one
//!   `tracing` event per transition (machine, from, event, to);
//! - stopping: on a terminal state, a handler's [`Effects::stop`], or a closed inbox,
//!   effects still in flight run to their end (as an actor's futures outlive it) and
//!   their events go nowhere; [`Running::shutdown`] stops the loop at the next event
//!   boundary and aborts them. Either way, deferred events are handed back as
//!   [`Notice::Unhandled`], and the task returns the machine.
//!
//! ```
//! use proxy_machine::driver::{self, Driven, Effects, Notice};
//! use proxy_machine::lifecycle;
//!
//! #[derive(Default)]
//! pub struct Cx { effects: Effects<PingEvent, &'static str> }
//! lifecycle! {
//!     pub machine Ping {
//!         context: Cx;
//!         initial: Idle;
//!         terminal: [Done];
//!         states { Idle, Waiting, Done }
//!         events { Send, Pong }
//!         transitions { Idle + Send => Waiting, Waiting + Pong => Done }
//!     }
//! }
//! impl PingHandlers for Cx {
//!     fn idle_send(&mut self) {
//!         self.effects.emit("sent");
//!         self.effects.spawn(async { PingEvent::Pong }); // comes back as an event
//!     }
//!     fn waiting_pong(&mut self) { self.effects.emit("got pong"); }
//! }
//! impl Driven for PingAny {
//!     type Output = &'static str;
//!     fn effects(cx: &mut Cx) -> &mut Effects<PingEvent, &'static str> { &mut cx.effects }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let (running, mut notices) = driver::spawn(PingAny::from(Ping::new(Cx::default())));
//! running.send(PingEvent::Send).unwrap();
//! let mut seen = Vec::new();
//! while let Some(notice) = notices.recv().await {
//!     seen.push(match notice {
//!         Notice::Message(m) => m.to_string(),
//!         Notice::Transition(t) => format!("{} -> {}", t.from, t.to),
//!         other => format!("{other:?}"),
//!     });
//! }
//! assert_eq!(seen, ["sent", "Idle -> Waiting", "got pong", "Waiting -> Done", "Stopped { state: \"Done\", reason: Terminal }"]);
//! let machine = running.join().await.unwrap();
//! assert_eq!(machine.state_name(), "Done");
//! # });
//! ```

mod effects;
mod notice;
mod task;

pub use effects::{Effect, EffectFuture, Effects, EventSink, SpawnFn};
pub use notice::{Notice, StopReason, Transition};

use std::sync::{Arc, OnceLock};

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::{JoinError, JoinHandle};

use crate::Machine;

/// A machine the driver can run: its context holds an [`Effects`] outbox.
pub trait Driven: Machine + Send + 'static
where
    Self::Event: Send + 'static,
{
    /// The messages handlers send to the owner.
    type Output: Send + 'static;

    /// The context's outbox, which the driver empties after every transition.
    fn effects(context: &mut Self::Context) -> &mut Effects<Self::Event, Self::Output>;
}

/// How many transitions a slow observer may fall behind before it misses some.
const OBSERVER_BACKLOG: usize = 1024;

/// The owner's end of the ordered [`Notice`] channel of a driven machine.
pub type Notices<M> = mpsc::UnboundedReceiver<Notice<<M as Machine>::Event, <M as Driven>::Output>>;

/// Starts `machine` on its own tokio task. Returns the handle to it and the ordered
/// channel of [`Notice`]s to the owner, which ends with [`Notice::Stopped`].
pub fn spawn<M: Driven>(machine: M) -> (Running<M>, Notices<M>)
where
    M::Event: Send + 'static,
{
    let (inbox, events) = mpsc::unbounded_channel();
    let (notices, notice_rx) = mpsc::unbounded_channel();
    // Created on the first `subscribe`: an idle machine nobody observes should not
    // carry a 1,024-slot ring.
    let observers = Arc::new(OnceLock::new());
    let (stop, stop_rx) = oneshot::channel();
    let sink = inbox.downgrade();
    let task = tokio::spawn(task::run(machine, events, sink, notices, observers.clone(), stop_rx));
    (Running { inbox, observers, stop: Some(stop), task }, notice_rx)
}

/// The owner's handle to a driven machine.
pub struct Running<M: Driven>
where
    M::Event: Send + 'static,
{
    inbox: mpsc::UnboundedSender<M::Event>,
    observers: Arc<OnceLock<broadcast::Sender<Transition>>>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<M>,
}

impl<M: Driven> Running<M>
where
    M::Event: Send + 'static,
{
    /// Puts `event` in the machine's inbox. Fails, handing the event back, once the
    /// machine has stopped.
    pub fn send(&self, event: M::Event) -> Result<(), M::Event> {
        self.inbox.send(event).map_err(|e| e.0)
    }

    /// Another sender to the inbox, for whoever else produces events.
    pub fn inbox(&self) -> mpsc::UnboundedSender<M::Event> {
        self.inbox.clone()
    }

    /// A stream of every transition from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Transition> {
        self.observers.get_or_init(|| broadcast::channel(OBSERVER_BACKLOG).0).subscribe()
    }

    /// Whether the machine's task has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Stops the machine at the next event boundary and returns it. Effects in flight
    /// are aborted; deferred events are handed back as [`Notice::Unhandled`].
    pub async fn shutdown(mut self) -> Result<M, JoinError> {
        if let Some(stop) = self.stop.take() {
            // The task may have stopped on its own already; then there is no one to tell.
            let _ = stop.send(());
        }
        self.task.await
    }

    /// Waits for the machine to stop on its own and returns it.
    pub async fn join(self) -> Result<M, JoinError> {
        let Running { task, stop, inbox, .. } = self;
        // Dropping our inbox sender lets the machine stop once no one else can send.
        drop(inbox);
        let result = task.await;
        drop(stop);
        result
    }
}
