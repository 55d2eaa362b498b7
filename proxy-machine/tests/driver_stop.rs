//! The driver's contract at the end of a machine's life: events still in the inbox
//! when it stops come back as `Unhandled`, in order; `shutdown` with a grace lets
//! in-flight effects finish and then hands back what the machine holds; an effect
//! panic becomes an event the table handles. Time-dependent tests run on tokio's
//! paused clock.

mod common;
use common::{drain, settle};

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::Duration;

use proxy_machine::driver::NoticeReceiver;
use proxy_machine::driver::{self, Driven, Effects, Notice, StopReason};
use proxy_machine::lifecycle;
use tokio::time::Instant;

/// The worker's context.
#[derive(Default)]
pub struct WorkerCx {
    effects: Effects<WorkerEvent, String>,
    /// How long a job's effect works.
    work: Duration,
    /// The job's effect sends `Progress` through its sink, then panics.
    panics: bool,
    /// The job's effect is spawned with `on_panic(Failed)`.
    on_panic: bool,
    /// `shutdown_event` is `Drain`.
    drain_on_shutdown: bool,
    /// The job in hand.
    held: Option<u32>,
    /// How many jobs' effects ran to their end.
    completed: Arc<AtomicUsize>,
}

lifecycle! {
    /// A worker that takes one job at a time (deferring the next), can drain on
    /// shutdown, and gives up draining after 10 s.
    pub machine Worker {
        context: WorkerCx;
        initial: Idle;
        terminal: [Done];
        states { Idle, Busy(u32), Draining(u32), Done }
        events { Job(u32), Progress, Finished, Failed, Drain, Quit, Tick }
        transitions {
            Idle + Job => Busy,
            Busy + Progress => Busy,
            Busy + Finished => Idle,
            Busy + Failed => Idle,
            Busy + Drain => Draining,
            Busy + Quit => Busy,
            Draining + Finished => Done,
            Draining + Tick => Done,
            Idle + Drain => Done,
        }
        timeouts { Draining after Duration::from_secs(10) => Tick }
        defer { Busy: [Job] }
    }
}

impl WorkerHandlers for WorkerCx {
    fn idle_job(&mut self, event: u32) -> u32 {
        self.held = Some(event);
        self.effects.emit(format!("took {event}"));
        let (work, panics, completed) = (self.work, self.panics, self.completed.clone());
        let spawned = self.effects.spawn_with(move |sink| async move {
            if panics {
                sink.send(WorkerEvent::Progress);
            }
            tokio::time::sleep(work).await;
            assert!(!panics, "a backend bug");
            completed.fetch_add(1, Ordering::SeqCst);
            WorkerEvent::Finished
        });
        if self.on_panic {
            spawned.on_panic(WorkerEvent::Failed);
        }
        event
    }
    fn busy_progress(&mut self, state: u32) -> u32 {
        self.effects.emit(format!("progress {state}"));
        state
    }
    fn busy_finished(&mut self, state: u32) {
        self.held = None;
        self.effects.emit(format!("finished {state}"));
    }
    fn busy_failed(&mut self, state: u32) {
        self.held = None;
        self.effects.emit(format!("failed {state}"));
    }
    fn busy_drain(&mut self, state: u32) -> u32 {
        self.effects.emit(format!("draining {state}"));
        state
    }
    fn busy_quit(&mut self, state: u32) -> u32 {
        self.effects.stop();
        state
    }
    fn draining_finished(&mut self, state: u32) {
        self.held = None;
        self.effects.emit(format!("finished {state}"));
    }
    fn draining_tick(&mut self, state: u32) {
        self.held = None;
        self.effects.emit(format!("gave up draining, handing back {state}"));
    }
    fn idle_drain(&mut self) {
        self.effects.emit("drained".into());
    }
}

