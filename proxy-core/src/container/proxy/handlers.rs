//! The bodies of the lifecycle's rows (reference 1.6; row ids in comments).
//! Handlers are synchronous: they change the context, emit messages to the parent
//! and start effects, whose results come back as events.

use tokio::time::Instant;

use super::super::backend::{CreateSpec, OperationError};
use super::super::job::{Adopted, Capacity, Condemned, PreWarmed, Run, StartSpec, Warmed, Warmth};
use super::super::lifecycle::{
    ContainerProxyDrainingFailure, ContainerProxyDrainingRunCompleted, ContainerProxyHandlers,
    ContainerProxyRemovingDestroyFailed, ContainerProxyRunningFailure, ContainerProxyRunningRunCompleted,
    ContainerProxyUninitializedAdopt,
};
use super::super::naming::container_name;
use super::super::work;
use super::context::{destroy_panicked, panicked, suspend_panicked, Buffered, ProxyCx};
use super::jobs::JobId;
use super::parent::{Cause, ToParent};

impl ProxyCx {
    /// D32: the proxy stops without destroying its warm container; the parent hears
    /// which container it leaves.
    fn release(&mut self, data: &Warmed) {
        self.emit(ToParent::Released { container: data.container.id().clone() });
    }

    /// The runs in flight in a condemned container are done: destroy it. The parent
    /// gets `RescheduleJob`, as upstream's `rescheduleJob` is set on this path.
    fn drained(&mut self, data: Warmed) -> Condemned {
        self.condemn(&data.container, ToParent::RescheduleJob, Buffered::Reject, false)
    }

    /// A condemned warm container: destroyed now if nothing runs in it, else drained.
    /// `message` is what the parent hears when the destroy starts now.
    fn condemn_warm(&mut self, data: Warmed, message: ToParent) -> ContainerProxyRunningFailure {
        if self.jobs.in_flight() == 0 {
            ContainerProxyRunningFailure::Removing(self.condemn(
                &data.container,
                message,
                Buffered::Reject,
                false,
            ))
        } else {
            // Upstream keeps the buffered runs until the destroy; they can go at once.
            self.settle_buffered(Buffered::Reject);
            ContainerProxyRunningFailure::Draining(data)
        }
    }
}

impl ContainerProxyHandlers for ProxyCx {
    // U1
    fn uninitialized_start(&mut self, event: StartSpec) {
        self.set_prewarm_ttl(event.ttl);
        let config = &self.deps().config;
        let spec = CreateSpec {
            transaction_id: "invokerWarmup".into(),
            name: container_name("prewarm", &event.kind),
            image: event.image.clone(),
            memory_mb: event.memory_mb,
            cpu_shares: config.cpu_shares(event.memory_mb),
            cpu_limit: config.cpu_limit(event.memory_mb),
        };
        let creator = work::Creator::of(self.deps());
        self.effects.spawn(work::create_prewarm(creator, spec, event)).on_panic(panicked(None));
    }

    // U2: cold start.
    fn uninitialized_run(&mut self, event: Run) -> Warmth {
        let config = &self.deps().config;
        let memory = event.action.limits.memory_mb;
        let spec = CreateSpec {
            transaction_id: event.msg.transaction_id.clone(),
            name: container_name(&event.msg.namespace, &event.action.name),
            image: event.action.image.clone(),
            memory_mb: memory,
            cpu_shares: config.cpu_shares(memory),
            cpu_limit: config.cpu_limit(memory),
        };
        let (creator, sink) = (work::Creator::of(self.deps()), self.deps().sink.clone());
        let keys = config.encryption.clone();
        let job = self.jobs.accept(event);
        let ticket = self.jobs.start(job);
        let id = ticket.id;
        self.effects
            .spawn_with(move |events| work::cold_start(creator, spec, ticket, sink, keys, events))
            .on_panic(panicked(Some(id)));
        Warmth::Cold
    }

