//! The jobs a proxy holds, each an obligation: a job the proxy accepted ends exactly
//! once, either stored (its activation acknowledged and stored) or handed back to
//! the parent. Both consume the [`Job`], so move semantics forbid doing both, and a
//! job dropped without either is counted in [`lost_jobs`], logged, and (in debug
//! builds) fails an assertion: a lost job is a bug the tests see, not silence.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use super::super::activation::{AckKind, Activation};
use super::super::job::Run;

/// Jobs dropped without being stored or handed back, in this process.
static LOST_JOBS: AtomicU64 = AtomicU64::new(0);

/// How many jobs this process's proxies lost: dropped without their activation
/// stored and without handing them back. Always 0 unless there is a bug (or a proxy
/// task was dropped without a shutdown, which loses what it held).
///
/// ```
/// assert_eq!(proxy_core::container::lost_jobs(), 0);
/// ```
pub fn lost_jobs() -> u64 {
    LOST_JOBS.load(Ordering::Relaxed)
}

/// Names one job among those of its proxy; effects carry it back in their events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobId(u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job#{}", self.0)
    }
}

/// How far the effect running a job got, shared between the effect and the proxy:
/// a shutdown past its grace aborts the effect, and must then know whether the
/// caller already has (or is being sent) the result, in which case the job is not
/// handed back to run again but finished: acknowledged as far as it was not, and
/// stored.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// The activation record, set before its first acknowledgement.
    answered: OnceLock<Activation>,
    /// `RESULT_SENT`, `COMPLETION_SENT`, `STORED`.
    done: AtomicU8,
}

const RESULT_SENT: u8 = 1;
const COMPLETION_SENT: u8 = 2;
const STORED: u8 = 4;

impl Progress {
    /// The activation is decided and about to be acknowledged: from here on the job
    /// must not run again. Returns the record as kept.
    pub(crate) fn answer(&self, activation: Activation) -> &Activation {
        let _ = self.answered.set(activation);
        self.answered.get().expect("just set")
    }

    /// `kind` was acknowledged.
    pub(crate) fn acked(&self, kind: AckKind) {
        let bits = match kind {
            AckKind::CombinedCompletionAndResult => RESULT_SENT | COMPLETION_SENT,
            AckKind::Result => RESULT_SENT,
            AckKind::Completion => COMPLETION_SENT,
        };
        self.done.fetch_or(bits, Ordering::Release);
    }

    /// The activation was stored.
    pub(crate) fn stored(&self) {
        self.done.fetch_or(STORED, Ordering::Release);
    }

    /// What is left to do for a job whose effect was aborted.
    fn remains(&self) -> Remains<'_> {
        let done = self.done.load(Ordering::Acquire);
        match self.answered.get() {
            _ if done & STORED != 0 => Remains::Nothing,
            None => Remains::Everything,
            Some(activation) => {
                let blocking_unanswered = done & (RESULT_SENT | COMPLETION_SENT) == 0;
                let ack = if done & COMPLETION_SENT != 0 {
                    None
                } else if blocking_unanswered {
                    // Whether the caller blocks is the sink's to know: it gets both.
                    Some(AckKind::CombinedCompletionAndResult)
                } else {
                    Some(AckKind::Completion)
                };
                Remains::Finish { activation, ack }
            }
        }
    }
}

/// What a job whose effect was aborted still needs.
pub(crate) enum Remains<'a> {
    /// Stored already.
    Nothing,
    /// Not answered: it may go back to the parent.
    Everything,
    /// Answered: these acknowledgements and the store of `activation`.
    Finish {
        /// The record.
        activation: &'a Activation,
        /// The acknowledgement not yet sent, if any.
        ack: Option<AckKind>,
    },
}

/// What the effect running a job gets: its id, its data, and where it notes how far
/// it got.
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    pub(crate) id: JobId,
    pub(crate) run: Run,
    pub(crate) progress: Arc<Progress>,
}

/// A job the proxy accepted and has not finished with.
pub(crate) struct Job {
    id: JobId,
    /// `None` once consumed.
    run: Option<Run>,
    /// Set once its activation started.
    progress: Option<Arc<Progress>>,
}

impl Job {
    /// The job's data.
    pub(crate) fn run(&self) -> &Run {
        self.run.as_ref().expect("a live job holds its run")
    }

    /// Its activation has been acknowledged and stored (or will be, by an effect
    /// already under way that cannot fail to do it).
    pub(crate) fn stored(mut self) {
        self.run = None;
    }

    /// The job goes back to the parent, to run elsewhere.
    pub(crate) fn hand_back(mut self) -> Run {
        self.run.take().expect("a live job holds its run")
    }