impl Driven for WorkerAny {
    type Output = String;
    fn effects(context: &mut WorkerCx) -> &mut Effects<WorkerEvent, String> {
        &mut context.effects
    }
    fn shutdown_event(&self) -> Option<WorkerEvent> {
        self.context().drain_on_shutdown.then_some(WorkerEvent::Drain)
    }
    fn abandon(&mut self) {
        let cx = self.context_mut();
        if let Some(job) = cx.held.take() {
            cx.effects.emit(format!("handing back {job}"));
        }
        // Not a message: dropped, never handled.
        cx.effects.raise(WorkerEvent::Finished);
    }
}

fn worker(cx: WorkerCx) -> WorkerAny {
    WorkerAny::from(Worker::new(cx))
}

fn describe(event: &WorkerEvent) -> String {
    match event {
        WorkerEvent::Job(job) => format!("Job({job})"),
        other => other.name().to_string(),
    }
}

/// Polls `future` once, without letting any other task run: a shutdown's signal is
/// sent then, before the driver sees what is in its inbox.
fn poll_once<F: Future + Unpin>(future: &mut F) {
    let pending = Pin::new(future).poll(&mut Context::from_waker(Waker::noop())).is_pending();
    assert!(pending, "the machine cannot have stopped yet");
}

#[tokio::test(start_paused = true)]
async fn events_queued_behind_a_terminal_event_come_back_unhandled_in_order() {
    let start = Instant::now();
    let (running, mut notices) = driver::spawn(worker(WorkerCx::default()));
    // All accepted before the machine runs: Drain ends it, the jobs are still queued.
    running.send(WorkerEvent::Drain).unwrap();
    for job in 1..=3 {
        running.send(WorkerEvent::Job(job)).unwrap();
    }
    let machine = running.join().await.unwrap();
    assert_eq!(machine.state_name(), "Done");
    assert_eq!(
        drain(&mut notices, start, describe),
        [
            "drained",
            "Idle -Drain-> Done @0s",
            "unhandled Job(1) in Done",
            "unhandled Job(2) in Done",
            "unhandled Job(3) in Done",
            "stopped in Done: Terminal"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_requested_stop_hands_back_deferred_events_then_the_inbox() {
    let start = Instant::now();
    let cx = WorkerCx { work: Duration::from_secs(60), ..WorkerCx::default() };
    let (running, mut notices) = driver::spawn(worker(cx));
    running.send(WorkerEvent::Job(1)).unwrap();
    running.send(WorkerEvent::Job(2)).unwrap(); // deferred by Busy
    running.send(WorkerEvent::Quit).unwrap(); // Effects::stop
    running.send(WorkerEvent::Job(3)).unwrap(); // still in the inbox
    let machine = running.join().await.unwrap();
    assert_eq!(machine.state_name(), "Busy");
    assert_eq!(
        drain(&mut notices, start, describe),
        [
            "took 1",
            "Idle -Job-> Busy @0s",
            "unhandled Job(2) in Busy",
            "unhandled Job(3) in Busy",
            "stopped in Busy: Requested"
        ]
    );
}

/// The racing machine's context.
#[derive(Default)]
pub struct TallyCx {
    effects: Effects<TallyEvent, u32>,
    seen: u32,
}

lifecycle! {
    /// Takes items and stops on its own after `TALLY_LIMIT` of them.
    pub machine Tally {
        context: TallyCx;
        initial: Open;
        terminal: [];
        states { Open }
        events { Item(u32) }
        transitions { Open + Item => Open }
    }
}

/// How many items the tally handles before it stops itself.
const TALLY_LIMIT: u32 = 50;

impl TallyHandlers for TallyCx {
    fn open_item(&mut self, event: u32) {
        self.effects.emit(event);
        self.seen += 1;
        if self.seen == TALLY_LIMIT {
            self.effects.stop();
        }
    }
}

impl Driven for TallyAny {
    type Output = u32;
    fn effects(context: &mut TallyCx) -> &mut Effects<TallyEvent, u32> {
        &mut context.effects
    }
}

/// Senders racing with a machine that stops on its own: every item is refused,
/// handled, or handed back, once. With `capacity`, a bounded inbox and senders that
/// wait for room.
async fn race(capacity: Option<usize>) {
    const SENDERS: u32 = 4;
    const PER_SENDER: u32 = 100;
    for round in 0..20 {
        let tally = TallyAny::from(Tally::new(TallyCx::default()));
        let (running, mut notices) = match capacity {
            None => driver::spawn(tally),
            Some(capacity) => driver::spawn_bounded(tally, capacity),
        };
        let barrier = Arc::new(tokio::sync::Barrier::new(SENDERS as usize));
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let inbox = running.inbox();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    let mut refused = Vec::new();
                    for i in 0..PER_SENDER {
                        let item = TallyEvent::Item(s * PER_SENDER + i);
                        if let Err(TallyEvent::Item(n)) = inbox.send_wait(item).await {
                            refused.push(n);
                        }
                    }
                    refused
                })
            })
            .collect();
        let mut refused = Vec::new();
        for sender in senders {
            refused.extend(sender.await.unwrap());
        }
        let (mut handled, mut unhandled) = (Vec::new(), Vec::new());
        while let Some(notice) = notices.recv().await {
            match notice {
                Notice::Message(n) => handled.push(n),
                Notice::Unhandled { event: TallyEvent::Item(n), .. } => unhandled.push(n),
                Notice::Stopped { reason, .. } => assert_eq!(reason, StopReason::Requested),
                other => panic!("unexpected {other:?}"),
            }
        }
        let _machine = running.join().await.unwrap();
        assert_eq!(handled.len(), TALLY_LIMIT as usize, "round {round}");
        let all: BTreeSet<u32> = handled.iter().chain(&unhandled).chain(&refused).copied().collect();
        assert_eq!(
            handled.len() + unhandled.len() + refused.len(),
            all.len(),
            "round {round}: an item counted twice"
        );
        assert_eq!(
            all.len(),
            (SENDERS * PER_SENDER) as usize,
            "round {round}: {} items accepted and lost",
            (SENDERS * PER_SENDER) as usize - all.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_racing_with_the_stop_fails_or_comes_back_unhandled() {
    race(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_waiting_on_a_bounded_inbox_fails_or_comes_back_unhandled_at_the_stop() {
    race(Some(8)).await;
}

fn tally_notices(notices: &mut NoticeReceiver<TallyEvent, u32>) -> Vec<String> {
    let mut seen = Vec::new();
    while let Ok(notice) = notices.try_recv() {
        seen.push(match notice {
            Notice::Message(n) => format!("item {n}"),
            Notice::Unhandled { event: TallyEvent::Item(n), state } => format!("unhandled {n} in {state}"),
            other => format!("{other:?}"),
        });
    }
    seen
}

#[tokio::test(start_paused = true)]
async fn a_full_bounded_inbox_refuses_a_send_and_send_wait_waits_for_room() {
    let (running, mut notices) = driver::spawn_bounded(TallyAny::from(Tally::new(TallyCx::default())), 2);
    running.send(TallyEvent::Item(1)).unwrap();
    running.send(TallyEvent::Item(2)).unwrap();
    assert!(matches!(running.send(TallyEvent::Item(3)), Err(TallyEvent::Item(3))), "full");
    let inbox = running.inbox();
    let waiter = tokio::spawn(async move { inbox.send_wait(TallyEvent::Item(3)).await });
    settle().await;
    assert!(waiter.await.unwrap().is_ok());
    settle().await;
    assert_eq!(tally_notices(&mut notices), ["item 1", "item 2", "item 3"]);
    let _machine = running.shutdown(Duration::ZERO).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_send_waiting_for_room_fails_once_a_shutdown_begins() {
    let (running, mut notices) = driver::spawn_bounded(TallyAny::from(Tally::new(TallyCx::default())), 1);
    running.send(TallyEvent::Item(0)).unwrap();
    let inbox = running.inbox();
    let waiter = tokio::spawn(async move { inbox.send_wait(TallyEvent::Item(1)).await });
    let mut stopping = Box::pin(running.shutdown(Duration::from_secs(5)));
    poll_once(&mut stopping);
    let _machine = stopping.await.unwrap();
    assert!(matches!(waiter.await.unwrap(), Err(TallyEvent::Item(1))));
    assert_eq!(
        tally_notices(&mut notices),
        ["unhandled 0 in Open", "Stopped { state: \"Open\", reason: Shutdown }"]
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_hands_back_the_inbox_at_once_and_lets_an_effect_finish_within_the_grace() {
    let start = Instant::now();
    let cx = WorkerCx { work: Duration::from_secs(1), on_panic: true, ..WorkerCx::default() };
    let completed = cx.completed.clone();
    let (running, mut notices) = driver::spawn(worker(cx));
    let inbox = running.inbox();
    running.send(WorkerEvent::Job(1)).unwrap();
    settle().await;
    running.send(WorkerEvent::Job(7)).unwrap();
    running.send(WorkerEvent::Job(8)).unwrap();
    let mut stopping = Box::pin(running.shutdown(Duration::from_secs(10)));
    poll_once(&mut stopping);
    settle().await;
    assert!(inbox.send(WorkerEvent::Job(9)).is_err(), "the inbox is closed at once");
    assert_eq!(
        drain(&mut notices, start, describe),
        ["took 1", "Idle -Job-> Busy @0s", "unhandled Job(7) in Busy", "unhandled Job(8) in Busy"]
    );
    let machine = stopping.await.unwrap();
    // Once the effect's event was handled nothing could happen: no need to wait out the grace.
    assert_eq!(Instant::now() - start, Duration::from_secs(1));
    assert_eq!(machine.state_name(), "Idle");
    assert_eq!(completed.load(Ordering::SeqCst), 1);
    assert_eq!(
        drain(&mut notices, start, describe),
        ["finished 1", "Busy -Finished-> Idle @1s", "stopped in Idle: Shutdown"]
    );
}

#[tokio::test(start_paused = true)]
async fn an_effect_that_outlasts_the_grace_is_aborted_and_abandon_hands_back_its_job() {
    let start = Instant::now();
    let cx = WorkerCx { work: Duration::from_secs(60), ..WorkerCx::default() };
    let completed = cx.completed.clone();
    let (running, mut notices) = driver::spawn(worker(cx));
    running.send(WorkerEvent::Job(1)).unwrap();
    running.send(WorkerEvent::Job(2)).unwrap(); // deferred by Busy
    settle().await;
    let machine = running.shutdown(Duration::from_secs(5)).await.unwrap();
    assert_eq!(Instant::now() - start, Duration::from_secs(5));
    assert_eq!(machine.state_name(), "Busy");
    assert_eq!(machine.context().held, None, "abandon handed it back");
    assert_eq!(
        drain(&mut notices, start, describe),
        [
            "took 1",
            "Idle -Job-> Busy @0s",
            "handing back 1",
            "unhandled Job(2) in Busy",
            "stopped in Busy: Shutdown"
        ]
    );
    assert!(notices.recv().await.is_none(), "nothing after Stopped");
    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(completed.load(Ordering::SeqCst), 0, "the effect was aborted");
}

/// A worker busy with job 1 for 2 s, shut down by `shutdown` with a 5 s grace: it
/// drains, finishes the job and stops on its own at 2 s.
async fn drains_within_the_grace<F, S>(cx: WorkerCx, shutdown: S)
where
    S: FnOnce(driver::Running<WorkerAny>, Duration) -> F,
    F: Future<Output = Result<WorkerAny, tokio::task::JoinError>>,
{
    let start = Instant::now();
    let (running, mut notices) = driver::spawn(worker(WorkerCx { work: Duration::from_secs(2), ..cx }));
    running.send(WorkerEvent::Job(1)).unwrap();
    settle().await;
    let machine = shutdown(running, Duration::from_secs(5)).await.unwrap();
    assert_eq!(Instant::now() - start, Duration::from_secs(2));
    assert_eq!(machine.state_name(), "Done");
    assert_eq!(
        drain(&mut notices, start, describe),
        [
            "took 1",
            "Idle -Job-> Busy @0s",
            "draining 1",
            "Busy -Drain-> Draining @0s",
            "finished 1",
            "Draining -Finished-> Done @2s",
            "stopped in Done: Terminal"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_shutdown_event_is_handled_first_and_the_machine_may_stop_on_its_own_within_the_grace() {
    let cx = WorkerCx { drain_on_shutdown: true, ..WorkerCx::default() };
    drains_within_the_grace(cx, |running, grace| running.shutdown(grace)).await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_with_handles_the_owners_event_in_place_of_the_machines() {
    // The machine's own shutdown event is none (it would end in Idle); the owner
    // asks it to drain instead.
    drains_within_the_grace(WorkerCx::default(), |running, grace| {
        running.shutdown_with(grace, WorkerEvent::Drain)
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn timers_run_during_the_grace() {
    let start = Instant::now();
    let cx = WorkerCx { work: Duration::from_secs(60), drain_on_shutdown: true, ..WorkerCx::default() };
    let (running, mut notices) = driver::spawn(worker(cx));
    running.send(WorkerEvent::Job(1)).unwrap();
    settle().await;
    let machine = running.shutdown(Duration::from_secs(30)).await.unwrap();
    assert_eq!(Instant::now() - start, Duration::from_secs(10));
    assert_eq!(machine.state_name(), "Done");
    assert_eq!(
        drain(&mut notices, start, describe),
        [
            "took 1",
            "Idle -Job-> Busy @0s",
            "draining 1",
            "Busy -Drain-> Draining @0s",
            "gave up draining, handing back 1",
            "Draining -Tick-> Done @10s",
            "stopped in Done: Terminal"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_zero_grace_stops_at_once_skipping_the_shutdown_event_but_still_hands_back() {
    let start = Instant::now();
    let cx = WorkerCx { work: Duration::from_secs(60), drain_on_shutdown: true, ..WorkerCx::default() };
    let (running, mut notices) = driver::spawn(worker(cx));
    running.send(WorkerEvent::Job(1)).unwrap();
    running.send(WorkerEvent::Job(2)).unwrap(); // deferred by Busy
    settle().await;
    running.send(WorkerEvent::Job(3)).unwrap(); // still in the inbox
    let machine = running.shutdown(Duration::ZERO).await.unwrap();
    assert_eq!(Instant::now(), start);
    assert_eq!(machine.state_name(), "Busy");
    assert_eq!(
        drain(&mut notices, start, describe),
        [
            "took 1",
            "Idle -Job-> Busy @0s",
            "unhandled Job(3) in Busy",
            "handing back 1",
            "unhandled Job(2) in Busy",
            "stopped in Busy: Shutdown"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_panicking_effect_with_on_panic_reaches_the_state_the_table_names() {
    let start = Instant::now();
    let cx = WorkerCx { work: Duration::from_secs(1), panics: true, on_panic: true, ..WorkerCx::default() };
    let (running, mut notices) = driver::spawn(worker(cx));
    running.send(WorkerEvent::Job(1)).unwrap();
    settle().await;
    tokio::time::advance(Duration::from_secs(1)).await;
    settle().await;
    assert_eq!(
        drain(&mut notices, start, describe),
        [
            "took 1",
            "Idle -Job-> Busy @0s",
            "progress 1", // sent through the sink before the panic: handled first
            "panic in Busy",
            "failed 1",
            "Busy -Failed-> Idle @1s"
        ]
    );
    let machine = running.shutdown(Duration::ZERO).await.unwrap();
    assert_eq!(machine.state_name(), "Idle");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_effect_without_on_panic_leaves_the_machine_where_it_was() {
    let start = Instant::now();
    let cx = WorkerCx { work: Duration::from_secs(1), panics: true, ..WorkerCx::default() };
    let (running, mut notices) = driver::spawn(worker(cx));
    running.send(WorkerEvent::Job(1)).unwrap();
    settle().await;
    tokio::time::advance(Duration::from_secs(1)).await;
    settle().await;
    assert_eq!(
        drain(&mut notices, start, describe),
        ["took 1", "Idle -Job-> Busy @0s", "progress 1", "panic in Busy"]
    );
    let machine = running.shutdown(Duration::ZERO).await.unwrap();
    assert_eq!(machine.state_name(), "Busy");
}