    // Nothing was started: nothing to remove.
    fn uninitialized_remove(&mut self) {}

    // Adoption at restart (D28): the container was initialized by an earlier
    // process. No NeedWork: the pool counts it already, as an adopted container.
    fn uninitialized_adopt(&mut self, event: Adopted) -> ContainerProxyUninitializedAdopt {
        let Adopted { container, invocation_namespace, action, paused } = event;
        let data = Warmed { container, invocation_namespace, action, last_used: Instant::now() };
        if paused {
            ContainerProxyUninitializedAdopt::Paused(data)
        } else {
            ContainerProxyUninitializedAdopt::Ready(data)
        }
    }

    // S1
    fn starting_pre_warm_completed(&mut self, event: PreWarmed) -> PreWarmed {
        self.deps().teardown.claim(event.container.id());
        self.emit(ToParent::NeedWork(Capacity::Prewarmed(event.clone())));
        // T0: entering Started starts the health ping.
        self.start_ping(&event);
        event
    }

    // S2
    fn starting_failure(&mut self, event: Cause) {
        tracing::warn!(cause = ?event, "prewarm creation failed");
        self.emit(ToParent::ContainerRemoved { replace_prewarm: true });
    }

    // T1
    fn started_run(&mut self, state: PreWarmed, event: Run) -> Warmth {
        // R0: entering Running stops the health ping.
        self.stop_ping();
        let job = self.jobs.accept(event);
        self.start_activation(state.container.clone(), job, false, true);
        Warmth::Prewarmed(state)
    }

    // T2
    fn started_remove(&mut self, state: PreWarmed) -> Condemned {
        let message = ToParent::ContainerRemoved { replace_prewarm: false };
        self.condemn(&state.container, message, Buffered::Reject, false)
    }

    // T3
    fn started_failure(&mut self, state: PreWarmed, event: Cause) -> Condemned {
        tracing::warn!(cause = ?event, "prewarmed container failed");
        let message = ToParent::ContainerRemoved { replace_prewarm: true };
        self.condemn(&state.container, message, Buffered::Reject, false)
    }

    // The prewarm's TTL passed: as the pool's `Remove` of an expired prewarm.
    fn started_state_timeout(&mut self, state: PreWarmed) -> Condemned {
        self.started_remove(state)
    }

    // R1
    fn running_pre_warm_completed(&mut self, state: Warmth, event: PreWarmed) -> Warmth {
        self.deps().teardown.claim(event.container.id());
        match state {
            Warmth::Cold => Warmth::Prewarmed(event),
            other => other,
        }
    }

    // R2, R3, R7, R8
    fn running_run(&mut self, state: Warmth, event: Run) -> Warmth {
        let job = self.jobs.accept(event);
        match &state {
            Warmth::Cold | Warmth::Prewarmed(_) => self.jobs.buffer(job),
            Warmth::Warm(data) if self.jobs.in_flight() >= data.action.limits.max_concurrent => {
                tracing::debug!("buffering for maxed warm container");
                self.jobs.buffer(job);
            }
            Warmth::Warm(data) => self.start_activation(data.container.clone(), job, false, false),
        }
        state
    }

    // R4: no NeedWork here (quirk 1.13.7).
    fn running_init_completed(&mut self, state: Warmth, event: Warmed) -> Warmth {
        match state {
            Warmth::Warm(data) => Warmth::Warm(data),
            _ => {
                self.process_buffer(&event);
                Warmth::Warm(event)
            }
        }
    }

    // R6
    fn running_run_completed(&mut self, state: Warmth, event: JobId) -> ContainerProxyRunningRunCompleted {
        self.settle_completed_job(event);
        let Warmth::Warm(data) = state else {
            // Only a warm container completes runs.
            return ContainerProxyRunningRunCompleted::Running(state);
        };
        let stay = self.request_work(&data);
        if stay || self.jobs.in_flight() > 0 {
            ContainerProxyRunningRunCompleted::Running(Warmth::Warm(data))
        } else {
            ContainerProxyRunningRunCompleted::Ready(data)
        }
    }

