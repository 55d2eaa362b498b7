//! The async driver: one tokio task per machine instance, for any machine
//! `lifecycle!` generates. It knows nothing of containers.
//!
//! - an inbox of the owner's events ([`Running::send`]), unbounded, or bounded with
//!   [`spawn_bounded`];
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
//! - one ordered channel to the owner ([`Notice`], read through [`NoticeReceiver`])
//!   where a handler's messages come before its transition, handed over in batches
//!   (when the driver waits, and every 64 notices of a long run, when it also yields); a broadcast of every [`Transition`] for observers; one
//!   `tracing` event per transition (machine, from, event, to).
//!
//! # Two channels in
//!
//! The owner's events ([`Running::send`], [`Running::inbox`]) and the machine's own
//! (effects' outputs, [`EventSink`] sends, panic events) arrive on separate
//! channels. Each keeps its order, and an effect's sink events come before its
//! output; between the two there is no arrival order. While an effect is in flight
//! its events are taken before the owner's queued ones; otherwise the owner's inbox
//! is read first and the machine's own channel when the inbox is empty.
//!
//! # Stopping
//!
//! A machine stops on its own on a terminal state, a handler's [`Effects::stop`],
//! or a closed inbox (every owner sender dropped, no effect in flight, no timer
//! armed). Then:
//!
//! - effects still in flight run to their end (as an actor's futures outlive it);
//!   the events they send, and any left in the machine's own channel, are dropped:
//!   they were the machine's business and it has stopped;
//! - replayed and deferred events come back as [`Notice::Unhandled`], in order;
//! - the owner's inbox is closed, and every event still in it comes back as
//!   [`Notice::Unhandled`], in arrival order. A send racing with the stop either
//!   fails, handing the event back, or its event comes back this way: an event the
//!   inbox accepted is never dropped;
//! - [`Notice::Stopped`] comes last, and the task returns the machine.
//!
//! # Shutdown
//!
//! [`Running::shutdown`]`(grace)`, seen at the next event boundary:
//!
//! 1. the owner's inbox is closed at once and every event in it comes back as
//!    [`Notice::Unhandled`], in order;
//! 2. the machine's [`Driven::shutdown_event`], if any, is handled next, through
//!    dispatch like any event (deferral included);
//! 3. the machine runs on (effects and their events, timers, replay of deferred
//!    events) until it stops on its own (then as above, with that reason), until
//!    nothing can happen any more (no effect in flight, no timer armed), or until
//!    `grace` has passed on tokio's clock;
//! 4. in the last two cases, effects still in flight are aborted and
//!    [`Driven::abandon`] is called: the messages it records with
//!    [`Effects::emit`] are delivered as [`Notice::Message`]s (anything else it
//!    records is dropped: nothing runs after the grace);
//! 5. replayed and deferred events come back as [`Notice::Unhandled`], then
//!    [`Notice::Stopped`] with [`StopReason::Shutdown`].
//!
//! With `grace` zero, steps 2 and 3 are skipped: the machine stops at the boundary.
//! [`Running::shutdown_with`] is the same with an event the owner chooses in place
//! of the machine's `shutdown_event` (say, "stop, but keep what you hold").
//!
//! ```
//! # use std::time::Duration;
//! # use proxy_machine::driver::{self, Driven, Effects, Notice};
//! # use proxy_machine::{lifecycle, Machine};
//! #[derive(Default)]
//! pub struct Cx { effects: Effects<WorkEvent, String>, held: Option<u32> }
//! lifecycle! {
//!     pub machine Work {
//!         context: Cx;
//!         initial: Idle;
//!         terminal: [];
//!         states { Idle, Busy }
//!         events { Job(u32), Done }
//!         transitions { Idle + Job => Busy, Busy + Done => Idle }
//!     }
//! }
//! impl WorkHandlers for Cx {
//!     fn idle_job(&mut self, job: u32) {
//!         self.held = Some(job);
//!         self.effects.spawn(async {
//!             tokio::time::sleep(Duration::from_secs(60)).await; // longer than the grace
//!             WorkEvent::Done
//!         });
//!     }
//!     fn busy_done(&mut self) { self.held = None; }
//! }
//! impl Driven for WorkAny {
//!     type Output = String;
//!     fn effects(cx: &mut Cx) -> &mut Effects<WorkEvent, String> { &mut cx.effects }
//!     // Whatever the machine holds when the grace runs out goes back to the owner.
//!     fn abandon(&mut self) {
//!         let cx = self.context_mut();
//!         if let Some(job) = cx.held.take() {
//!             cx.effects.emit(format!("handing back {job}"));
//!         }
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
//! let (running, mut notices) = driver::spawn(WorkAny::from(Work::new(Cx::default())));
//! running.send(WorkEvent::Job(7)).unwrap();
//! tokio::task::yield_now().await; // the machine takes the job
//! running.send(WorkEvent::Job(8)).unwrap(); // still in the inbox at the shutdown
//! let machine = running.shutdown(Duration::from_secs(5)).await.unwrap();
//! assert_eq!(machine.state_name(), "Busy");
//! let mut seen = Vec::new();
//! while let Some(notice) = notices.recv().await {
//!     seen.push(match notice {
//!         Notice::Message(m) => m,
//!         Notice::Unhandled { event: WorkEvent::Job(job), .. } => format!("unhandled {job}"),
//!         Notice::Transition(t) => format!("{} -> {}", t.from, t.to),
//!         other => format!("{other:?}"),
//!     });
//! }
//! assert_eq!(seen, [
//!     "Idle -> Busy",
//!     "unhandled 8",        // the inbox, at once
//!     "handing back 7",     // abandon, once the 5 s grace ran out
//!     "Stopped { state: \"Busy\", reason: Shutdown }",
//! ]);
//! # });
//! ```
//!
//! # Effect panics
//!
//! A *handler* that panics aborts the process, as in any `dispatch` (see
//! [`Machine::dispatch`]): the machine was moved into the transition and there is
//! nothing left to hand back. An *effect* is another matter: it runs on its own task,
//! apart from the machine.
//!
//! An effect whose future panics is reported as [`Notice::EffectPanicked`] and a
//! `tracing` error. If its spawn was given an event with [`Spawned::on_panic`], that
//! event is then handled as the effect's result (after what the effect sent through
//! its sink), so the table says what a panic means; without one, the machine hears
//! nothing of it.
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
mod inbox;
mod notice;
mod notices;
mod own;
mod task;

