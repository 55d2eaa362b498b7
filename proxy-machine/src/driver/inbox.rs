//! The owner's inbox: unbounded ([`spawn`](super::spawn)) or bounded
//! ([`spawn_bounded`](super::spawn_bounded)). Only the owner's events go through
//! it; the machine's own (effects' outputs, sinks) have a channel of their own, so
//! a full inbox never blocks the machine on itself.

use std::fmt;
use std::future::poll_fn;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

/// A sender to a driven machine's inbox ([`Running::inbox`](super::Running::inbox)).
/// An event it accepted is either handled or handed back as
/// [`Notice::Unhandled`](super::Notice::Unhandled).
pub struct Inbox<E>(Tx<E>);

enum Tx<E> {
    Unbounded(mpsc::UnboundedSender<E>),
    Bounded(mpsc::Sender<E>),
}

impl<E> Clone for Inbox<E> {
    fn clone(&self) -> Self {
        Inbox(match &self.0 {
            Tx::Unbounded(tx) => Tx::Unbounded(tx.clone()),
            Tx::Bounded(tx) => Tx::Bounded(tx.clone()),
        })
    }
}

impl<E> fmt::Debug for Inbox<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, closed) = match &self.0 {
            Tx::Unbounded(tx) => ("unbounded", tx.is_closed()),
            Tx::Bounded(tx) => ("bounded", tx.is_closed()),
        };
        f.debug_struct("Inbox").field("kind", &kind).field("closed", &closed).finish()
    }
}

impl<E> Inbox<E> {
    /// Puts `event` in the inbox. Fails, handing the event back, once the machine
    /// has stopped or a shutdown began, or when a bounded inbox is full.
    pub fn send(&self, event: E) -> Result<(), E> {
        match &self.0 {
            Tx::Unbounded(tx) => tx.send(event).map_err(|e| e.0),
            Tx::Bounded(tx) => tx.try_send(event).map_err(|e| match e {
                mpsc::error::TrySendError::Full(event) | mpsc::error::TrySendError::Closed(event) => event,
            }),
        }
    }

    /// Puts `event` in the inbox, waiting for room in a bounded one. Fails, handing
    /// the event back, once the machine has stopped or a shutdown began (also
    /// while waiting).
    pub async fn send_wait(&self, event: E) -> Result<(), E> {
        match &self.0 {
            Tx::Unbounded(tx) => tx.send(event).map_err(|e| e.0),
            Tx::Bounded(tx) => tx.send(event).await.map_err(|e| e.0),
        }
    }

    /// Whether the machine no longer takes events from the owner.
    pub fn is_closed(&self) -> bool {
        match &self.0 {
            Tx::Unbounded(tx) => tx.is_closed(),
            Tx::Bounded(tx) => tx.is_closed(),
        }
    }
}

/// The driver's end of the inbox.
pub(super) enum Rx<E> {
    Unbounded(mpsc::UnboundedReceiver<E>),
    Bounded(mpsc::Receiver<E>),
}

impl<E> Rx<E> {
    pub(super) fn try_recv(&mut self) -> Option<E> {
        match self {
            Rx::Unbounded(rx) => rx.try_recv().ok(),
            Rx::Bounded(rx) => rx.try_recv().ok(),
        }
    }

    /// Polled through `poll_fn`, not an `async fn`, so the `select!` in the
    /// driver's loop holds a reference rather than a future of its own.
    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<E>> {
        match self {
            Rx::Unbounded(rx) => rx.poll_recv(cx),
            Rx::Bounded(rx) => rx.poll_recv(cx),
        }
    }

    pub(super) async fn recv(&mut self) -> Option<E> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Refuses new sends; those already accepted stay to be received. After this,
    /// `recv` returns `None` only once every send that got past the closed check
    /// has landed (where `try_recv` could miss one still in progress).
    pub(super) fn close(&mut self) {
        match self {
            Rx::Unbounded(rx) => rx.close(),
            Rx::Bounded(rx) => rx.close(),
        }
    }
}

/// An unbounded inbox, or one holding at most `capacity` events.
pub(super) fn channel<E>(capacity: Option<usize>) -> (Inbox<E>, Rx<E>) {
    match capacity {
        None => {
            let (tx, rx) = mpsc::unbounded_channel();
            (Inbox(Tx::Unbounded(tx)), Rx::Unbounded(rx))
        }
        Some(capacity) => {
            let (tx, rx) = mpsc::channel(capacity);
            (Inbox(Tx::Bounded(tx)), Rx::Bounded(rx))
        }
    }
}
