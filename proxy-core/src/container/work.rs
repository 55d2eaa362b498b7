//! The effects of the proxy's handlers: asynchronous work on the container whose
//! outcome comes back to the proxy as one event (and, for init-and-run, an
//! `InitCompleted` on the way).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use proxy_machine::driver::EventSink;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::activation::{AckKind, Activation, ActivationSink};
use super::args;
use super::backend::{
    Container, ContainerFactory, ContainerId, CreateSpec, InitError, LogRead, OperationError, ResponseLimits,
    StartupError,
};
use super::encryption::{EncryptionError, ParameterEncryption};
use super::job::{PreWarmed, Run, StartSpec, Warmed};
use super::lifecycle::ContainerProxyEvent as Event;
use super::outcome;
use super::proxy::{Cause, HealthCheck, JobId, Progress, ProxyDeps, Ticket};
use super::response::{messages, ActivationResponse, Interval};
use super::teardown::Teardown;

/// U1: creates a prewarm container.
pub(super) async fn create_prewarm(creator: Creator, spec: CreateSpec, start: StartSpec) -> Event {
    match creator.create(spec).await {
        Ok(container) => Event::PreWarmCompleted(PreWarmed {
            container,
            kind: start.kind,
            memory_mb: start.memory_mb,
            expires: start.ttl.map(|ttl| Instant::now() + ttl),
        }),
        Err(error) => Event::Failure(Cause::Startup { error, job: None }),
    }
}

/// U2: creates the job's container, then initializes it and runs the job. A failed
/// creation is acknowledged and stored with the classified error (reference 1.10).
pub(super) async fn cold_start(
    creator: Creator,
    spec: CreateSpec,
    ticket: Ticket,
    sink: Arc<dyn ActivationSink>,
    keys: Arc<ParameterEncryption>,
    events: EventSink<Event>,
) -> Event {
    let memory_mb = spec.memory_mb;
    let job = &ticket.run;
    // A job whose parameters do not unlock fails as it would after the create (see
    // `refuse_locked`), without a container created for nothing: the proxy, still
    // Cold, stops as after a failed create.
    if let Err(error) = args::unlock_arguments(job.msg.content.as_ref(), &job.msg.locked_args, &keys) {
        return refuse_locked(ticket.id, job, &ticket.progress, true, error, sink).await;
    }
    match creator.create(spec).await {
        Ok(container) => {
            events.send(Event::PreWarmCompleted(PreWarmed {
                container: container.clone(),
                kind: job.action.kind.clone(),
                memory_mb,
                expires: None,
            }));
            initialize_and_run(container, ticket, false, true, sink, keys, events).await
        }
        Err(error) => {
            let response = match &error {
                StartupError::Whisk { message, .. } => ActivationResponse::whisk_error(message.clone()),
                StartupError::Blackbox { message, .. } => {
                    ActivationResponse::developer_error(message.clone())
                }
                StartupError::Other(_) => ActivationResponse::whisk_error(messages::RESOURCE_PROVISION_ERROR),
            };
            let activation = Activation::new(job, None, Interval::zero(Instant::now()), false, response);
            let activation = ticket.progress.answer(activation);
            // Regardless of the blocking flag, as upstream.
            let kinds = [AckKind::CombinedCompletionAndResult];
            ack_and_store(&*sink, activation, kinds, job.msg.blocking, Some(&ticket.progress)).await;
            Event::Failure(Cause::Startup { error, job: Some(ticket.id) })
        }
    }
}

/// Z1: resumes the paused container, then runs the job (reschedule on).
pub(super) async fn resume_and_run(
    container: Arc<dyn Container>,
    ticket: Ticket,
    sink: Arc<dyn ActivationSink>,
    keys: Arc<ParameterEncryption>,
    events: EventSink<Event>,
) -> Event {
    match container.resume().await {
        Ok(()) => initialize_and_run(container, ticket, true, false, sink, keys, events).await,
        Err(error) => Event::Failure(Cause::Resume { error, job: ticket.id }),
    }
}