pub use effects::{Effect, EffectFuture, Effects, EventSink, SpawnFn, Spawned};
pub use inbox::Inbox;
pub use notice::{Notice, StopReason, Transition};
pub use notices::{NoticeReceiver, TryRecvError};

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{broadcast, oneshot};
use tokio::task::{JoinError, JoinHandle};

use crate::Machine;

/// A machine the driver can run: its context holds an [`Effects`] outbox.
///
/// Its events must be `Send`: the driver runs the machine on a tokio task. The bound
/// is on the associated type (`Machine<Event: Send>`), which every `M: Driven`
/// implies, so a payload that is not `Send` is one error, at the `impl Driven`,
/// naming the payload's type, not one more at every use of the driver.
pub trait Driven: Machine<Event: Send + 'static> + Send + 'static {
    /// The messages handlers send to the owner.
    type Output: Send + 'static;

    /// The context's outbox, which the driver empties after every transition.
    fn effects(context: &mut Self::Context) -> &mut Effects<Self::Event, Self::Output>;

    /// The event the machine handles first when the owner shuts it down with a
    /// grace ([`Running::shutdown`]), e.g. one that lets it finish its work and
    /// stop; `None` (the default) for none.
    fn shutdown_event(&self) -> Option<Self::Event> {
        None
    }

    /// Called once when a shutdown stops the machine before it stopped on its own,
    /// after its effects in flight were aborted: record with [`Effects::emit`] the
    /// messages that hand back what the machine holds (the jobs it accepted), to be
    /// delivered before [`Notice::Stopped`]. Other effects recorded here are
    /// dropped. The default records nothing.
    fn abandon(&mut self) {}
}

