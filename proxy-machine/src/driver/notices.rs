//! The ordered channel of [`Notice`]s from a driven machine to its owner, batched.
//!
//! Not a tokio mpsc: that costs an atomic send and a receive per notice, and an
//! owner that reads every transition then spends more on the channel than the
//! driver spends on the event (BENCHMARKS.md, the driver's figures). Here the driver
//! collects notices in a batch of its own, with no synchronisation, and hands the
//! whole batch over under one lock, with one wake-up, whenever it is about to wait
//! for its next event and when it stops; when the batch reaches [`BATCH`] notices,
//! it hands it over and yields, so that the owner reads while a long run of queued
//! events goes on (and the batches it has read are filled again, not allocated).
//! The owner swaps the shared queue for its own empty one under one lock, and then
//! reads the notices without synchronisation. So a burst of events costs one lock on
//! each side, not two atomics per notice.
//!
//! The shared queue holds whole batches, so a flush moves no notice: an owner that
//! reads only after a long run of events takes them all at once, without the driver
//! having copied them into one queue on the way.
//!
//! The order is the driver's: one queue of batches, each taken whole. A notice waits at
//! most until the driver next waits, or for [`BATCH`] more notices: the owner of a
//! busy machine sees its notices in bursts, never out of order and never lost. A
//! receiver dropped is seen by the driver, which then stops collecting. An empty
//! queue allocates nothing.

use std::collections::VecDeque;
use std::mem;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::Notice;

/// The most notices the driver holds before handing them over without waiting
/// for a pause: the owner of a machine that never pauses still hears from it.
pub(super) const BATCH: usize = 64;

struct State<T> {
    /// Batches handed over and not taken yet, oldest first.
    queue: VecDeque<VecDeque<T>>,
    /// The owner's waker, left when it found the queue empty.
    waker: Option<Waker>,
    /// The driver is gone: once the queue is empty, nothing more comes.
    sender_gone: bool,
    /// Batches the owner has read, kept for the driver to fill again: an owner
    /// that keeps up makes the channel allocate nothing after its first batches.
    spare: Vec<VecDeque<T>>,
}

/// How many read batches wait for reuse.
const SPARE: usize = 4;

struct Shared<T> {
    state: Mutex<State<T>>,
    /// The owner dropped its end: the driver stops collecting.
    receiver_gone: AtomicBool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // No code that can panic runs under the lock, so a poisoned lock still
        // holds a consistent queue.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The driver's end: the batch it collects, and the shared queue.
pub(super) struct NoticeTx<T> {
    shared: Arc<Shared<T>>,
    batch: VecDeque<T>,
    /// The length of the last batch handed over: the next one starts with that room.
    last_len: usize,
}

/// The owner's end of a driven machine's [`Notice`] channel, which ends with
/// [`Notice::Stopped`]: [`recv`](Self::recv) returns `None` after it.
///
/// Notices come in the driver's order. They are handed over in batches (when the
/// driver waits for its next event, every 64 notices, and when it stops), so an owner
/// reading every notice pays one lock per batch rather than one per notice.
pub struct NoticeReceiver<E, O> {
    shared: Arc<Shared<Notice<E, O>>>,
    /// The batch being read.
    current: VecDeque<Notice<E, O>>,
    /// Batches taken from the shared queue, not read yet.
    taken: VecDeque<VecDeque<Notice<E, O>>>,
    /// Batches read, to give back at the next look at the shared queue.
    spent: Vec<VecDeque<Notice<E, O>>>,
}

/// Why [`NoticeReceiver::try_recv`] returned no notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// None has been handed over yet; the machine is still running.
    Empty,
    /// The machine's task is gone and every notice was read.
    Disconnected,
}

impl std::fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "no notice yet",
            TryRecvError::Disconnected => "the machine's task is gone and every notice was read",
        })
    }
}

impl std::error::Error for TryRecvError {}

/// A new channel: the driver's end and the owner's.
pub(super) fn channel<E, O>() -> (NoticeTx<Notice<E, O>>, NoticeReceiver<E, O>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            waker: None,
            sender_gone: false,
            spare: Vec::new(),
        }),
        receiver_gone: AtomicBool::new(false),
    });
    let tx = NoticeTx { shared: shared.clone(), batch: VecDeque::new(), last_len: 0 };
    (tx, NoticeReceiver { shared, current: VecDeque::new(), taken: VecDeque::new(), spent: Vec::new() })
}

