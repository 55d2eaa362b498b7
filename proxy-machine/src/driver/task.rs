//! The loop of one driven machine.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use std::time::Duration;

use tokio::sync::{broadcast, oneshot};
use tokio::task::{Id, JoinSet};
use tokio::time::{Instant, Sleep};

use super::inbox::Rx;
use super::notices;
use super::own::Own;
use super::{Driven, Effect, EventSink, Notice, StopReason, Transition};
use crate::Machine;

/// Where the next event comes from, in priority order.
enum Next<E> {
    Event(E),
    Stop(StopReason),
    /// The owner called `shutdown`.
    Shutdown(Stop<E>),
    /// Something happened that is not an event (an effect ended, the stop handle
    /// was dropped); look again.
    Nothing,
}

/// What the owner asks for when it shuts the machine down.
pub(super) struct Stop<E> {
    /// How long the machine may run on.
    pub(super) grace: Duration,
    /// The event handled first; `None`: the machine's own `shutdown_event`.
    pub(super) event: Option<E>,
}

type NoticeTx<M> = notices::NoticeTx<Notice<<M as Machine>::Event, <M as Driven>::Output>>;

pub(super) async fn run<M: Driven>(
    mut machine: M,
    mut inbox: Rx<M::Event>,
    mut notices: NoticeTx<M>,
    observers: Arc<OnceLock<broadcast::Sender<Transition>>>,
    mut stop: oneshot::Receiver<Stop<M::Event>>,
) -> M {
    // The machine's own events (effects' outputs, sinks, panic events) travel apart
    // from the owner's, so that closing the owner's inbox at stop leaves effects
    // nothing to race with, and a stop can hand back exactly what the owner sent.
    // Created with the first effect: a machine that never spawns one does without.
    let mut own: Option<Own<M::Event>> = None;
    let mut effects: JoinSet<()> = JoinSet::new();
    // The `on_panic` events of effects in flight, by task; empty unless used, and
    // a few at most, so a `Vec` (half a `HashMap`'s size in every machine's task).
    let mut panic_events: Vec<(Id, M::Event)> = Vec::new();
    // Set when the driver put an event in its own channel itself, so the fast path
    // looks there even with no effect in flight.
    let mut own_pending = false;
    let mut deferred: VecDeque<M::Event> = VecDeque::new();
    let mut replay: VecDeque<M::Event> = VecDeque::new();
    // One timer for the machine's whole life, reset when a state arms it: building
    // one per event would cost a clock read and a registration each time.
    let sleep = tokio::time::sleep_until(Instant::now());
    tokio::pin!(sleep);
    let mut timer = arm(&machine, sleep.as_mut());
    let mut stop_handle_alive = true;
    let mut inbox_open = true;
    // The end of a shutdown's grace, once one began; boxed so that a machine never
    // shut down carries a pointer rather than a second timer.
    let mut grace: Option<Pin<Box<Sleep>>> = None;

    let mut clock = Clock::default();
    let reason = loop {
        if machine.is_terminal() {
            break StopReason::Terminal;
        }
        if notices.is_full() {
            // A long run of queued events: the owner reads what it has so far.
            notices.flush();
            clock.forget();
            tokio::task::yield_now().await;
        }
        if let Some(end) = &grace {
            // Checked at every event boundary: a machine busy with its own events
            // must not outlive its grace.
            if Instant::now() >= end.deadline() {
                break StopReason::Shutdown;
            }
        }
        // Shutdown is honoured at every event boundary, without a full `select!`.
        let mut signal = None;
        if stop_handle_alive {
            match stop.try_recv() {
                Ok(asked) => signal = Some(asked),
                Err(oneshot::error::TryRecvError::Closed) => stop_handle_alive = false,
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
        }
        let next = if let Some(asked) = signal {
            Next::Shutdown(asked)
        } else if let Some(event) = replay.pop_front() {
            Next::Event(event)
        } else if let Some(event) = take_own(own.as_ref(), !effects.is_empty(), &mut own_pending) {
            // Only looked at with an effect in flight (or an event the driver put
            // there), so a machine without effects pays nothing for the channel.
            // Such events come before the owner's queued ones.
            Next::Event(event)
        } else if let Some(event) = inbox_open.then(|| inbox.try_recv()).flatten() {
            // A queued event needs no `select!`: a timer only fires on a machine idle
            // in its state, since every event handled re-arms it.
            Next::Event(event)
        } else if !inbox_open && effects.is_empty() && timer.is_none() {
            // Nothing can produce an event any more but a sink an effect left behind.
            match own.as_ref().and_then(Own::try_recv) {
                Some(event) => Next::Event(event),
                None if grace.is_some() => Next::Stop(StopReason::Shutdown),
                None => Next::Stop(StopReason::InboxClosed),
            }
        } else {
            // The only place the loop waits: the owner gets what it has not seen,
            // and the clock is read afresh after it.
            notices.flush();
            clock.forget();
            tokio::select! {
                biased;
                signal = &mut stop, if stop_handle_alive => {
                    stop_handle_alive = false;
                    match signal {
                        Ok(asked) => Next::Shutdown(asked),
                        Err(_) => Next::Nothing,
                    }
                },
                () = poll_fn(|cx| grace.as_mut().map_or(Poll::Pending, |end| end.as_mut().poll(cx))),
                    if grace.is_some() => {
                    Next::Stop(StopReason::Shutdown)
                },
                // Before the task set: an effect's events are in the channel before
                // its task ends.
                event = poll_fn(|cx| own.as_ref().map_or(Poll::Pending, |own| own.poll_recv(cx))),
                    if own.is_some() => Next::Event(event),
                Some(done) = effects.join_next_with_id(), if !effects.is_empty() => {
                    match done {
                        Ok((id, ())) => {
                            // It ended normally: its panic event is not needed.
                            let _ = take_panic_event(&mut panic_events, id);
                        }
                        Err(error) => {
                            let event = take_panic_event(&mut panic_events, error.id());
                            if error.is_panic() {
                                let state = machine.state_name();
                                tracing::error!(machine = M::META.name, state, %error, "effect panicked");
                                notices.send(Notice::EffectPanicked { state });
                                // Behind whatever the effect sent through its sink
                                // before it panicked, as its output would be. The
                                // channel exists: the effect was spawned.
                                if let (Some(event), Some(own)) = (event, own.as_ref()) {
                                    own.push(event);
                                    own_pending = true;
                                }
                            }
                        }
                    }
                    Next::Nothing
                },
                received = poll_fn(|cx| inbox.poll_recv(cx)), if inbox_open => match received {
                    Some(event) => Next::Event(event),
                    None => {
                        inbox_open = false;
                        Next::Nothing
                    }
                },
                () = &mut sleep, if timer.is_some() => match timer.take() {
                    Some(event) => Next::Event(event),
                    None => Next::Nothing,
                },
            }
        };
        let event = match next {
            Next::Event(event) => event,
            Next::Stop(reason) => break reason,
            Next::Shutdown(Stop { grace: grace_period, event }) => {
                // The owner's inbox closes at once; what is in it goes back.
                stop_handle_alive = false;
                inbox_open = false;
                hand_back_inbox::<M>(&mut inbox, machine.state_name(), &mut notices).await;
                if grace_period.is_zero() {
                    break StopReason::Shutdown;
                }
                grace = Some(Box::pin(tokio::time::sleep(grace_period)));
                if let Some(event) = event.or_else(|| machine.shutdown_event()) {
                    // Handled next, before replayed and raised events.
                    replay.push_front(event);
                }
                continue;
            }
            Next::Nothing => continue,
        };

        // Any event the machine processes restarts the state's timer, as in Akka's FSM:
        // a timeout measures time spent idle in the state.
        if machine.defers(&event) {
            deferred.push_back(event);
            timer = arm(&machine, sleep.as_mut());
            continue;
        }
        // In place: the machine stays in this task's state, and a rejection hands back
        // only the event.
        let crate::Transition { from, event: event_name, to } = match machine.dispatch(event) {
            Ok(transition) => transition,
            Err(rejected) => {
                let state = rejected.state;
                tracing::warn!(machine = M::META.name, state, event = rejected.event_name, "unhandled event");
                notices.send(Notice::Unhandled { state, event: rejected.event });
                timer = arm(&machine, sleep.as_mut());
                continue;
            }
        };
        tracing::debug!(machine = M::META.name, from, event = event_name, to, "transition");

        let changed = from != to;
        if changed && !deferred.is_empty() {
            // Deferred events go first, in arrival order, before anything new.
            replay.extend(deferred.drain(..));
        }
        let mut stop_requested = false;
        let queued = M::effects(machine.context_mut());
        // Most transitions record nothing: skip the drain then.
        if !queued.is_empty() {
            for effect in queued.take() {
                match effect {
                    Effect::Emit(message) => {
                        notices.send(Notice::Message(message));
                    }
                    Effect::Spawn { start, on_panic } => {
                        let own = own.get_or_insert_with(Own::new);
                        let future = start(EventSink(own.sender()));
                        // The output goes through the machine's own channel, behind
                        // whatever the effect sent through its sink, as a `pipeTo(self)`
                        // goes behind a `self !` in the mailbox.
                        let output = own.sender();
                        let task = effects.spawn(async move {
                            if let Some(event) = future.await {
                                output.send(event);
                            }
                        });
                        if let Some(event) = on_panic {
                            panic_events.push((task.id(), event));
                        }
                    }
                    // Raised events follow the replayed ones and come before the inbox.
                    Effect::Raise(event) => replay.push_back(event),
                    Effect::Stop => stop_requested = true,
                }
            }
        }
        // The clock is read, and the notice or the broadcast sent, only when someone
        // will see it.
        let notify = changed && !notices.is_closed();
        let observed = observers.get().filter(|tx| tx.receiver_count() > 0);
        if notify || observed.is_some() {
            let transition =
                Transition { machine: M::META.name, from, event: event_name, to, at: clock.now() };
            if notify {
                notices.send(Notice::Transition(transition));
            }
            if let Some(tx) = observed {
                // A subscriber that went away in between is fine.
                let _ = tx.send(transition);
            }
        }
        timer = arm(&machine, sleep.as_mut());
        if stop_requested {
            break StopReason::Requested;
        }
    };

    if reason == StopReason::Shutdown {
        // The grace is over (or there was none): what is still in flight is aborted,
        // and the machine hands back what it holds, as messages.
        effects.abort_all();
        machine.abandon();
        for effect in M::effects(machine.context_mut()).take() {
            // Only messages have somewhere to go: no effect runs, no event is
            // handled, after the grace.
            if let Effect::Emit(message) = effect {
                notices.send(Notice::Message(message));
            }
        }
    } else {
        // The machine stopped on its own: effects still in flight (acks, stores)
        // finish, as an actor's futures outlive it; their events go nowhere.
        effects.detach_all();
    }
    let state = machine.state_name();
    for event in replay.into_iter().chain(deferred) {
        notices.send(Notice::Unhandled { state, event });
    }
    // Whatever the owner managed to send comes back (a no-op after a shutdown, which
    // did it at once).
    hand_back_inbox::<M>(&mut inbox, state, &mut notices).await;
    notices.send(Notice::Stopped { state, reason });
    machine
}

/// Closes the owner's inbox and hands back every event in it as `Unhandled`, in
/// order: after `close`, a send either fails or is still received here.
fn hand_back_inbox<'a, M: Driven>(
    inbox: &'a mut Rx<M::Event>,
    state: &'static str,
    notices: &'a mut NoticeTx<M>,
) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
    // Boxed, and built only at the stop: inline, the wait would add its state to
    // every machine's task for its whole life.
    Box::pin(async move {
        inbox.close();
        // The recv below may wait for a send still under way.
        notices.flush();
        while let Some(event) = inbox.recv().await {
            notices.send(Notice::Unhandled { state, event });
        }
    })
}

