//! The async driver on a machine that is not a container: timers, re-arming,
//! deferral and replay, effects whose results come back as events, ordering of
//! messages before transitions, unhandled events handed back, shutdown. All on
//! tokio's paused clock.

mod common;
use common::{drain, settle};

use std::time::Duration;

use proxy_machine::driver::{self, Driven, Effects, Notice, StopReason};
use proxy_machine::lifecycle;
use tokio::time::{advance, Instant};

/// The job's context.
#[derive(Default)]
pub struct JobCx {
    effects: Effects<JobEvent, String>,
    /// How long a finished job stays busy after its work, for the `Start(work)` effect.
    work: Duration,
}

lifecycle! {
    /// A job that works for a while, may be cancelled (deferred while busy), and
    /// gives up when idle in `Busy` for 5 s.
    pub machine Job {
        context: JobCx;
        initial: Idle;
        terminal: [Done];
        states { Idle, Busy(u32), Done }
        events { Start(u32), Finish, Ping, Tick, Cancel, Poke }
        transitions {
            Idle + Start => Busy,
            Busy + Finish => Idle,
            Busy + Ping => Busy,
            Busy + Tick => Idle,
            Idle + Cancel => Done,
        }
        timeouts { Busy after Duration::from_secs(5) => Tick }
        defer { Busy: [Cancel] }
    }
}

impl JobHandlers for JobCx {
    fn idle_start(&mut self, event: u32) -> u32 {
        self.effects.emit(format!("started {event}"));
        if !self.work.is_zero() {
            let work = self.work;
            self.effects.spawn(async move {
                tokio::time::sleep(work).await;
                JobEvent::Finish
            });
        }
        event
    }
    fn busy_finish(&mut self, state: u32) {
        self.effects.emit(format!("finished {state}"));
    }
    fn busy_ping(&mut self, state: u32) -> u32 {
        state
    }
    fn busy_tick(&mut self, state: u32) {
        self.effects.emit(format!("gave up on {state}"));
    }
    fn idle_cancel(&mut self) {
        self.effects.emit("cancelled".into());
    }
}

impl Driven for JobAny {
    type Output = String;
    fn effects(context: &mut JobCx) -> &mut Effects<JobEvent, String> {
        &mut context.effects
    }
}

fn name(event: &JobEvent) -> String {
    event.name().to_string()
}

fn job(work: Duration) -> JobAny {
    JobAny::from(Job::new(JobCx { work, ..JobCx::default() }))
}