impl<T> NoticeTx<T> {
    /// Whether the owner dropped its end: nothing sent is ever read.
    pub(super) fn is_closed(&self) -> bool {
        self.shared.receiver_gone.load(Ordering::Relaxed)
    }

    /// Adds `notice` to the batch.
    pub(super) fn send(&mut self, notice: T) {
        if self.is_closed() {
            return;
        }
        self.batch.push_back(notice);
    }

    /// Whether the batch holds [`BATCH`] notices: the driver then hands it over and
    /// yields, so that the owner of a machine that never waits still hears from it.
    pub(super) fn is_full(&self) -> bool {
        self.batch.len() >= BATCH
    }

    /// Hands the batch to the owner and wakes it. Called before the driver waits.
    pub(super) fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        self.last_len = self.batch.len();
        let waker = {
            let mut state = self.shared.lock();
            let fresh =
                state.spare.pop().unwrap_or_else(|| VecDeque::with_capacity(self.last_len.min(BATCH)));
            let batch = mem::replace(&mut self.batch, fresh);
            state.queue.push_back(batch);
            state.waker.take()
        };
        // Woken outside the lock, so the owner does not wake into a held lock.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Drop for NoticeTx<T> {
    /// The last batch goes out, and the owner learns that nothing follows it (also
    /// when the task is aborted or panics).
    fn drop(&mut self) {
        self.flush();
        let waker = {
            let mut state = self.shared.lock();
            state.sender_gone = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<E, O> NoticeReceiver<E, O> {
    /// The next notice, waiting for it; `None` once the machine's task is gone and
    /// every notice was read. Cancel-safe: a notice is never lost to a `select!`.
    #[inline]
    pub async fn recv(&mut self) -> Option<Notice<E, O>> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`recv`](Self::recv) as a poll.
    #[inline]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Notice<E, O>>> {
        // The batch being read first, inline: the lock and the waker only when it
        // is used up.
        if let Some(notice) = self.current.pop_front() {
            return Poll::Ready(Some(notice));
        }
        self.poll_next_batch(cx)
    }

    /// [`poll_recv`](Self::poll_recv) once the batch being read is used up.
    #[inline(never)]
    fn poll_next_batch(&mut self, cx: &mut Context<'_>) -> Poll<Option<Notice<E, O>>> {
        match self.take(Some(cx.waker())) {
            Ok(notice) => Poll::Ready(Some(notice)),
            Err(TryRecvError::Disconnected) => Poll::Ready(None),
            Err(TryRecvError::Empty) => Poll::Pending,
        }
    }

    /// The next notice if one was handed over, without waiting.
    #[inline]
    pub fn try_recv(&mut self) -> Result<Notice<E, O>, TryRecvError> {
        self.take(None)
    }

    /// Waits for notices and moves every one handed over so far into `buffer`, in
    /// order, as tokio's `recv_many` does; returns how many, 0 once the machine's
    /// task is gone and every notice was read. Cancel-safe. For an owner that reads
    /// notices in bursts, this moves a batch at a time instead of one per call.
    pub async fn recv_many(&mut self, buffer: &mut Vec<Notice<E, O>>) -> usize {
        std::future::poll_fn(|cx| self.poll_recv_many(cx, buffer)).await
    }

    /// [`recv_many`](Self::recv_many) as a poll.
    pub fn poll_recv_many(&mut self, cx: &mut Context<'_>, buffer: &mut Vec<Notice<E, O>>) -> Poll<usize> {
        let before = buffer.len();
        buffer.extend(self.current.drain(..));
        loop {
            let mut batch = match self.next_batch(Some(cx.waker())) {
                Ok(batch) => batch,
                Err(TryRecvError::Empty) if buffer.len() == before => return Poll::Pending,
                Err(_) => return Poll::Ready(buffer.len() - before),
            };
            if buffer.is_empty() {
                // The batch becomes the buffer, without moving a notice (a batch is
                // filled from its start, so this is no copy), and the buffer's room
                // goes back to the driver.
                let read = mem::replace(buffer, Vec::from(batch));
                self.give_back(VecDeque::from(read));
            } else {
                buffer.extend(batch.drain(..));
                self.give_back(batch);
            }
        }
    }

    /// The next notice; when there is none, `waker` (if any) is left for the driver,
    /// under the same lock that found the queue empty, so no flush slips between.
    fn take(&mut self, waker: Option<&Waker>) -> Result<Notice<E, O>, TryRecvError> {
        loop {
            if let Some(notice) = self.current.pop_front() {
                return Ok(notice);
            }
            let batch = self.next_batch(waker)?;
            let read = mem::replace(&mut self.current, batch);
            self.give_back(read);
        }
    }

    /// The next whole batch handed over; when there is none, `waker` (if any) is
    /// left for the driver under the same lock that found the queue empty, so no
    /// flush slips between.
    fn next_batch(&mut self, waker: Option<&Waker>) -> Result<VecDeque<Notice<E, O>>, TryRecvError> {
        if let Some(batch) = self.taken.pop_front() {
            return Ok(batch);
        }
        let mut state = self.shared.lock();
        while state.spare.len() < SPARE {
            let Some(read) = self.spent.pop() else { break };
            state.spare.push(read);
        }
        if state.queue.is_empty() {
            if state.sender_gone {
                return Err(TryRecvError::Disconnected);
            }
            if let Some(waker) = waker {
                if !state.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    state.waker = Some(waker.clone());
                }
            }
            return Err(TryRecvError::Empty);
        }
        mem::swap(&mut state.queue, &mut self.taken);
        drop(state);
        Ok(self.taken.pop_front().expect("the queue was not empty"))
    }

