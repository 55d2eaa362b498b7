//! The loop of one driven machine.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

use super::{Driven, Effect, EventSink, Notice, StopReason, Transition};
use crate::{Event, Machine};

/// Where the next event comes from, in priority order.
enum Next<E> {
    Event(E),
    Stop(StopReason),
    /// Something happened that is not an event (an effect panicked, the stop handle
    /// was dropped); look again.
    Nothing,
}

pub(super) async fn run<M: Driven>(
    mut machine: M,
    mut inbox: mpsc::UnboundedReceiver<M::Event>,
    sink: mpsc::WeakUnboundedSender<M::Event>,
    notices: mpsc::UnboundedSender<Notice<M::Event, M::Output>>,
    observers: Arc<OnceLock<broadcast::Sender<Transition>>>,
    mut stop: oneshot::Receiver<()>,
) -> M
where
    M::Event: Send + 'static,
{
    let mut effects: JoinSet<Option<M::Event>> = JoinSet::new();
    let mut deferred: VecDeque<M::Event> = VecDeque::new();
    let mut replay: VecDeque<M::Event> = VecDeque::new();
    // One timer for the machine's whole life, reset when a state arms it: building
    // one per event would cost a clock read and a registration each time.
    let sleep = tokio::time::sleep_until(Instant::now());
    tokio::pin!(sleep);
    let mut timer = arm(&machine, sleep.as_mut());
    let mut stop_handle_alive = true;
    let mut inbox_open = true;

    let reason = loop {
        if machine.is_terminal() {
            break StopReason::Terminal;
        }
        // Shutdown is honoured at every event boundary, without a full `select!`.
        if stop_handle_alive {
            match stop.try_recv() {
                Ok(()) => break StopReason::Shutdown,
                Err(oneshot::error::TryRecvError::Closed) => stop_handle_alive = false,
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
        }
        let next = if let Some(event) = replay.pop_front() {
            Next::Event(event)
        } else if let Ok(event) = inbox.try_recv() {
            // A queued event needs no `select!`: effects' results travel through the
            // inbox too, and a timer only fires on a machine idle in its state, since
            // every event handled re-arms it.
            Next::Event(event)
        } else {
            tokio::select! {
                biased;
                signal = &mut stop, if stop_handle_alive => match signal {
                    Ok(()) => Next::Stop(StopReason::Shutdown),
                    Err(_) => {
                        stop_handle_alive = false;
                        Next::Nothing
                    }
                },
                Some(done) = effects.join_next(), if !effects.is_empty() => match done {
                    Ok(Some(event)) => Next::Event(event),
                    Ok(None) => Next::Nothing,
                    Err(_) => {
                        let _ = notices.send(Notice::EffectPanicked { state: machine.state_name() });
                        Next::Nothing
                    }
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
                else => Next::Stop(StopReason::InboxClosed),
            }
        };
        let event = match next {
            Next::Event(event) => event,
            Next::Stop(reason) => break reason,
            Next::Nothing => {
                if !inbox_open && effects.is_empty() && replay.is_empty() && timer.is_none() {
                    break StopReason::InboxClosed;
                }
                continue;
            }
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

        let mut stop_requested = false;
        let mut raised = Vec::new();
        for effect in M::effects(machine.context_mut()).take() {
            match effect {
                Effect::Emit(message) => {
                    let _ = notices.send(Notice::Message(message));
                }
                Effect::Spawn(start) => {
                    let future = start(EventSink(sink.clone()));
                    match sink.upgrade() {
                        // The result goes through the inbox, behind whatever the effect
                        // sent through its sink, as a `pipeTo(self)` goes behind a
                        // `self !` in the mailbox. The strong sender keeps the machine
                        // alive while the effect runs.
                        Some(inbox) => effects.spawn(async move {
                            if let Some(event) = future.await {
                                let _ = inbox.send(event);
                            }
                            None
                        }),
                        // No owner is left to send: the result comes straight back.
                        None => effects.spawn(future),
                    };
                }
                Effect::Raise(event) => raised.push(event),
                Effect::Stop => stop_requested = true,
            }
        }
        let changed = from != to;
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
        if changed {
            // Deferred events go first, in arrival order, before anything new.
            replay.extend(deferred.drain(..));
        }
        // Raised events follow the replayed ones and come before the inbox.
        replay.extend(raised);
        timer = arm(&machine, sleep.as_mut());
        if stop_requested {
            break StopReason::Requested;
        }
    };

    if reason == StopReason::Shutdown {
        effects.abort_all();
    } else {
        // The machine stopped on its own: effects still in flight (acks, stores)
        // finish, as an actor's futures outlive it; their events go nowhere.
        effects.detach_all();
    }
    for event in replay.into_iter().chain(deferred) {
        let _ = notices.send(Notice::Unhandled { state: machine.state_name(), event });
    }
    let _ = notices.send(Notice::Stopped { state: machine.state_name(), reason });
    machine
}

/// Arms the state's timer, due from now; the event it will raise, if the state has one.
fn arm<M: Machine>(machine: &M, sleep: Pin<&mut Sleep>) -> Option<M::Event> {
    let (after, event) = machine.timeout()?;
    sleep.reset(Instant::now() + after);
    Some(event)
}
