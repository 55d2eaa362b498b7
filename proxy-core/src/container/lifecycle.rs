//! The container lifecycle: every state, event and row of OpenWhisk's
//! `ContainerProxy` (reference section 1.6), in one table. The rows' bodies are in
//! [`proxy`](super::proxy); the row ids (U1, R6, ..) are the reference's.
//!
//! Deviations from upstream, each on purpose and each tested in
//! `tests/container_proxy.rs` (the table of row ids, quirks and deviations is in
//! `proxy-core/UPSTREAM.md`):
//! - `Draining` is upstream's `Removing` while `rescheduleJob` is set and runs are
//!   still in flight: the flag decided which events are legal, so it is a state here.
//!   `Removing` is only ever entered with the destroy under way.
//! - R9: a health error on one run hands back that job only and, with other runs in
//!   flight, drains them before the destroy, as R11 does; upstream hands back the
//!   `resumeRun` whatever run failed and destroys under the runs in flight.
//! - R12: a failed cold create goes to `Removed` and the proxy stops, where upstream
//!   lingers in `Removing` forever (quirk 1.13.1).
//! - `Removing + DestroyFailed`: a failed destroy is retried, then the proxy stops and
//!   reports it, where upstream hangs and may leak the container (quirk 1.13.2, #5054).
//! - A health error (503) on /init or on a concurrent /run hands that job back to the
//!   parent, where upstream loses it (quirk 1.13.3); so `WarmedData.resumeRun` is not
//!   needed and not kept: every failure names its job.
//! - `rescheduleJob` is written only by the proxy's own handlers (quirk 1.13.4).
//! - `Started + StateTimeout`: a prewarm with a TTL removes itself when the TTL
//!   passes (upstream leaves it to the pool's periodic sweep).
//! - `Uninitialized + Remove`: the proxy stops at once (upstream ignores it), so that
//!   a shutdown, which removes every proxy, does not wait on one that never started.
//! - `Uninitialized + Adopt` (D28): a warm container an earlier process left is
//!   taken as `Ready` or `Paused` without /init; upstream removes every container
//!   at start.
//! - `Release` (D32, no upstream counterpart): the proxy stops and leaves its warm
//!   container in place, unpaused or paused as it is, for a later pool to adopt. A
//!   proxy with runs in flight or a pause under way finishes them first (deferred);
//!   one already going stays going.

use proxy_machine::lifecycle;

use super::backend::OperationError;
use super::job::{Adopted, Condemned, PreWarmed, Run, StartSpec, Warmed, Warmth};
use super::proxy::{Cause, JobId, ProxyCx};