    /// Keeps a read batch's room for the driver to fill again, from its start
    /// (`clear` puts the ring's head back at 0: a batch filled from there becomes a
    /// `Vec` without moving a notice).
    fn give_back(&mut self, mut read: VecDeque<Notice<E, O>>) {
        if read.capacity() > 0 && self.spent.len() < SPARE {
            read.clear();
            self.spent.push(read);
        }
    }
}

impl<E, O> Drop for NoticeReceiver<E, O> {
    fn drop(&mut self) {
        self.shared.receiver_gone.store(true, Ordering::Relaxed);
        // What was handed over and never read goes now, not with the driver.
        drop(mem::take(&mut self.shared.lock().queue));
    }
}

impl<E, O> std::fmt::Debug for NoticeReceiver<E, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unread = self.current.len() + self.taken.iter().map(VecDeque::len).sum::<usize>();
        f.debug_struct("NoticeReceiver").field("unread", &unread).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use super::*;
    use crate::driver::StopReason;

    fn stopped(state: &'static str) -> Notice<(), ()> {
        Notice::Stopped { state, reason: StopReason::Terminal }
    }

    fn state_of(notice: Notice<(), ()>) -> &'static str {
        match notice {
            Notice::Stopped { state, .. } => state,
            _ => unreachable!("only Stopped is sent here"),
        }
    }

    #[test]
    fn notices_wait_in_the_batch_until_a_flush_and_keep_their_order() {
        let (mut tx, mut rx) = channel::<(), ()>();
        tx.send(stopped("a"));
        tx.send(stopped("b"));
        assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty), "not handed over yet");
        tx.flush();
        tx.send(stopped("c"));
        tx.flush();
        let got: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).map(state_of).collect();
        assert_eq!(got, ["a", "b", "c"]);
        drop(tx);
        assert_eq!(rx.try_recv().err(), Some(TryRecvError::Disconnected));
    }

    #[test]
    fn read_batches_are_filled_again() {
        let (mut tx, mut rx) = channel::<(), ()>();
        for round in 0..3 {
            for _ in 0..BATCH {
                tx.send(stopped("x"));
            }
            assert!(tx.is_full());
            tx.flush();
            assert!(!tx.is_full());
            for _ in 0..BATCH {
                assert!(rx.try_recv().is_ok(), "round {round}");
            }
            assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
        }
        // The owner gave back what it read; the driver took one to fill.
        assert!(tx.batch.capacity() >= BATCH);
        assert!(!tx.shared.lock().spare.is_empty() || !rx.spent.is_empty());
    }

    #[test]
    fn dropping_the_sender_hands_over_the_last_batch_and_wakes_the_owner() {
        let (mut tx, mut rx) = channel::<(), ()>();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(rx.poll_recv(&mut cx).is_pending());
        tx.send(stopped("last"));
        drop(tx);
        assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(Some(_))));
        assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(None)));
    }

    #[test]
    fn recv_many_takes_every_batch_in_order_and_ends_at_zero() {
        let (mut tx, mut rx) = channel::<(), ()>();
        let mut cx = Context::from_waker(Waker::noop());
        let mut buffer = Vec::new();
        assert!(rx.poll_recv_many(&mut cx, &mut buffer).is_pending());
        for name in ["a", "b"] {
            tx.send(stopped(name));
        }
        tx.flush();
        tx.send(stopped("c"));
        tx.flush();
        // One read left in the current batch is taken first.
        tx.send(stopped("d"));
        tx.flush();
        assert_eq!(rx.try_recv().map(state_of), Ok("a"));
        assert!(matches!(rx.poll_recv_many(&mut cx, &mut buffer), Poll::Ready(3)));
        assert_eq!(buffer.drain(..).map(state_of).collect::<Vec<_>>(), ["b", "c", "d"]);
        drop(tx);
        assert!(matches!(rx.poll_recv_many(&mut cx, &mut buffer), Poll::Ready(0)));
    }

    /// Any interleaving of sends, flushes, full batches, `try_recv`, `poll_recv` (whose
    /// next notice of the batch being read is taken inline), `recv_many` and the
    /// sender's drop: every notice is read exactly once and in order, nothing is
    /// read before it was handed over, and the end is seen only after the last.
    mod interleavings {
        use proptest::prelude::*;

        use super::*;

        #[derive(Clone, Debug)]
        enum Step {
            Send,
            Flush,
            TryRecv,
            PollRecv,
            RecvMany,
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                4 => Just(Step::Send),
                1 => Just(Step::Flush),
                2 => Just(Step::TryRecv),
                2 => Just(Step::PollRecv),
                1 => Just(Step::RecvMany),
            ]
        }

        fn id(notice: Notice<u32, ()>) -> u32 {
            match notice {
                Notice::Unhandled { event, .. } => event,
                _ => unreachable!("only Unhandled is sent here"),
            }
        }

        proptest! {
            #[test]
            fn every_notice_once_in_order(steps in proptest::collection::vec(step(), 0..400)) {
                let (mut tx, mut rx) = channel::<u32, ()>();
                let mut cx = Context::from_waker(Waker::noop());
                let (mut sent, mut handed_over, mut read) = (0u32, 0u32, Vec::new());
                let mut buffer = Vec::new();
                for step in steps {
                    match step {
                        Step::Send => {
                            tx.send(Notice::Unhandled { state: "s", event: sent });
                            sent += 1;
                            if tx.is_full() {
                                tx.flush();
                                handed_over = sent;
                            }
                        }
                        Step::Flush => {
                            tx.flush();
                            handed_over = sent;
                        }
                        Step::TryRecv => match rx.try_recv() {
                            Ok(notice) => read.push(id(notice)),
                            Err(error) => prop_assert_eq!(error, TryRecvError::Empty),
                        },
                        Step::PollRecv => match rx.poll_recv(&mut cx) {
                            Poll::Ready(Some(notice)) => read.push(id(notice)),
                            Poll::Ready(None) => prop_assert!(false, "the end before the sender is gone"),
                            Poll::Pending => {}
                        },
                        Step::RecvMany => {
                            if let Poll::Ready(n) = rx.poll_recv_many(&mut cx, &mut buffer) {
                                prop_assert!(n > 0);
                                read.extend(buffer.drain(..).map(id));
                            }
                        }
                    }
                    prop_assert!(read.len() as u32 <= handed_over);
                }
                drop(tx);
                loop {
                    match rx.poll_recv(&mut cx) {
                        Poll::Ready(Some(notice)) => read.push(id(notice)),
                        Poll::Ready(None) => break,
                        Poll::Pending => prop_assert!(false, "pending after the sender is gone"),
                    }
                }
                prop_assert_eq!(read, (0..sent).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn a_dropped_receiver_stops_the_collecting() {
        let (mut tx, rx) = channel::<(), ()>();
        drop(rx);
        assert!(tx.is_closed());
        tx.send(stopped("nobody"));
        assert!(tx.batch.is_empty());
    }
}