/// Reference 1.9 `initializeAndRun`: init (once, when `init`), run, acknowledge,
/// collect logs, store always; then `RunCompleted` if the container may be reused,
/// or the failure that condemns it.
pub(super) async fn initialize_and_run(
    container: Arc<dyn Container>,
    ticket: Ticket,
    reschedule: bool,
    init: bool,
    sink: Arc<dyn ActivationSink>,
    keys: Arc<ParameterEncryption>,
    events: EventSink<Event>,
) -> Event {
    let Ticket { id, run: job, progress } = ticket;
    let action = job.action.clone();
    let timeout = action.limits.timeout;
    let content = match args::unlock_arguments(job.msg.content.as_ref(), &job.msg.locked_args, &keys) {
        Ok(content) => content,
        Err(error) => return refuse_locked(id, &job, &progress, init, error, sink).await,
    };
    let (env, parameters) = args::partition_arguments(content.as_deref(), &job.msg.init_args);

    let mut init_interval = None;
    if init {
        let environment = args::environment(&job, args::deadline_epoch_ms(timeout));
        let mut init_env = env.clone();
        init_env.extend(args::ow_environment(&environment));
        let initializer = args::initializer(&job, &init_env);
        match outcome::init(
            &*container,
            initializer,
            timeout,
            action.limits.max_concurrent,
            outcome::managed_runtime(&action),
        )
        .await
        {
            Ok(interval) => {
                init_interval = Some(interval);
                events.send(Event::InitCompleted(Warmed {
                    container: container.clone(),
                    invocation_namespace: job.msg.namespace.clone(),
                    action: action.clone(),
                    last_used: Instant::now(),
                }));
            }
            // No ack, no store: the job goes back to the parent.
            Err(InitError::Health(error)) => return Event::Failure(Cause::Health { error, job: id }),
            Err(InitError::Failed { interval, response }) => {
                let is_timeout = interval.duration() >= timeout;
                let activation = Activation::new(&job, Some(interval), interval, is_timeout, response);
                return finish(container, id, &job, &progress, activation, sink).await;
            }
        }
    }

    let environment = args::environment(&job, args::deadline_epoch_ms(timeout));
    let run =
        outcome::run(&*container, parameters, environment, timeout, ResponseLimits::default(), reschedule)
            .await;
    let (run_interval, response) = match run {
        Ok(outcome) => outcome,
        // No ack, no store: the job goes back to the parent.
        Err(error) => return Event::Failure(Cause::Health { error, job: id }),
    };
    let total = match init_interval {
        Some(init) => Interval { start: run_interval.start - init.duration(), end: run_interval.end },
        None => run_interval,
    };
    let is_timeout = run_interval.duration() >= timeout;
    let activation = Activation::new(&job, init_interval, total, is_timeout, response);
    finish(container, id, &job, &progress, activation, sink).await
}

/// A locked parameter did not unlock: the activation fails before anything reaches
/// the container, acknowledged and stored as any failed activation, and never with
/// the value, plain or locked, in the record or the log.
///
/// A whisk error, not an application error: the action and its developer did
/// nothing wrong; the platform's key configuration does not match the one that
/// locked the value (or the stored value was tampered with), which is for the
/// operators to see and fix, as upstream counts whisk errors as the system's. Yet
/// the container is healthy and untouched, so a warm one is kept (`RunCompleted`),
/// unlike a whisk error the container answers. On a cold start no container is
/// created (see `cold_start`). A prewarmed container that took the job cannot go
/// back to being a prewarm (no lifecycle row leads there), so it goes the way of a
/// failed `/init`: removed, its buffered jobs failing with the same response.
async fn refuse_locked(
    id: JobId,
    job: &Run,
    progress: &Progress,
    init: bool,
    error: EncryptionError,
    sink: Arc<dyn ActivationSink>,
) -> Event {
    tracing::error!(
        activation_id = %job.msg.activation_id,
        action = %job.action.qualified_name(),
        %error,
        "a locked parameter did not unlock; the activation fails"
    );
    let response = ActivationResponse::whisk_error(error.to_string());
    let activation = Activation::new(job, None, Interval::zero(Instant::now()), false, response.clone());
    let blocking = job.msg.blocking;
    let answered = progress.answer(activation);
    // Nothing ran, so there are no logs to wait for.
    ack_and_store(&*sink, answered, AckKind::without_logs(blocking), blocking, Some(progress)).await;
    if init {
        Event::Failure(Cause::ActivationUnsuccessful { job: id, response })
    } else {
        Event::RunCompleted(id)
    }
}