    // R9-R12
    fn running_failure(&mut self, state: Warmth, event: Cause) -> ContainerProxyRunningFailure {
        use ContainerProxyRunningFailure::{Removed, Removing, Running};
        if let Cause::HealthPing(reason) = &event {
            // The ping was cancelled when the prewarm took a job; its last word is stale.
            tracing::debug!(%reason, "stale health ping failure ignored");
            return Running(state);
        }
        let settled = self.settle_failed_job(&event);
        match (state, event) {
            // R12: creating the cold container failed (its job is already acked and
            // stored). Fix 1.13.1: the proxy stops instead of lingering in Removing.
            (Warmth::Cold, _) => {
                self.settle_buffered(Buffered::Abort(None));
                self.emit(ToParent::ContainerRemoved { replace_prewarm: true });
                Removed
            }
            // R10 on a health error at /init: fix 1.13.3, the job and the buffered
            // ones go back to the parent instead of being lost or aborted.
            (Warmth::Prewarmed(data), Cause::Health { .. }) => {
                let message = ToParent::ContainerRemoved { replace_prewarm: true };
                Removing(self.condemn(&data.container, message, Buffered::Reject, false))
            }
            // R10: /init failed (or its effect panicked): the buffered jobs would fail
            // the same way.
            (Warmth::Prewarmed(data), cause) => {
                let response = match cause {
                    Cause::ActivationUnsuccessful { response, .. } => Some(response),
                    _ => None,
                };
                let message = ToParent::ContainerRemoved { replace_prewarm: true };
                Removing(self.condemn(&data.container, message, Buffered::Abort(response), false))
            }
            // R9: the container is unhealthy. Upstream hands back the `resumeRun`
            // whatever run failed and destroys at once; here the failed job went back
            // (settled above) and the others in flight finish first, as in R11.
            (Warmth::Warm(data), Cause::Health { .. } | Cause::Resume { .. }) => {
                self.condemn_warm(data, ToParent::RescheduleJob)
            }
            // R11: a later run, its logs, or its effect failed.
            (Warmth::Warm(data), cause) => {
                if !settled {
                    tracing::warn!(?cause, "failure of no job in flight condemns the container");
                }
                self.condemn_warm(data, ToParent::ContainerRemoved { replace_prewarm: true })
            }
        }
    }

    // Y1
    fn ready_run(&mut self, state: Warmed, event: Run) -> Warmth {
        let job = self.jobs.accept(event);
        self.start_activation(state.container.clone(), job, true, false);
        Warmth::Warm(Warmed { last_used: Instant::now(), ..state })
    }

    // Y2
    fn ready_state_timeout(&mut self, state: Warmed) -> Warmed {
        self.effects.spawn(work::suspend(state.container.clone())).on_panic(suspend_panicked());
        state
    }

    // Y3
    fn ready_remove(&mut self, state: Warmed) -> Condemned {
        let message = ToParent::ContainerRemoved { replace_prewarm: true };
        self.condemn(&state.container, message, Buffered::Reject, false)
    }

    // Y4
    fn ready_failure(&mut self, state: Warmed, event: Cause) -> Condemned {
        tracing::warn!(cause = ?event, "failure in Ready");
        self.ready_remove(state)
    }

    // D32: the container stays as it is, for a later pool to adopt. Nothing runs in
    // it, and nothing is buffered in Ready.
    fn ready_release(&mut self, state: Warmed) {
        self.release(&state);
    }

    // P1
    fn pausing_container_paused(&mut self, state: Warmed) -> Warmed {
        state
    }

    // P2
    fn pausing_failure(&mut self, state: Warmed, event: Cause) -> Condemned {
        tracing::warn!(cause = ?event, "pausing failed");
        self.ready_remove(state)
    }

