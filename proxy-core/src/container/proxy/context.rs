//! A proxy's context: what upstream keeps in actor-local variables (reference 1.4),
//! written only by the proxy's own handlers, and the helper procedures of
//! reference 1.8 that the handlers share.

use std::sync::Arc;
use std::time::Duration;

use proxy_machine::driver::Effects;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::super::activation::{AckKind, Activation};
use super::super::backend::{Container, OperationError};
use super::super::job::{Capacity, Condemned, PreWarmed, Run, Warmed};
use super::super::lifecycle::ContainerProxyEvent;
use super::super::response::{messages, ActivationResponse, Interval};
use super::super::work;
use super::config::{ProxyConfig, ProxyDeps};
use super::jobs::{Job, JobId, Jobs, Remains};
use super::parent::{Cause, Fate, ToParent};

/// A prewarm without a TTL waits this long, which is forever for a proxy.
const NO_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// What happens to the buffered jobs when the container is condemned.
#[derive(Debug, Clone)]
pub(super) enum Buffered {
    /// Handed back to the parent, to run elsewhere.
    Reject,
    /// Acknowledged and stored as failed with this response (`whiskError(abnormalRun)`
    /// when `None`): init or the cold create failed, so they would fail the same way.
    Abort(Option<ActivationResponse>),
}

/// A proxy's context. Its jobs (in flight and buffered) are obligations: see
/// [`lost_jobs`](super::lost_jobs).
pub struct ProxyCx {
    pub(super) effects: Effects<ContainerProxyEvent, ToParent>,
    deps: Arc<ProxyDeps>,
    pub(super) jobs: Jobs,
    /// The prewarm's TTL.
    prewarm_ttl: Duration,
    /// Cancels the TCP health ping.
    ping: Option<oneshot::Sender<()>>,
}

impl ProxyCx {
    /// A context for a new proxy.
    pub fn new(deps: Arc<ProxyDeps>) -> Self {
        ProxyCx { effects: Effects::new(), deps, jobs: Jobs::default(), prewarm_ttl: NO_TTL, ping: None }
    }

    /// The settings.
    pub fn config(&self) -> &ProxyConfig {
        &self.deps.config
    }

    /// The prewarm's TTL (a century when it has none).
    pub fn prewarm_ttl(&self) -> Duration {
        self.prewarm_ttl
    }

    /// Activations in flight.
    pub fn active_count(&self) -> usize {
        self.jobs.in_flight()
    }

    /// Jobs buffered.
    pub fn buffered(&self) -> usize {
        self.jobs.buffered()
    }

    pub(super) fn deps(&self) -> &Arc<ProxyDeps> {
        &self.deps
    }

    pub(super) fn set_prewarm_ttl(&mut self, ttl: Option<Duration>) {
        self.prewarm_ttl = ttl.unwrap_or(NO_TTL);
    }

    pub(super) fn emit(&mut self, message: ToParent) {
        self.effects.emit(message);
    }

    /// Hands `job` back to the parent.
    pub(super) fn hand_back(&mut self, job: Job) {
        self.emit(ToParent::Resend(job.hand_back()));
    }

    /// A shutdown's grace ran out and the effects were aborted: every job held goes
    /// back to the parent, but for those whose caller has (or was being sent) the
    /// result: those must not run again, and are finished here instead, on a task of
    /// their own (the acknowledgement not yet sent, and the store).
    pub(super) fn abandon_jobs(&mut self) {
        let jobs: Vec<Job> = self.jobs.drain_all().collect();
        for job in jobs {
            match job.remains() {
                Remains::Nothing => job.stored(),
                Remains::Everything => self.hand_back(job),
                Remains::Finish { activation, ack } => {
                    let activation = activation.clone();
                    self.finish_answered(job, activation, ack);
                }
            }
        }
    }