#[tokio::test(start_paused = true)]
async fn the_state_timer_fires_after_its_duration() {
    let start = Instant::now();
    let (running, mut notices) = driver::spawn(job(Duration::ZERO));
    running.send(JobEvent::Start(1)).unwrap();
    settle().await;
    advance(Duration::from_millis(4_999)).await;
    settle().await;
    assert_eq!(drain(&mut notices, start, name), ["started 1", "Idle -Start-> Busy @0s"]);
    advance(Duration::from_millis(1)).await;
    settle().await;
    assert_eq!(drain(&mut notices, start, name), ["gave up on 1", "Busy -Tick-> Idle @5s"]);
    let _stopped = running.shutdown(Duration::ZERO).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn every_event_handled_in_the_state_re_arms_its_timer() {
    let start = Instant::now();
    let (running, mut notices) = driver::spawn(job(Duration::ZERO));
    running.send(JobEvent::Start(2)).unwrap();
    settle().await;
    advance(Duration::from_secs(3)).await;
    running.send(JobEvent::Ping).unwrap(); // a self-loop: stays in Busy, restarts the 5 s
    settle().await;
    advance(Duration::from_secs(4)).await;
    settle().await;
    assert_eq!(drain(&mut notices, start, name), ["started 2", "Idle -Start-> Busy @0s"]);
    advance(Duration::from_secs(1)).await;
    settle().await;
    assert_eq!(drain(&mut notices, start, name), ["gave up on 2", "Busy -Tick-> Idle @8s"]);
    let _stopped = running.shutdown(Duration::ZERO).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn effects_come_back_as_events_and_messages_precede_their_transition() {
    let start = Instant::now();
    let (running, mut notices) = driver::spawn(job(Duration::from_secs(2)));
    running.send(JobEvent::Start(3)).unwrap();
    settle().await;
    advance(Duration::from_secs(2)).await;
    settle().await;
    assert_eq!(
        drain(&mut notices, start, name),
        ["started 3", "Idle -Start-> Busy @0s", "finished 3", "Busy -Finish-> Idle @2s"]
    );
    let _stopped = running.shutdown(Duration::ZERO).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn deferred_events_are_replayed_once_the_state_changes() {
    let start = Instant::now();
    let (running, mut notices) = driver::spawn(job(Duration::from_secs(1)));
    running.send(JobEvent::Start(4)).unwrap();
    running.send(JobEvent::Cancel).unwrap(); // Busy defers it
    settle().await;
    assert_eq!(drain(&mut notices, start, name), ["started 4", "Idle -Start-> Busy @0s"]);
    advance(Duration::from_secs(1)).await;
    settle().await;
    assert_eq!(
        drain(&mut notices, start, name),
        [
            "finished 4",
            "Busy -Finish-> Idle @1s",
            "cancelled",
            "Idle -Cancel-> Done @1s",
            "stopped in Done: Terminal"
        ]
    );
    let machine = running.join().await.unwrap();
    assert_eq!(machine.state_name(), "Done");
}

#[tokio::test(start_paused = true)]
async fn an_unhandled_event_is_handed_back_and_changes_nothing() {
    let start = Instant::now();
    let (running, mut notices) = driver::spawn(job(Duration::ZERO));
    running.send(JobEvent::Poke).unwrap();
    running.send(JobEvent::Finish).unwrap();
    settle().await;
    assert_eq!(drain(&mut notices, start, name), ["unhandled Poke in Idle", "unhandled Finish in Idle"]);
    let machine = running.shutdown(Duration::ZERO).await.unwrap();
    assert_eq!(machine.state_name(), "Idle");
}

#[tokio::test(start_paused = true)]
async fn shutdown_hands_back_deferred_events_and_returns_the_machine() {
    let start = Instant::now();
    let (running, mut notices) = driver::spawn(job(Duration::from_secs(60)));
    running.send(JobEvent::Start(5)).unwrap();
    running.send(JobEvent::Cancel).unwrap();
    settle().await;
    let machine = running.shutdown(Duration::ZERO).await.unwrap();
    assert_eq!(machine.state_name(), "Busy");
    assert_eq!(
        drain(&mut notices, start, name),
        ["started 5", "Idle -Start-> Busy @0s", "unhandled Cancel in Busy", "stopped in Busy: Shutdown"]
    );
    // The channel is closed: nothing arrives after `Stopped`.
    assert!(notices.recv().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn observers_see_every_transition_including_self_loops() {
    let (running, _notices) = driver::spawn(job(Duration::ZERO));
    let mut observer = running.subscribe();
    running.send(JobEvent::Start(6)).unwrap();
    running.send(JobEvent::Ping).unwrap();
    settle().await;
    let first = observer.recv().await.unwrap();
    let second = observer.recv().await.unwrap();
    assert_eq!((first.machine, first.from, first.event, first.to), ("Job", "Idle", "Start", "Busy"));
    assert_eq!((second.from, second.event, second.to), ("Busy", "Ping", "Busy"));
    assert!(!second.changed_state());
    let _stopped = running.shutdown(Duration::ZERO).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn dropping_every_sender_stops_an_idle_machine() {
    let (running, mut notices) = driver::spawn(job(Duration::ZERO));
    let machine = running.join().await.unwrap();
    assert_eq!(machine.state_name(), "Idle");
    let mut last = None;
    while let Some(notice) = notices.recv().await {
        last = Some(notice);
    }
    assert!(matches!(last, Some(Notice::Stopped { reason: StopReason::InboxClosed, .. })));
}

/// The relay's context.
#[derive(Default)]
pub struct RelayCx {
    effects: Effects<RelayEvent, String>,
}

lifecycle! {
    /// Reports progress through an event sink, and raises an event for itself.
    pub machine Relay {
        context: RelayCx;
        initial: Idle;
        terminal: [Finished];
        states { Idle, Working, Finished }
        events { Begin, Progress(u32), End }
        transitions {
            Idle + Begin => Working,
            Working + Progress => Working,
            Working + End => Finished,
        }
    }
}

impl RelayHandlers for RelayCx {
    fn idle_begin(&mut self) {
        self.effects.raise(RelayEvent::Progress(0));
        self.effects.spawn_with(|sink| async move {
            sink.send(RelayEvent::Progress(1));
            tokio::time::sleep(Duration::from_secs(1)).await;
            sink.send(RelayEvent::Progress(2));
            RelayEvent::End
        });
    }
    fn working_progress(&mut self, event: u32) {
        self.effects.emit(format!("progress {event}"));
    }
    fn working_end(&mut self) {
        self.effects.emit("end".into());
    }
}

impl Driven for RelayAny {
    type Output = String;
    fn effects(context: &mut RelayCx) -> &mut Effects<RelayEvent, String> {
        &mut context.effects
    }
}

#[tokio::test(start_paused = true)]
async fn raised_events_come_first_and_sinks_report_progress_before_the_result() {
    let (running, mut notices) = driver::spawn(RelayAny::from(Relay::new(RelayCx::default())));
    running.send(RelayEvent::Begin).unwrap();
    let mut seen = Vec::new();
    while let Some(notice) = notices.recv().await {
        seen.push(match notice {
            Notice::Message(m) => m,
            Notice::Transition(t) => format!("{} -> {}", t.from, t.to),
            other => format!("{other:?}"),
        });
    }
    assert_eq!(
        seen,
        [
            "Idle -> Working",
            "progress 0",
            "progress 1",
            "progress 2",
            "end",
            "Working -> Finished",
            "Stopped { state: \"Finished\", reason: Terminal }"
        ]
    );
    let _stopped = running.join().await.unwrap();
}

/// A long run of queued events on a multi-threaded runtime, the owner reading as
/// the driver goes: the notices come in batches, yet each message and transition
/// exactly once and in the driver's order, `Stopped` last, whatever the batches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_burst_reaches_a_concurrent_owner_in_order_and_complete() {
    const ROUNDS: u32 = 2_000;
    let (running, mut notices) = driver::spawn(job(Duration::ZERO));
    let owner = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(notice) = notices.recv().await {
            seen.push(match notice {
                Notice::Message(message) => message,
                Notice::Transition(t) => format!("{} -> {}", t.from, t.to),
                Notice::Stopped { .. } => "stopped".to_owned(),
                other => panic!("unexpected {other:?}"),
            });
        }
        seen
    });
    for round in 0..ROUNDS {
        running.send(JobEvent::Start(round)).unwrap();
        running.send(JobEvent::Finish).unwrap();
    }
    running.send(JobEvent::Cancel).unwrap();
    let machine = running.join().await.unwrap();
    assert_eq!(machine.state_name(), "Done");
    let seen = owner.await.unwrap();
    let mut expected = Vec::new();
    for round in 0..ROUNDS {
        expected.push(format!("started {round}"));
        expected.push("Idle -> Busy".to_owned());
        expected.push(format!("finished {round}"));
        expected.push("Busy -> Idle".to_owned());
    }
    expected.push("cancelled".to_owned());
    expected.push("Idle -> Done".to_owned());
    expected.push("stopped".to_owned());
    let first = seen.iter().zip(&expected).position(|(a, b)| a != b);
    assert!(
        seen == expected,
        "first difference at {first:?}: {:?}",
        first.map(|i| &seen[i.saturating_sub(2)..i + 3])
    );
}
