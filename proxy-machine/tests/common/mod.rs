//! What the driver's test files share: notices as text, and letting the driver run.

use std::fmt::Display;

use proxy_machine::driver::Notice;
use proxy_machine::driver::NoticeReceiver;
use tokio::time::Instant;

/// The notices so far, as text, with the time of each transition since `start`;
/// an unhandled event is shown by `describe`.
pub(crate) fn drain<E, O: Display>(
    notices: &mut NoticeReceiver<E, O>,
    start: Instant,
    describe: impl Fn(&E) -> String,
) -> Vec<String> {
    let mut seen = Vec::new();
    while let Ok(notice) = notices.try_recv() {
        seen.push(match notice {
            Notice::Message(m) => m.to_string(),
            Notice::Transition(t) => {
                format!("{} -{}-> {} @{}s", t.from, t.event, t.to, (t.at - start).as_secs())
            }
            Notice::Unhandled { state, event } => format!("unhandled {} in {state}", describe(&event)),
            Notice::EffectPanicked { state } => format!("panic in {state}"),
            Notice::Stopped { state, reason } => format!("stopped in {state}: {reason:?}"),
        });
    }
    seen
}

/// Lets the driver task run until it waits again.
pub(crate) async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}