/// Acknowledgements, logs and the store, then the event that tells the proxy
/// whether the container may be reused (reference 1.9 steps 9-12). Each step is
/// noted in `progress`, so that a shutdown that aborts this knows what is left.
async fn finish(
    container: Arc<dyn Container>,
    id: JobId,
    job: &Run,
    progress: &Progress,
    activation: Activation,
    sink: Arc<dyn ActivationSink>,
) -> Event {
    let blocking = job.msg.blocking;
    let collects_logs = job.action.collects_logs();
    let (before_logs, after_logs) = AckKind::plan(blocking, collects_logs);
    let answered = progress.answer(activation);
    if let Some(kind) = before_logs {
        sink.ack(kind, answered, blocking).await;
        progress.acked(kind);
    }
    let mut log_failure = false;
    let with_logs;
    let activation = if collects_logs {
        let limit = usize::try_from(job.action.limits.logs_mb * 1024 * 1024).unwrap_or(usize::MAX);
        let read = LogRead::for_activation(job.action.sentinelled_logs, &answered.response);
        let mut activation = answered.clone();
        match container.logs(limit, read).await {
            Ok(logs) => {
                log_failure = logs.failed;
                activation.logs = logs.lines;
            }
            Err(_) => {
                log_failure = true;
                activation.logs = vec![messages::LOG_FAILURE.to_string()];
            }
        }
        with_logs = activation;
        if let Some(kind) = after_logs {
            sink.ack(kind, &with_logs, blocking).await;
            progress.acked(kind);
        }
        &with_logs
    } else {
        answered
    };
    sink.store(activation, blocking).await;
    progress.stored();
    if log_failure {
        Event::Failure(Cause::LogReading { job: id })
    } else if activation.response.keeps_container() {
        Event::RunCompleted(id)
    } else {
        let response = activation.response.clone();
        Event::Failure(Cause::ActivationUnsuccessful { job: id, response })
    }
}

/// Acknowledges `activation` with each of `kinds`, in order, then stores it; each
/// step is noted in `progress` when the job has one (see `Progress`). The one
/// sequence of every activation that ends without logs to collect.
pub(super) async fn ack_and_store(
    sink: &dyn ActivationSink,
    activation: &Activation,
    kinds: impl IntoIterator<Item = AckKind>,
    blocking: bool,
    progress: Option<&Progress>,
) {
    for kind in kinds {
        sink.ack(kind, activation, blocking).await;
        if let Some(progress) = progress {
            progress.acked(kind);
        }
    }
    sink.store(activation, blocking).await;
    if let Some(progress) = progress {
        progress.stored();
    }
}

/// Y2: pauses the container.
pub(super) async fn suspend(container: Arc<dyn Container>) -> Event {
    match container.suspend().await {
        Ok(()) => Event::ContainerPaused,
        Err(error) => Event::Failure(Cause::Suspend(error)),
    }
}

/// Destroys the container, resuming it first when it is paused (a failed resume
/// does not stop the destroy), after `delay` (for a retry).
pub(super) async fn destroy(container: Arc<dyn Container>, paused: bool, delay: Duration) -> Event {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if paused {
        if let Err(error) = container.resume().await {
            tracing::warn!(container = %container.id(), %error, "resume before destroy failed");
        }
    }
    match container.destroy().await {
        Ok(()) => Event::Destroyed,
        Err(error) => Event::DestroyFailed(error),
    }
}