    // Z1
    fn paused_run(&mut self, state: Warmed, event: Run) -> Warmth {
        let job = self.jobs.accept(event);
        self.start_resume_and_run(state.container.clone(), job);
        Warmth::Warm(Warmed { last_used: Instant::now(), ..state })
    }

    // Z2: the unused timeout.
    fn paused_state_timeout(&mut self, state: Warmed) -> Condemned {
        self.paused_remove(state)
    }

    // Z2: RescheduleJob, not ContainerRemoved, so the pool does not count the
    // container twice; destroy resumes it first.
    fn paused_remove(&mut self, state: Warmed) -> Condemned {
        self.condemn(&state.container, ToParent::RescheduleJob, Buffered::Reject, true)
    }

    // D32: left paused; whoever adopts it resumes it.
    fn paused_release(&mut self, state: Warmed) {
        self.release(&state);
    }

    // X1
    fn draining_run(&mut self, state: Warmed, event: Run) -> Warmed {
        self.refuse(event);
        state
    }

    // X2
    fn draining_run_completed(&mut self, state: Warmed, event: JobId) -> ContainerProxyDrainingRunCompleted {
        self.settle_completed_job(event);
        if self.jobs.in_flight() == 0 {
            ContainerProxyDrainingRunCompleted::Removing(self.drained(state))
        } else {
            ContainerProxyDrainingRunCompleted::Draining(state)
        }
    }

    // X3, for any cause (fix 1.13.2: upstream handles only WarmedData here); a
    // health error's job is handed back (fix 1.13.3).
    fn draining_failure(&mut self, state: Warmed, event: Cause) -> ContainerProxyDrainingFailure {
        self.settle_failed_job(&event);
        if self.jobs.in_flight() == 0 {
            ContainerProxyDrainingFailure::Removing(self.drained(state))
        } else {
            ContainerProxyDrainingFailure::Draining(state)
        }
    }

    fn draining_remove(&mut self, state: Warmed) -> Warmed {
        state
    }

    // Condemned already: the destroy goes ahead.
    fn draining_release(&mut self, state: Warmed) -> Warmed {
        state
    }

    // X1
    fn removing_run(&mut self, state: Condemned, event: Run) -> Condemned {
        self.refuse(event);
        state
    }

    fn removing_remove(&mut self, state: Condemned) -> Condemned {
        state
    }

    // The destroy is under way: it goes ahead.
    fn removing_release(&mut self, state: Condemned) -> Condemned {
        state
    }

    // Nothing runs in a container being destroyed; a late failure only needs its
    // job settled, should it name one.
    fn removing_failure(&mut self, state: Condemned, event: Cause) -> Condemned {
        if !self.settle_failed_job(&event) {
            tracing::debug!(cause = ?event, "failure while removing");
        }
        state
    }

    // X4
    fn removing_destroyed(&mut self, _state: Condemned) {}

    // Fix 1.13.2 (#5054): retry the destroy, then stop and report it.
    fn removing_destroy_failed(
        &mut self,
        state: Condemned,
        event: OperationError,
    ) -> ContainerProxyRemovingDestroyFailed {
        let Condemned { container, failed_attempts } = state;
        let failed_attempts = failed_attempts + 1;
        let config = &self.deps().config;
        if failed_attempts < config.destroy_attempts {
            tracing::warn!(container = %container.id(), error = %event, attempt = failed_attempts, "destroy failed; retrying");
            self.effects
                .spawn(work::destroy(container.clone(), false, config.destroy_retry_delay))
                .on_panic(destroy_panicked());
            ContainerProxyRemovingDestroyFailed::Removing(Condemned { container, failed_attempts })
        } else {
            tracing::error!(container = %container.id(), error = %event, "destroy failed; giving up");
            self.emit(ToParent::DestroyFailed { container: container.id().clone(), error: event });
            ContainerProxyRemovingDestroyFailed::Removed
        }
    }
}