/// The time stamped on transitions: read when the driver woke and then every
/// [`Clock::READ_EVERY`]th transition of a run of events handled without waiting, the
/// ones between sharing it. A clock read costs about as much as the rest of a
/// transition's notice; an uninterrupted run is a burst of queued events, whose
/// handlers take nanoseconds each, so a stamp is early by at most the time of
/// `READ_EVERY - 1` handlers.
#[derive(Default)]
struct Clock {
    read: Option<Instant>,
    uses: u32,
}

impl Clock {
    const READ_EVERY: u32 = 8;

    fn now(&mut self) -> Instant {
        match self.read {
            Some(read) if self.uses < Self::READ_EVERY => {
                self.uses += 1;
                read
            }
            _ => {
                let read = Instant::now();
                (self.read, self.uses) = (Some(read), 1);
                read
            }
        }
    }

    /// The driver is about to wait: the next stamp is read afresh.
    fn forget(&mut self) {
        self.read = None;
    }
}

/// The `on_panic` event of the effect `id`, if it had one.
fn take_panic_event<E>(panic_events: &mut Vec<(Id, E)>, id: Id) -> Option<E> {
    let index = panic_events.iter().position(|(task, _)| *task == id)?;
    Some(panic_events.swap_remove(index).1)
}

/// The next event in the machine's own channel, if it is worth looking (`busy`: an
/// effect is in flight, or the driver put one there itself).
fn take_own<E>(own: Option<&Own<E>>, busy: bool, own_pending: &mut bool) -> Option<E> {
    if !busy && !*own_pending {
        return None;
    }
    let event = own?.try_recv();
    if event.is_none() {
        *own_pending = false;
    }
    event
}

/// Arms the state's timer, due from now; the event it will raise, if the state has one.
fn arm<M: Machine>(machine: &M, sleep: Pin<&mut Sleep>) -> Option<M::Event> {
    let (after, event) = machine.timeout()?;
    sleep.reset(Instant::now() + after);
    Some(event)
}