    /// What is left for this job, its effect having been aborted.
    pub(crate) fn remains(&self) -> Remains<'_> {
        self.progress.as_deref().map_or(Remains::Everything, Progress::remains)
    }

    /// The proxy is dropped while holding this job: it is lost, counted and logged,
    /// without the debug assertion (a runtime shutting down drops tasks).
    fn abandon_at_teardown(mut self) {
        if let Some(run) = self.run.take() {
            LOST_JOBS.fetch_add(1, Ordering::Relaxed);
            tracing::error!(job = %self.id, activation = %run.msg.activation_id, "proxy dropped while holding a job: lost");
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        if let Some(run) = self.run.take() {
            LOST_JOBS.fetch_add(1, Ordering::Relaxed);
            tracing::error!(job = %self.id, activation = %run.msg.activation_id, "job dropped without being stored or handed back: lost");
            debug_assert!(
                std::thread::panicking(),
                "job {} ({}) dropped without being stored or handed back",
                self.id,
                run.msg.activation_id
            );
        }
    }
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job").field("id", &self.id).field("run", &self.run).finish()
    }
}

/// Every job of one proxy: those whose activation is in flight, and those buffered
/// until init finishes or a slot under `max_concurrent` frees up.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    next: u64,
    /// In flight, few (at most `max_concurrent`): a scan is cheaper than a map.
    in_flight: Vec<Job>,
    buffered: VecDeque<Job>,
}

impl Jobs {
    /// Takes on `run`.
    pub(crate) fn accept(&mut self, run: Run) -> Job {
        let id = JobId(self.next);
        self.next += 1;
        Job { id, run: Some(run), progress: None }
    }

    /// `job`'s activation starts; returns what its effect needs.
    pub(crate) fn start(&mut self, mut job: Job) -> Ticket {
        let progress = Arc::new(Progress::default());
        job.progress = Some(progress.clone());
        let ticket = Ticket { id: job.id, run: job.run().clone(), progress };
        if self.in_flight.capacity() == 0 {
            // Most actions run one activation at a time: room for one, not the
            // default four, in every warm proxy.
            self.in_flight.reserve_exact(1);
        }
        self.in_flight.push(job);
        ticket
    }

    /// The job `id` whose activation ended, if it is in flight.
    pub(crate) fn finish(&mut self, id: JobId) -> Option<Job> {
        let index = self.in_flight.iter().position(|job| job.id == id)?;
        Some(self.in_flight.swap_remove(index))
    }

    /// Activations in flight.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Keeps `job` for later.
    pub(crate) fn buffer(&mut self, job: Job) {
        self.buffered.push_back(job);
    }

    /// The oldest buffered job.
    pub(crate) fn unbuffer(&mut self) -> Option<Job> {
        self.buffered.pop_front()
    }

    /// Jobs buffered.
    pub(crate) fn buffered(&self) -> usize {
        self.buffered.len()
    }

    /// Takes every buffered job, oldest first.
    pub(crate) fn drain_buffered(&mut self) -> impl Iterator<Item = Job> + '_ {
        self.buffered.drain(..)
    }

    /// Takes every job, in flight first, then the buffered ones oldest first.
    pub(crate) fn drain_all(&mut self) -> impl Iterator<Item = Job> + '_ {
        self.in_flight.drain(..).chain(self.buffered.drain(..))
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        for job in self.drain_all() {
            job.abandon_at_teardown();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::container::{Action, ActivationMessage};

    fn run(id: &str) -> Run {
        Run::new(Arc::new(Action::new("guest", "a", "img", "code")), ActivationMessage::new(id, "guest"))
    }

    #[test]
    fn a_job_ends_once_stored_or_handed_back() {
        let before = lost_jobs();
        let mut jobs = Jobs::default();
        let a = jobs.accept(run("a"));
        let a = jobs.start(a).id;
        let b = jobs.accept(run("b"));
        jobs.buffer(b);
        assert_eq!((jobs.in_flight(), jobs.buffered()), (1, 1));
        jobs.finish(a).expect("in flight").stored();
        assert!(jobs.finish(a).is_none(), "a finished job is gone");
        let back = jobs.unbuffer().expect("buffered").hand_back();
        assert_eq!(back.msg.activation_id, "b");
        assert_eq!(lost_jobs(), before);
    }

    #[test]
    fn jobs_dropped_with_their_proxy_are_counted_lost() {
        let before = lost_jobs();
        let mut jobs = Jobs::default();
        let job = jobs.accept(run("x"));
        jobs.start(job);
        drop(jobs);
        assert!(lost_jobs() > before);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "dropped without being stored or handed back")]
    fn a_job_dropped_on_its_own_fails_the_debug_assertion() {
        let mut jobs = Jobs::default();
        let job = jobs.accept(run("y"));
        drop(job);
    }
}
