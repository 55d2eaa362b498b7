//! The pool's feed (upstream's `MessageFeed` and its `Processed`): callers hand the
//! pool activations through a bounded number of permits, and a run gives its permit
//! back when it leaves the pool's hands, that is when it is sent to a container.
//!
//! A permit travels with its run through the pool's mailbox and buffer (`Fed`);
//! dropping it is upstream's `MessageFeed.Processed`. Runs the pool moves itself
//! (the buffer's head resent, a job a proxy hands back) carry none: they were
//! admitted once already. So at most [`PoolConfig::feed_permits`] runs from
//! callers wait in the mailbox and the buffer together, and a caller finds out
//! that the pool is full by waiting ([`PoolHandle::submit`]) or by getting its run
//! back ([`PoolHandle::try_submit`]); no activation is dropped.
//!
//! Deviation (UPSTREAM.md D29): upstream's pool sends `Processed` from
//! `processBufferOrFeed` when a container offers capacity (`NeedWork`) or goes
//! away (`ContainerRemoved`) and the buffer is empty, one message per event and
//! not per run, so the feed's count counts runs in flight too and drifts when
//! offers and runs do not pair up (PR #2319). Here the count is exact, one permit
//! per run, and bounds only what waits: runs in flight are bounded by the memory
//! budget already.
//!
//! [`PoolConfig::feed_permits`]: super::PoolConfig::feed_permits
//! [`PoolHandle::submit`]: super::PoolHandle::submit
//! [`PoolHandle::try_submit`]: super::PoolHandle::try_submit

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

use crate::container::Run;

/// Upstream's `MemoryLimit.MIN_MEMORY` (128 MB): the smallest container, by which
/// upstream divides the pool's memory to size its feed.
pub const MIN_CONTAINER_MEMORY_MB: u64 = 128;

/// The feed's size when none is configured: upstream's `maximumContainers`
/// (`userMemory / MIN_MEMORY`), the most containers the budget holds, which with
/// upstream's default concurrency limit of 1 is also its `maxPeek`. At least 1.
///
/// ```
/// use proxy_core::pool::feed::default_feed_permits;
/// assert_eq!(default_feed_permits(1024), 8);
/// assert_eq!(default_feed_permits(100), 1);
/// ```
pub fn default_feed_permits(user_memory_mb: u64) -> usize {
    usize::try_from(user_memory_mb / MIN_CONTAINER_MEMORY_MB)
        .unwrap_or(usize::MAX)
        .clamp(1, Semaphore::MAX_PERMITS)
}

/// The pool has stopped (or is shutting down): the job is given back.
#[derive(Debug, thiserror::Error)]
#[error("the container pool has stopped; activation {} was not taken", .0.msg.activation_id)]
pub struct PoolStopped(pub Run);

/// Why [`PoolHandle::try_submit`](super::PoolHandle::try_submit) did not take a
/// job; either way the job is given back.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Every permit of the feed is out: retry once the pool has sent some run to a
    /// container (or wait for that with [`PoolHandle::submit`](super::PoolHandle::submit)).
    #[error("the container pool is full; activation {} was not taken, retry later", .0.msg.activation_id)]
    Full(Run),
    /// The pool has stopped or is shutting down.
    #[error("the container pool has stopped; activation {} was not taken", .0.msg.activation_id)]
    Stopped(Run),
}

impl SubmitError {
    /// The job that was not taken.
    pub fn into_run(self) -> Run {
        match self {
            SubmitError::Full(run) | SubmitError::Stopped(run) => run,
        }
    }
}

impl From<PoolStopped> for SubmitError {
    fn from(PoolStopped(run): PoolStopped) -> Self {
        SubmitError::Stopped(run)
    }
}

/// A run in the pool's mailbox or buffer, with the permit of the caller who
/// submitted it, if a caller did (`None`: the pool moves it itself).
#[derive(Debug)]
pub(super) struct Fed {
    pub(super) run: Run,
    pub(super) permit: Option<OwnedSemaphorePermit>,
}

impl Fed {
    /// A run the pool moves itself: it holds no permit.
    pub(super) fn internal(run: Run) -> Self {
        Fed { run, permit: None }
    }
}

/// The callers' side of the feed: the permits.
#[derive(Debug, Clone)]
pub(super) struct Feed {
    permits: Arc<Semaphore>,
}

impl Feed {
    pub(super) fn new(permits: usize) -> Self {
        Feed { permits: Arc::new(Semaphore::new(permits.clamp(1, Semaphore::MAX_PERMITS))) }
    }

    /// Waits for a permit for `run`; fails, giving it back, once the feed is closed.
    pub(super) async fn admit(&self, run: Run) -> Result<Fed, PoolStopped> {
        match self.permits.clone().acquire_owned().await {
            Ok(permit) => Ok(Fed { run, permit: Some(permit) }),
            Err(_closed) => Err(PoolStopped(run)),
        }
    }

    /// A permit for `run` if one is free now.
    pub(super) fn try_admit(&self, run: Run) -> Result<Fed, SubmitError> {
        match self.permits.clone().try_acquire_owned() {
            Ok(permit) => Ok(Fed { run, permit: Some(permit) }),
            Err(TryAcquireError::NoPermits) => Err(SubmitError::Full(run)),
            Err(TryAcquireError::Closed) => Err(SubmitError::Stopped(run)),
        }
    }

    /// Permits free now.
    pub(super) fn room(&self) -> usize {
        self.permits.available_permits()
    }

    /// Admits no run any more: waiting callers get theirs back.
    pub(super) fn close(&self) {
        self.permits.close();
    }
}
