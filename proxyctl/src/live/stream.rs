//! What the live view streams: the board's whole snapshot, then each of its updates,
//! and a fresh snapshot whenever the subscriber fell behind.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::stream::{self, Stream};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use crate::board::{Board, Snapshot, Update};

/// How often a quiet stream checks whether the server is draining: an open stream
/// is an open request, which the drain would otherwise wait 5 s for.
const STOP_POLL: Duration = Duration::from_millis(250);

/// The board at one instant, tagged for the page like an [`Update`] (`type`:
/// `snapshot`), with the server's clock so that the page can show how long each
/// container has been in its state whatever the browser's clock says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveSnapshot {
    /// Always `snapshot`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The server's clock, ms since the epoch.
    pub now_ms: u64,
    /// The board.
    #[serde(flatten)]
    pub board: Snapshot,
}

impl LiveSnapshot {
    /// `board` now.
    pub fn of(board: &Board) -> LiveSnapshot {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        LiveSnapshot { kind: "snapshot", now_ms, board: board.snapshot() }
    }
}

/// One message of the stream.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Message {
    /// The whole board: first, and again after falling behind.
    Snapshot(LiveSnapshot),
    /// One change.
    Update(Update),
}

/// The board's messages until the board goes or `stopping` says so: a snapshot, then
/// every update. A subscriber that falls more than the board's backlog behind
/// (`Lagged`) is not told the updates it missed, which would be older than what it
/// may already have shown: it subscribes afresh and gets a new snapshot, so the page
/// is never left showing a state that was lost.
pub fn messages(
    board: Arc<Board>,
    stopping: impl Fn() -> bool + Send + Sync + 'static,
) -> impl Stream<Item = Message> + Send + 'static {
    // Subscribed before the snapshot is taken, so that nothing falls between them
    // (an update both in the snapshot and after it is harmless: each carries the
    // whole view of its container, or the whole stats).
    let start = |board: &Board| (board.subscribe(), Message::Snapshot(LiveSnapshot::of(board)));
    let (updates, first) = start(&board);
    let state = (board, updates, Some(first), stopping);
    stream::unfold(state, move |(board, mut updates, first, stopping)| async move {
        if let Some(first) = first {
            return Some((first, (board, updates, None, stopping)));
        }
        loop {
            if stopping() {
                return None;
            }
            let next = tokio::time::timeout(STOP_POLL, updates.recv()).await;
            match next {
                Err(_quiet) => continue,
                Ok(Ok(update)) => return Some((Message::Update(update), (board, updates, None, stopping))),
                Ok(Err(RecvError::Lagged(lost))) => {
                    tracing::debug!(lost, "a live view fell behind the board: sending it a fresh snapshot");
                    let (fresh, snapshot) = start(&board);
                    return Some((snapshot, (board, fresh, None, stopping)));
                }
                Ok(Err(RecvError::Closed)) => return None,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use futures_util::StreamExt as _;
    use proxy_core::pool::{PoolEvent, ProxyKey};

    use super::*;

    fn spawned(proxy: u64) -> PoolEvent {
        PoolEvent::Spawned { proxy: ProxyKey(proxy), state: "Uninitialized", at: tokio::time::Instant::now() }
    }

    fn containers(message: &Message) -> Vec<u64> {
        match message {
            Message::Snapshot(s) => s.board.containers.iter().map(|c| c.proxy).collect(),
            other => panic!("not a snapshot: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_snapshot_first_then_each_update() {
        let board = Arc::new(Board::default());
        board.apply(&spawned(1));
        let mut messages = Box::pin(messages(Arc::clone(&board), || false));
        assert_eq!(containers(&messages.next().await.unwrap()), [1]);
        board.apply(&spawned(2));
        match messages.next().await.unwrap() {
            Message::Update(Update::Container(view)) => {
                assert_eq!((view.proxy, view.state), (2, "Uninitialized"))
            }
            other => panic!("{other:?}"),
        }
        let json = serde_json::to_value(Message::Snapshot(LiveSnapshot::of(&board))).unwrap();
        assert_eq!(json["type"], "snapshot");
        assert_eq!(json["containers"].as_array().map(Vec::len), Some(2));
        assert!(json["now_ms"].as_u64().unwrap() > 0 && json["stats"]["cold"] == 0);
    }

    #[tokio::test]
    async fn falling_behind_gives_a_fresh_snapshot_not_stale_updates() {
        let board = Arc::new(Board::default());
        let mut messages = Box::pin(messages(Arc::clone(&board), || false));
        assert!(containers(&messages.next().await.unwrap()).is_empty());
        // More than the backlog while the stream is not read.
        for proxy in 0..1500 {
            board.apply(&spawned(proxy));
        }
        let fresh = messages.next().await.unwrap();
        assert_eq!(containers(&fresh).len(), 1500);
        board.apply(&spawned(9999));
        match messages.next().await.unwrap() {
            Message::Update(Update::Container(view)) => assert_eq!(view.proxy, 9999),
            other => panic!("the update after the fresh snapshot: {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_drain_ends_the_stream() {
        let board = Arc::new(Board::default());
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let mut messages = Box::pin(messages(board, move || flag.load(Ordering::SeqCst)));
        messages.next().await.unwrap();
        stop.store(true, Ordering::SeqCst);
        let ended = tokio::time::timeout(STOP_POLL * 3, messages.next()).await;
        assert_eq!(ended, Ok(None), "the stream ends within a poll of the drain");
    }
}
