//! The machine's own channel: effects' outputs, [`EventSink`](super::EventSink)
//! sends and panic events, apart from the owner's inbox.
//!
//! Not a tokio mpsc: that allocates a block of 32 event slots up front, resident
//! once effects use it (measured with the proxy-core warm bench: 13,561 -> 16,993
//! bytes per warm container proxy), while this queue holds only what is in flight,
//! usually one or two events (13,940 bytes).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};

/// The queue and the driver's waker, under one lock so that a send cannot slip
/// between the driver finding the queue empty and leaving its waker.
struct State<E> {
    queue: VecDeque<E>,
    waker: Option<Waker>,
}

struct Shared<E>(Mutex<State<E>>);

impl<E> Shared<E> {
    fn lock(&self) -> MutexGuard<'_, State<E>> {
        // No code that can panic runs under the lock, so a poisoned lock still
        // holds a consistent queue.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
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
        let waker = {
            let mut state = shared.lock();
            state.queue.push_back(event);
            state.waker.take()
        };
        // Woken outside the lock, so the driver does not wake into a held lock.
        if let Some(waker) = waker {
            waker.wake();
        }
        true
    }
}

impl<E> Own<E> {
    pub(super) fn new() -> Self {
        Own(Arc::new(Shared(Mutex::new(State { queue: VecDeque::new(), waker: None }))))
    }

    pub(super) fn sender(&self) -> OwnTx<E> {
        OwnTx(Arc::downgrade(&self.0))
    }

    /// Queues an event of the driver's own (a panic event), behind those already
    /// queued; the driver knows to look, so no one is woken.
    pub(super) fn push(&self, event: E) {
        self.0.lock().queue.push_back(event);
    }

    pub(super) fn try_recv(&self) -> Option<E> {
        self.0.lock().queue.pop_front()
    }

    /// The next event, or the driver's waker left to be woken by the next send.
    /// Taken only when returned, so cancel safe; a poll function rather than an
    /// `async fn`, so the `select!` in the driver's loop holds only a reference.
    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<E> {
        let mut state = self.0.lock();
        match state.queue.pop_front() {
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