/// How many transitions a slow observer may fall behind before it misses some.
const OBSERVER_BACKLOG: usize = 1024;

/// The owner's end of the ordered [`Notice`] channel of a driven machine.
pub type Notices<M> = NoticeReceiver<<M as Machine>::Event, <M as Driven>::Output>;

/// Starts `machine` on its own tokio task. Returns the handle to it and the ordered
/// channel of [`Notice`]s to the owner, which ends with [`Notice::Stopped`].
pub fn spawn<M: Driven>(machine: M) -> (Running<M>, Notices<M>) {
    start(machine, None)
}

/// Like [`spawn`], with an inbox that holds at most `capacity` of the owner's
/// events: [`Running::send`] then fails, handing the event back, while it is full,
/// and [`Running::send_wait`] waits for room. The machine's own events (effects'
/// outputs, sinks) are not counted. Panics if `capacity` is 0.
pub fn spawn_bounded<M: Driven>(machine: M, capacity: usize) -> (Running<M>, Notices<M>) {
    assert!(capacity > 0, "a bounded inbox needs room for at least one event");
    start(machine, Some(capacity))
}

fn start<M: Driven>(machine: M, capacity: Option<usize>) -> (Running<M>, Notices<M>) {
    let (inbox, events) = inbox::channel(capacity);
    let (notices, notice_rx) = notices::channel();
    // Created on the first `subscribe`: an idle machine nobody observes should not
    // carry a 1,024-slot ring.
    let observers = Arc::new(OnceLock::new());
    let (stop, stop_rx) = oneshot::channel::<task::Stop<M::Event>>();
    let task = tokio::spawn(task::run(machine, events, notices, observers.clone(), stop_rx));
    (Running { inbox, observers, stop: Some(stop), task }, notice_rx)
}

/// The owner's handle to a driven machine.
pub struct Running<M: Driven> {
    inbox: Inbox<M::Event>,
    observers: Arc<OnceLock<broadcast::Sender<Transition>>>,
    stop: Option<oneshot::Sender<task::Stop<M::Event>>>,
    task: JoinHandle<M>,
}

impl<M: Driven> Running<M> {
    /// Puts `event` in the machine's inbox. Fails, handing the event back, once the
    /// machine has stopped or a shutdown began, or while a bounded inbox is full; an
    /// event accepted is either handled or handed back as [`Notice::Unhandled`]
    /// (see [Stopping](self#stopping)).
    pub fn send(&self, event: M::Event) -> Result<(), M::Event> {
        self.inbox.send(event)
    }

    /// Like [`send`](Self::send), but waits for room in a bounded inbox; fails only
    /// once the machine has stopped or a shutdown began.
    pub async fn send_wait(&self, event: M::Event) -> Result<(), M::Event> {
        self.inbox.send_wait(event).await
    }

    /// Another sender to the inbox, for whoever else produces events.
    pub fn inbox(&self) -> Inbox<M::Event> {
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

    /// Shuts the machine down and returns it: the inbox closes at once (its events
    /// handed back), the machine's [`Driven::shutdown_event`] is handled, and it runs
    /// on for at most `grace` on tokio's clock; then effects in flight are aborted
    /// and [`Driven::abandon`] hands back what it holds. The steps are in
    /// [Shutdown](self#shutdown). `Duration::ZERO` stops it at the next event
    /// boundary.
    pub async fn shutdown(self, grace: Duration) -> Result<M, JoinError> {
        self.stop(task::Stop { grace, event: None }).await
    }

    /// Like [`shutdown`](Self::shutdown), but the machine handles `event` first in
    /// place of its [`Driven::shutdown_event`] (not at all with `grace` zero).
    pub async fn shutdown_with(self, grace: Duration, event: M::Event) -> Result<M, JoinError> {
        self.stop(task::Stop { grace, event: Some(event) }).await
    }

    async fn stop(mut self, stop: task::Stop<M::Event>) -> Result<M, JoinError> {
        if let Some(tx) = self.stop.take() {
            // The task may have stopped on its own already; then there is no one to tell.
            let _ = tx.send(stop);
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
