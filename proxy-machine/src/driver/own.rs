//! The machine's own channel: effects' outputs, [`EventSink`](super::EventSink)
//! sends and panic events, apart from the owner's inbox.
//!
//! Not a tokio mpsc: that allocates a block of 32 event slots up front, resident
//! once effects use it (measured with the proxy-core warm bench: 13,561 -> 16,993
//! bytes per warm container proxy), while this queue holds only what is in flight,
//! usually one or two events (13,940 bytes).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};

/// The queue and the driver's waker, under one lock so that a send cannot slip
/// between the driver finding the queue empty and leaving its waker.
struct State<E> {
    queue: VecDeque<E>,
    waker: Option<Waker>,
}

struct Shared<E> {
    state: Mutex<State<E>>,
    /// The queue's length, kept under the lock and read without it: the driver
    /// looks here before every owner event while an effect is in flight, and the
    /// queue is nearly always empty then.
    len: AtomicUsize,
}

impl<E> Shared<E> {
    fn lock(&self) -> MutexGuard<'_, State<E>> {
        // No code that can panic runs under the lock, so a poisoned lock still
        // holds a consistent queue.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, event: E) -> Option<Waker> {
        let mut state = self.lock();
        state.queue.push_back(event);
        self.len.store(state.queue.len(), Ordering::Release);
        state.waker.take()
    }

    fn pop(&self, state: &mut State<E>) -> Option<E> {
        let event = state.queue.pop_front()?;
        self.len.store(state.queue.len(), Ordering::Release);
        Some(event)
    }
}

/// The driver's end. It holds the only strong reference: once the driver is gone,
/// every send fails.
pub(super) struct Own<E>(Arc<Shared<E>>);

/// A sender to the machine's own channel; it does not keep the channel alive.
pub(super) struct OwnTx<E>(Weak<Shared<E>>);

impl<E> Clone for OwnTx<E> {
    fn clone(&self) -> Self {
        OwnTx(self.0.clone())
    }
}

impl<E> OwnTx<E> {
    /// Queues `event`; `false` if the machine has stopped.
    pub(super) fn send(&self, event: E) -> bool {
        let Some(shared) = self.0.upgrade() else {
            return false;
        };
        let waker = shared.push(event);
        // Woken outside the lock, so the driver does not wake into a held lock.
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }
}

impl<E> Own<E> {
    pub(super) fn new() -> Self {
        Own(Arc::new(Shared {
            state: Mutex::new(State { queue: VecDeque::new(), waker: None }),
            len: AtomicUsize::new(0),
        }))
    }

    pub(super) fn sender(&self) -> OwnTx<E> {
        OwnTx(Arc::downgrade(&self.0))
    }

    /// Queues an event of the driver's own (a panic event), behind those already
    /// queued; the driver knows to look, so no one is woken.
    pub(super) fn push(&self, event: E) {
        // A waker left there is the driver's own; `poll_recv` leaves it again when
        // it next finds the queue empty.
        let _ = self.0.push(event);
    }

    /// The next event if one is queued. A send still in progress may be missed;
    /// `poll_recv`, which looks under the lock, will see it.
    pub(super) fn try_recv(&self) -> Option<E> {
        if self.0.len.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.0.pop(&mut self.0.lock())
    }

    /// The next event, or the driver's waker left to be woken by the next send.
    /// Taken only when returned, so cancel safe; a poll function rather than an
    /// `async fn`, so the `select!` in the driver's loop holds only a reference.
    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<E> {
        let mut state = self.0.lock();
        match self.0.pop(&mut state) {
            Some(event) => Poll::Ready(event),
            None => {
                if !state.waker.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
                    state.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }
}
