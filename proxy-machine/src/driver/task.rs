//! The loop of one driven machine.

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::{Id, JoinSet};
use tokio::time::{Instant, Sleep};

use super::inbox::Rx;
use super::{Driven, Effect, EventSink, Notice, StopReason, Transition};
use crate::{Event, Machine};

/// Where the next event comes from, in priority order.
enum Next<E> {
    Event(E),
    Stop(StopReason),
    /// The owner called `shutdown` with this grace.
    Shutdown(Duration),
    /// Something happened that is not an event (an effect ended, the stop handle
    /// was dropped); look again.
    Nothing,
}

type NoticeTx<M> = mpsc::UnboundedSender<Notice<<M as Machine>::Event, <M as Driven>::Output>>;

pub(super) async fn run<M: Driven>(
    mut machine: M,
    mut inbox: Rx<M::Event>,
    notices: NoticeTx<M>,
    observers: Arc<OnceLock<broadcast::Sender<Transition>>>,
    mut stop: oneshot::Receiver<Duration>,
) -> M
where
    M::Event: Send + 'static,
{
    // The machine's own events (effects' outputs, sinks, panic events) travel apart
    // from the owner's, so that closing the owner's inbox at stop leaves effects
    // nothing to race with, and a stop can hand back exactly what the owner sent.
    // The driver holds the only strong sender besides running effects: the channel
    // never closes under it.
    let (own_tx, mut own) = mpsc::unbounded_channel();
    let sink = own_tx.downgrade();
    let mut effects: JoinSet<()> = JoinSet::new();
    // The `on_panic` events of effects in flight, by task; empty unless used.
    let mut panic_events: HashMap<Id, M::Event> = HashMap::new();
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

    let reason = loop {
        if machine.is_terminal() {
            break StopReason::Terminal;
        }
        if let Some(end) = &grace {
            // Checked at every event boundary: a machine busy with its own events
            // must not outlive its grace.
            if Instant::now() >= end.deadline() {
                break StopReason::Shutdown;
            }
        }
        // Shutdown is honoured at every event boundary, without a full `select!`.
        if stop_handle_alive {
            match stop.try_recv() {
                Ok(grace_period) => {
                    stop_handle_alive = false;
                    if begin_shutdown(
                        &mut machine,
                        &mut inbox,
                        &notices,
                        grace_period,
                        &mut grace,
                        &mut replay,
                    )
                    .await
                    {
                        break StopReason::Shutdown;
                    }
                    inbox_open = false;
                }
                Err(oneshot::error::TryRecvError::Closed) => stop_handle_alive = false,
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
        }
        let next = if let Some(event) = replay.pop_front() {
            Next::Event(event)
        } else if let Some(event) = take_own(&mut own, !effects.is_empty(), &mut own_pending) {
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
            match own.try_recv() {
                Ok(event) => Next::Event(event),
                Err(_) if grace.is_some() => Next::Stop(StopReason::Shutdown),
                Err(_) => Next::Stop(StopReason::InboxClosed),
            }
        } else {
            tokio::select! {
                biased;
                signal = &mut stop, if stop_handle_alive => {
                    stop_handle_alive = false;
                    match signal {
                        Ok(grace_period) => Next::Shutdown(grace_period),
                        Err(_) => Next::Nothing,
                    }
                },
                () = async {
                    match grace.as_mut() {
                        Some(end) => end.as_mut().await,
                        None => std::future::pending().await,
                    }
                }, if grace.is_some() => {
                    Next::Stop(StopReason::Shutdown)
                },
                // Before the task set: an effect's events are in the channel before
                // its task ends.
                Some(event) = own.recv() => Next::Event(event),
                Some(done) = effects.join_next_with_id(), if !effects.is_empty() => {
                    match done {
                        Ok((id, ())) => {
                            if !panic_events.is_empty() {
                                panic_events.remove(&id);
                            }
                        }
                        Err(error) => {
                            let event = panic_events.remove(&error.id());
                            if error.is_panic() {
                                let state = machine.state_name();
                                tracing::error!(machine = M::META.name, state, %error, "effect panicked");
                                let _ = notices.send(Notice::EffectPanicked { state });
                                if let Some(event) = event {
                                    // Behind whatever the effect sent through its sink
                                    // before it panicked, as its output would be.
                                    let _ = own_tx.send(event);
                                    own_pending = true;
                                }
                            }
                        }
                    }
                    Next::Nothing
                },
                received = inbox.recv(), if inbox_open => match received {
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
            Next::Shutdown(grace_period) => {
                if begin_shutdown(&mut machine, &mut inbox, &notices, grace_period, &mut grace, &mut replay)
                    .await
                {
                    break StopReason::Shutdown;
                }
                inbox_open = false;
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
        let from = machine.state_name();
        let event_name = event.name();
        match machine.dispatch(event) {
            Ok(next) => machine = next,
            Err(rejected) => {
                let (unchanged, event) = rejected.into_parts();
                machine = unchanged;
                tracing::warn!(machine = M::META.name, state = from, event = event_name, "unhandled event");
                let _ = notices.send(Notice::Unhandled { state: from, event });
                timer = arm(&machine, sleep.as_mut());
                continue;
            }
        }
        let to = machine.state_name();
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
                        let _ = notices.send(Notice::Message(message));
                    }
                    Effect::Spawn { start, on_panic } => {
                        let future = start(EventSink(sink.clone()));
                        // The output goes through the machine's own channel, behind
                        // whatever the effect sent through its sink, as a `pipeTo(self)`
                        // goes behind a `self !` in the mailbox.
                        let output = own_tx.clone();
                        let task = effects.spawn(async move {
                            if let Some(event) = future.await {
                                let _ = output.send(event);
                            }
                        });
                        if let Some(event) = on_panic {
                            panic_events.insert(task.id(), event);
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
                Transition { machine: M::META.name, from, event: event_name, to, at: Instant::now() };
            if notify {
                let _ = notices.send(Notice::Transition(transition));
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
                let _ = notices.send(Notice::Message(message));
            }
        }
    } else {
        // The machine stopped on its own: effects still in flight (acks, stores)
        // finish, as an actor's futures outlive it; their events go nowhere.
        effects.detach_all();
    }
    let state = machine.state_name();
    for event in replay.into_iter().chain(deferred) {
        let _ = notices.send(Notice::Unhandled { state, event });
    }
    // Whatever the owner managed to send comes back; after `close`, a send either
    // fails or is still received here.
    inbox.close();
    while let Some(event) = inbox.recv().await {
        let _ = notices.send(Notice::Unhandled { state, event });
    }
    let _ = notices.send(Notice::Stopped { state, reason });
    machine
}

/// The owner asked for a shutdown: closes the owner's inbox and hands back what is
/// in it, then either starts the grace (and queues the machine's shutdown event
/// first) or, with no grace, says to stop now (`true`).
async fn begin_shutdown<M: Driven>(
    machine: &mut M,
    inbox: &mut Rx<M::Event>,
    notices: &NoticeTx<M>,
    grace_period: Duration,
    grace: &mut Option<Pin<Box<Sleep>>>,
    replay: &mut VecDeque<M::Event>,
) -> bool
where
    M::Event: Send + 'static,
{
    let state = machine.state_name();
    inbox.close();
    while let Some(event) = inbox.recv().await {
        let _ = notices.send(Notice::Unhandled { state, event });
    }
    if grace_period.is_zero() {
        return true;
    }
    *grace = Some(Box::pin(tokio::time::sleep(grace_period)));
    if let Some(event) = machine.shutdown_event() {
        replay.push_front(event);
    }
    false
}

/// The next event in the machine's own channel, if it is worth looking (`busy`: an
/// effect is in flight, or the driver put one there itself).
fn take_own<E>(own: &mut mpsc::UnboundedReceiver<E>, busy: bool, own_pending: &mut bool) -> Option<E> {
    if !busy && !*own_pending {
        return None;
    }
    match own.try_recv() {
        Ok(event) => Some(event),
        Err(_) => {
            *own_pending = false;
            None
        }
    }
}

/// Arms the state's timer, due from now; the event it will raise, if the state has one.
fn arm<M: Machine>(machine: &M, sleep: Pin<&mut Sleep>) -> Option<M::Event> {
    let (after, event) = machine.timeout()?;
    sleep.reset(Instant::now() + after);
    Some(event)
}