lifecycle! {
    /// One container's lifecycle in a serverless invoker: prewarm, cold start,
    /// init once, runs (up to `max_concurrent` at once), pause after a grace period,
    /// removal after an unused timeout or on any failure.
    pub machine ContainerProxy {
        context: ProxyCx;
        initial: Uninitialized;
        terminal: [Removed];
        states {
            /// A fresh proxy without a container.
            Uninitialized,
            /// A prewarm container is being created.
            Starting,
            /// A prewarm container is up and idle.
            Started(PreWarmed),
            /// Activations are in flight: creation, /init, /run or log collection.
            Running(Warmth),
            /// Warm and idle, not paused.
            Ready(Warmed),
            /// The container is being paused.
            Pausing(Warmed),
            /// Paused.
            Paused(Warmed),
            /// The container is condemned; the runs still in flight finish before it
            /// is destroyed, and new jobs go back to the parent.
            Draining(Warmed),
            /// The container is being destroyed; jobs go back to the parent.
            Removing(Condemned),
            /// The container is gone and the proxy has stopped.
            Removed,
        }
        events {
            /// Create a prewarm container.
            Start(StartSpec),
            /// Run a job.
            Run(Run),
            /// Remove the container.
            Remove,
            /// Take a container an earlier process left warm (adoption at restart).
            Adopt(Adopted),
            /// Stop without destroying the warm container, left for a later pool to adopt.
            Release,
            /// A container was created (prewarm, or the cold one of a job).
            PreWarmCompleted(PreWarmed),
            /// /init succeeded.
            InitCompleted(Warmed),
            /// A job's activation was stored and the container may be reused.
            RunCompleted(JobId),
            /// The container is paused.
            ContainerPaused,
            /// The proxy's own destroy finished.
            Destroyed,
            /// The proxy's own destroy failed.
            DestroyFailed(OperationError),
            /// An effect failed.
            Failure(Cause),
            /// The state's timer fired: prewarm TTL, pause grace, unused timeout.
            StateTimeout,
        }
        transitions {
            Uninitialized + Start => Starting,                 // U1
            Uninitialized + Run => Running,                    // U2: cold start
            Uninitialized + Remove => Removed,                 // (nothing to remove)
            Uninitialized + Adopt => Ready | Paused,           // adoption at restart (D28)
            Starting + PreWarmCompleted => Started,            // S1
            Starting + Failure => Removed,                     // S2
            // Started, Ready and Paused (the superstates are below the rows).
            Idle + Run => Running,                             // T1, Y1, Z1
            Idle + Remove => Removing,                         // T2, Y3, Z2
            Warm + Release => Removed,                         // D32: left in place, as it is
            Started + Failure => Removing,                     // T3: health ping gave up
            Started + StateTimeout => Removing,                // prewarm TTL
            Running + PreWarmCompleted => Running,             // R1: the cold container
            Running + Run => Running,                          // R2, R3, R7, R8
            Running + InitCompleted => Running,                // R4
            Running + RunCompleted => Running | Ready,         // R6
            Running + Failure => Running | Draining | Removing | Removed, // R9-R12
            Ready + StateTimeout => Pausing,                   // Y2: pause grace
            Ready + Failure => Removing,                       // Y4
            Pausing + ContainerPaused => Paused,               // P1
            Pausing + Failure => Removing,                     // P2
            [Paused] + StateTimeout => Removing,               // Z2: unused timeout
            Draining + Run => Draining,                        // X1: back to the parent
            Draining + RunCompleted => Draining | Removing,    // X2
            Draining + Failure => Draining | Removing,         // X3
            Draining + Remove => Draining,                     // going already
            Draining + Release => Draining,                    // going already
            Removing + Run => Removing,                        // X1: back to the parent
            Removing + Remove => Removing,                     // going already
            Removing + Release => Removing,                    // going already
            Removing + Failure => Removing,                    // a late failure
            Removing + Destroyed => Removed,                   // X4
            Removing + DestroyFailed => Removing | Removed,    // retried, then reported
        }
        superstates {
            /// Up and idle, with no run in flight: a prewarm, or a warm container.
            /// A run starts it, a removal destroys it.
            Idle: [Started, Warm],
            /// Initialized and idle, paused or not: a release leaves it in place
            /// for a later pool to adopt (D32).
            Warm: [Ready, Paused],
        }
        timeouts {
            Started after cx.prewarm_ttl() => StateTimeout,
            Ready after cx.config().pause_grace => StateTimeout,
            Paused after cx.config().unused_timeout => StateTimeout,
        }
        defer {
            Starting: [Run, Remove],
            Running: [Remove, StateTimeout, Release],
            Pausing: [Run, Remove, Release],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ContainerProxyAny;

    /// The superstates stand for exactly the rows upstream has per idle state (T1,
    /// Y1, Z1 for a run; T2, Y3, Z2 for a removal; D32 for a release), and nothing
    /// else of the table changed: every other state keeps its own row or deferral.
    #[test]
    fn the_idle_superstates_stand_for_the_rows_of_started_ready_and_paused() {
        let meta = ContainerProxyAny::META;
        let via = |state: &str, event: &str| meta.rows_for(state, event).map(|r| r.via).collect::<Vec<_>>();
        for state in ["Started", "Ready", "Paused"] {
            assert!(meta.is_in(state, "Idle"), "{state}");
            assert_eq!(via(state, "Run"), [Some("Idle")], "{state}");
            assert_eq!(meta.targets(state, "Run"), Some(&["Running"][..]));
            assert_eq!(via(state, "Remove"), [Some("Idle")], "{state}");
            assert_eq!(meta.targets(state, "Remove"), Some(&["Removing"][..]));
        }
        for state in ["Ready", "Paused"] {
            assert_eq!(via(state, "Release"), [Some("Warm")], "{state}");
            assert_eq!(meta.targets(state, "Release"), Some(&["Removed"][..]));
        }
        assert!(meta.targets("Started", "Release").is_none());
        for state in ["Starting", "Running", "Pausing"] {
            assert!(meta.defers(state, "Remove") && meta.targets(state, "Remove").is_none(), "{state}");
        }
        assert_eq!(via("Draining", "Remove"), [None]);
        assert_eq!(via("Uninitialized", "Remove"), [None]);
        assert_eq!(meta.rows.iter().filter(|r| r.via.is_some()).count(), 8);
    }
}
