//! Container work that outlives its proxy (deviation D36). A shutdown past its grace stops a proxy
//! at once: its container is destroyed on a task of its own (`Driven::abandon`),
//! and a create under way, which must not be cut off (the engine may have made the
//! container already), runs to its end on a task of its own too, its container
//! destroyed if the proxy is gone. No `DestroyFailed` can reach the parent any
//! more; the proxies of an invoker share one [`Teardown`] instead, which counts
//! that work and keeps the containers whose destroy gave up, so that whoever shut
//! the proxies down can wait for them and report what was left behind.
//!
//! One more gap closes here: a container made just before its proxy was stopped
//! may be on its way to the proxy (in the effect, or in an event the proxy never
//! handled) and so in no state `abandon` can see. Every container created is
//! noted as unclaimed until the proxy's table takes it (`PreWarmCompleted`); what
//! is still unclaimed once every proxy has stopped is destroyed
//! ([`Teardown::destroy_unclaimed`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::backend::{Container, ContainerId, OperationError};

/// Creates and destroys that may outlive their proxies, and the containers whose
/// destroy failed.
#[derive(Debug)]
pub struct Teardown {
    pending: watch::Sender<usize>,
    failed: Mutex<Vec<ContainerId>>,
    unclaimed: Mutex<HashMap<ContainerId, Arc<dyn Container>>>,
}

impl Default for Teardown {
    fn default() -> Self {
        Teardown {
            pending: watch::Sender::new(0),
            failed: Mutex::new(Vec::new()),
            unclaimed: Mutex::new(HashMap::new()),
        }
    }
}

impl Teardown {
    /// Runs `work` on its own task, counted until it ends; the container it names
    /// on failure is kept as left behind.
    pub(crate) fn spawn(
        self: &Arc<Self>,
        work: impl Future<Output = Result<(), (ContainerId, OperationError)>> + Send + 'static,
    ) {
        self.pending.send_modify(|n| *n += 1);
        let teardown = self.clone();
        tokio::spawn(async move {
            // Counted as ended even if `work` panics: the guard runs on unwind.
            let guard = Ended(&teardown);
            if let Err((container, error)) = work.await {
                tracing::error!(%container, %error, "destroy failed; container left behind");
                guard.0.failed.lock().unwrap_or_else(|e| e.into_inner()).push(container);
            }
        });
    }

    /// Notes `container`, just created, as on its way to its proxy.
    pub(crate) fn created(&self, container: &Arc<dyn Container>) {
        self.unclaimed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(container.id().clone(), container.clone());
    }

    /// The proxy's table has taken container `id`: its proxy destroys it.
    pub(crate) fn claim(&self, id: &ContainerId) {
        self.unclaimed.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }

    /// Destroys every container created that no proxy took, each on a task of its
    /// own (see [`Teardown::settled`]). Call it once every proxy has stopped: a
    /// running proxy may still take one.
    pub fn destroy_unclaimed(self: &Arc<Self>, attempts: u32, delay: std::time::Duration) -> usize {
        let unclaimed: Vec<_> = self.unclaimed.lock().unwrap_or_else(|e| e.into_inner()).drain().collect();
        for (id, container) in &unclaimed {
            tracing::info!(container = %id, "created but never taken by its proxy: destroying it");
            self.spawn(super::work::destroy_retried(container.clone(), false, attempts, delay));
        }
        unclaimed.len()
    }

    /// Waits until none of that work is under way, then gives the containers whose
    /// destroy failed since the last call.
    pub async fn settled(&self) -> Vec<ContainerId> {
        let mut pending = self.pending.subscribe();
        // The sender lives in `self`, so the channel cannot close while we wait.
        let _ = pending.wait_for(|n| *n == 0).await;
        self.take_failed()
    }

    /// The containers whose destroy failed since the last call, without waiting.
    pub fn take_failed(&self) -> Vec<ContainerId> {
        std::mem::take(&mut *self.failed.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// How many creates and destroys are under way.
    pub fn pending(&self) -> usize {
        *self.pending.borrow()
    }
}

struct Ended<'a>(&'a Teardown);

impl Drop for Ended<'_> {
    fn drop(&mut self) {
        self.0.pending.send_modify(|n| *n -= 1);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn failed() -> OperationError {
        OperationError::new("destroy", "engine down")
    }

    #[tokio::test(start_paused = true)]
    async fn settled_waits_for_every_destroy_and_names_the_failed_ones() {
        let teardown = Arc::new(Teardown::default());
        teardown.spawn(async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            Ok(())
        });
        teardown.spawn(async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Err((ContainerId("b".into()), failed()))
        });
        assert_eq!(teardown.pending(), 2);
        let start = tokio::time::Instant::now();
        assert_eq!(teardown.settled().await, [ContainerId("b".into())]);
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!(teardown.pending(), 0);
        assert!(teardown.settled().await.is_empty(), "reported once");
    }

    #[tokio::test]
    async fn a_destroy_that_panics_still_ends() {
        let teardown = Arc::new(Teardown::default());
        teardown.spawn(async { panic!("a backend bug") });
        tokio::time::timeout(Duration::from_secs(5), teardown.settled()).await.expect("settles");
    }
}