    /// Finishes a job whose caller has (or was being sent) `activation` but whose
    /// effect ended early: `ack` if it is still owed, and the store, on a task of
    /// its own (a shutdown must not abort it).
    fn finish_answered(&mut self, job: Job, activation: Activation, ack: Option<AckKind>) {
        let blocking = job.run().msg.blocking;
        let sink = self.deps.sink.clone();
        tokio::spawn(async move {
            work::ack_and_store(&*sink, &activation, ack, blocking, None).await;
        });
        job.stored();
    }

    /// Takes on `run` and hands it straight back: the container is going away.
    pub(super) fn refuse(&mut self, run: Run) {
        let job = self.jobs.accept(run);
        self.hand_back(job);
    }

    /// Starts `job`'s activation on `container` (upstream's `initializeAndRun`).
    pub(super) fn start_activation(
        &mut self,
        container: Arc<dyn Container>,
        job: Job,
        reschedule: bool,
        init: bool,
    ) {
        let ticket = self.jobs.start(job);
        let (id, sink, keys) = (ticket.id, self.deps.sink.clone(), self.deps.config.encryption.clone());
        self.effects
            .spawn_with(move |events| {
                work::initialize_and_run(container, ticket, reschedule, init, sink, keys, events)
            })
            .on_panic(panicked(Some(id)));
    }

    /// Z1: resumes the paused container, then runs `job` on it.
    pub(super) fn start_resume_and_run(&mut self, container: Arc<dyn Container>, job: Job) {
        let ticket = self.jobs.start(job);
        let (id, sink, keys) = (ticket.id, self.deps.sink.clone(), self.deps.config.encryption.clone());
        self.effects
            .spawn_with(move |events| work::resume_and_run(container, ticket, sink, keys, events))
            .on_panic(panicked(Some(id)));
    }

    /// Starts up to `max_concurrent - in flight` buffered jobs on the warm container.
    /// Upstream sends them to itself and marks `bufferProcessing` so as not to go to
    /// Ready meanwhile (quirk 1.13.5); starting them here needs no pseudo-state.
    pub(super) fn process_buffer(&mut self, data: &Warmed) {
        let available = data.action.limits.max_concurrent.saturating_sub(self.jobs.in_flight());
        for _ in 0..available {
            let Some(job) = self.jobs.unbuffer() else { break };
            self.start_activation(data.container.clone(), job, false, false);
        }
    }

    /// Reference 1.8 `requestWork`: offers capacity to the parent, or processes the
    /// buffer first. True when the proxy must stay in Running.
    pub(super) fn request_work(&mut self, data: &Warmed) -> bool {
        let max = data.action.limits.max_concurrent;
        let in_flight = self.jobs.in_flight();
        if in_flight >= max {
            return false;
        }
        if self.jobs.buffered() > 0 {
            let need_work = max - in_flight > self.jobs.buffered();
            self.process_buffer(data);
            if need_work {
                self.emit(ToParent::NeedWork(Capacity::Warm(data.clone())));
            }
            true
        } else {
            self.emit(ToParent::NeedWork(Capacity::Warm(data.clone())));
            false
        }
    }

    /// Hands every buffered job back to the parent, or fails them all.
    pub(super) fn settle_buffered(&mut self, buffered: Buffered) {
        match buffered {
            Buffered::Reject => {
                let jobs: Vec<Job> = self.jobs.drain_buffered().collect();
                for job in jobs {
                    self.hand_back(job);
                }
            }
            Buffered::Abort(response) => {
                let response =
                    response.unwrap_or_else(|| ActivationResponse::whisk_error(messages::ABNORMAL_RUN));
                let jobs: Vec<Job> = self.jobs.drain_buffered().collect();
                for job in jobs {
                    self.store_failed(job, response.clone());
                }
            }
        }
    }

    /// Acknowledges and stores `job` as failed with `response`, without running it.
    pub(super) fn store_failed(&mut self, job: Job, response: ActivationResponse) {
        let run = job.run().clone();
        let sink = self.deps.sink.clone();
        let activation = Activation::new(&run, None, Interval::zero(Instant::now()), false, response);
        // On a task of its own, not an effect: a shutdown must not abort it.
        tokio::spawn(async move {
            let blocking = run.msg.blocking;
            work::ack_and_store(&*sink, &activation, AckKind::without_logs(blocking), blocking, None).await;
        });
        // The store is under way and cannot fail (a sink logs its own failures).
        job.stored();
    }