/// Destroys `container` (resuming it first if `paused`), trying `attempts` times
/// `delay` apart, each attempt on a task of its own so that a backend that panics
/// fails one attempt; gives the container and the last error if all fail. For a
/// destroy no proxy waits for any more (see [`Teardown`]).
pub(super) async fn destroy_retried(
    container: Arc<dyn Container>,
    paused: bool,
    attempts: u32,
    delay: Duration,
) -> Result<(), (ContainerId, OperationError)> {
    let mut attempt = 1;
    loop {
        let (resume_first, wait) = if attempt == 1 { (paused, Duration::ZERO) } else { (false, delay) };
        let error = match tokio::spawn(destroy(container.clone(), resume_first, wait)).await {
            Ok(Event::DestroyFailed(error)) => error,
            Ok(_) => return Ok(()),
            Err(panicked) => OperationError::new("destroy", format!("the backend panicked: {panicked}")),
        };
        if attempt >= attempts.max(1) {
            return Err((container.id().clone(), error));
        }
        tracing::warn!(container = %container.id(), %error, attempt, "destroy failed; retrying");
        attempt += 1;
    }
}

/// Deviation (UPSTREAM.md D36): what a proxy creates containers with, so that
/// aborting it cannot leak one: the
/// create runs to its end on a task of its own, counted by the invoker's
/// [`Teardown`], and if no one waits for its container any more (the proxy was
/// stopped past a shutdown's grace), that container is destroyed there.
pub(super) struct Creator {
    factory: Arc<dyn ContainerFactory>,
    teardown: Arc<Teardown>,
    destroy_attempts: u32,
}

impl Creator {
    pub(super) fn of(deps: &ProxyDeps) -> Self {
        Creator {
            factory: deps.factory.clone(),
            teardown: deps.teardown.clone(),
            destroy_attempts: deps.config.destroy_attempts,
        }
    }

    /// Creates and starts a container from `spec`. A create that panics is a
    /// failed create.
    async fn create(self, spec: CreateSpec) -> Result<Arc<dyn Container>, StartupError> {
        let Creator { factory, teardown, destroy_attempts } = self;
        let (created, wanted) = oneshot::channel();
        let noted = teardown.clone();
        teardown.spawn(async move {
            let result = factory.create(spec).await;
            if let Ok(container) = &result {
                noted.created(container);
            }
            match created.send(result) {
                Err(Ok(orphan)) => {
                    noted.claim(orphan.id());
                    tracing::info!(container = %orphan.id(), "created after its proxy stopped: destroying it");
                    destroy_retried(orphan, false, destroy_attempts, Duration::ZERO).await
                }
                _ => Ok(()),
            }
        });
        wanted
            .await
            .unwrap_or_else(|_| Err(StartupError::other("the backend panicked creating the container")))
    }
}

/// Reference 1.11: TCP-pings a prewarmed container every `period`; after
/// `max_fails` failures in a row, condemns it. Ends without an event when cancelled.
pub(super) async fn health_ping(
    addr: SocketAddr,
    check: HealthCheck,
    mut cancelled: oneshot::Receiver<()>,
) -> Option<Event> {
    let mut failures = 0;
    let mut ticks = tokio::time::interval_at(Instant::now() + check.period, check.period);
    loop {
        tokio::select! {
            _ = &mut cancelled => return None,
            _ = ticks.tick() => {}
        }
        let connected = tokio::time::timeout(check.period, tokio::net::TcpStream::connect(addr)).await;
        match connected {
            Ok(Ok(_stream)) => failures = 0,
            _ => {
                failures += 1;
                tracing::warn!(%addr, failures, "health ping failed");
                if failures >= check.max_fails {
                    return Some(Event::Failure(Cause::HealthPing(format!(
                        "health connection to {addr} failed {failures} times"
                    ))));
                }
            }
        }
    }
}