    /// Ends the job a failure names, as its cause says: already stored, handed back,
    /// or stored now as a whisk error. False when the failure names no job in flight.
    pub(super) fn settle_failed_job(&mut self, cause: &Cause) -> bool {
        let Some(job) = cause.job().and_then(|id| self.jobs.finish(id)) else {
            return false;
        };
        match cause.fate() {
            Fate::Stored => job.stored(),
            // After the transition, as upstream's `self ! job` lands behind it.
            Fate::HandBack => self.effects.raise(ContainerProxyEvent::Run(job.hand_back())),
            // Deviation (UPSTREAM.md D31): an effect that panicked after the caller
            // was answered (collecting the logs, say) finishes the activation it
            // answered; a whisk error now would be a second, different result
            // (upstream's `abnormalRun` for any failure, D11, sends it).
            Fate::StoreAsWhiskError => match job.remains() {
                Remains::Nothing => job.stored(),
                Remains::Finish { activation, ack } => {
                    let activation = activation.clone();
                    self.finish_answered(job, activation, ack);
                }
                Remains::Everything => {
                    self.store_failed(job, ActivationResponse::whisk_error(messages::ABNORMAL_RUN))
                }
            },
        }
        true
    }

    /// Ends the job `id` whose activation was stored.
    pub(super) fn settle_completed_job(&mut self, id: JobId) {
        match self.jobs.finish(id) {
            Some(job) => job.stored(),
            None => tracing::error!(job = %id, "a run completed for a job not in flight"),
        }
    }

    /// Reference 1.8 `destroyContainer`: tells the parent, and destroys the container
    /// (resuming it first if it is paused). The buffered jobs are settled first.
    pub(super) fn condemn(
        &mut self,
        container: &Arc<dyn Container>,
        message: ToParent,
        buffered: Buffered,
        paused: bool,
    ) -> Condemned {
        self.settle_buffered(buffered);
        self.emit(message);
        self.stop_ping();
        self.effects
            .spawn(work::destroy(container.clone(), paused, Duration::ZERO))
            .on_panic(destroy_panicked());
        Condemned { container: container.clone(), failed_attempts: 0 }
    }

    pub(super) fn stop_ping(&mut self) {
        // Dropping the sender ends the ping task without an event.
        self.ping = None;
    }

    pub(super) fn start_ping(&mut self, data: &PreWarmed) {
        let (Some(check), Some(addr)) = (self.deps.config.health_check, data.container.addr()) else {
            return;
        };
        let (cancel, cancelled) = oneshot::channel();
        self.ping = Some(cancel);
        self.effects.spawn_maybe(work::health_ping(addr, check, cancelled));
    }
}

/// What a panic of a destroy (a backend bug) becomes: a failed attempt, retried and
/// then reported as `DestroyFailed`, as any failed destroy (D4). Without it the
/// proxy waited in Removing for ever and the container was neither destroyed nor
/// reported (found by the randomized tests once the backend could panic there).
pub(super) fn destroy_panicked() -> ContainerProxyEvent {
    ContainerProxyEvent::DestroyFailed(OperationError::new("destroy", "the backend panicked"))
}

/// What a panic of a suspend (a backend bug) becomes: a failed suspend, which
/// condemns the container as any other. Without it the proxy waited in Pausing for
/// ever, its container counted by the pool and never used again.
pub(super) fn suspend_panicked() -> ContainerProxyEvent {
    ContainerProxyEvent::Failure(Cause::Suspend(OperationError::new("suspend", "the backend panicked")))
}

/// What a panic of the effect working for `job` becomes.
pub(super) fn panicked(job: Option<JobId>) -> ContainerProxyEvent {
    ContainerProxyEvent::Failure(Cause::Panicked { job })
}
