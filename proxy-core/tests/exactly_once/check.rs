//! The invariants judged at the end of every case, from what the parent, the sink
//! and the backend saw: never from the proxy's internals.

use std::collections::BTreeSet;
use std::fmt;

use proxy_core::container::scripted::Record;
use proxy_core::container::AckKind;
use proxy_core::machine::driver::StopReason;

use super::play::{CallKind, Play, Ticket, UnderTest};
use super::story::Story;

/// Which promise a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Check {
    /// (1) Each accepted job ended exactly once: stored with its acks, or handed back.
    ExactlyOnce,
    /// (2) Every container created was destroyed, or reported as `DestroyFailed`.
    NoContainerLeft,
    /// (2, on a real engine) No container is destroyed under an activation in flight.
    NoActivationKilled,
    /// (3) The proxy stopped, or is idle in a stable state.
    StoppedOrIdle,
    /// (4) The capacity signals to the parent balance.
    CapacityBalance,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Check::ExactlyOnce => "exactly once",
            Check::NoContainerLeft => "no container left",
            Check::NoActivationKilled => "no activation killed",
            Check::StoppedOrIdle => "stopped or idle",
            Check::CapacityBalance => "capacity balance",
        })
    }
}

/// One broken promise.
#[derive(Debug, Clone)]
pub(crate) struct Violation {
    /// The promise.
    pub(crate) check: Check,
    /// What kind of breach, for telling distinct failures apart.
    pub(crate) kind: &'static str,
    /// What happened, in the domain's words.
    pub(crate) what: String,
}

/// The verdict on one case: the violations, and the story and transcript to read
/// them by.
pub(crate) struct Report {
    /// Every violation found (none: the case holds).
    pub(crate) violations: Vec<Violation>,
    story: Story,
    transcript: Vec<String>,
}

impl Report {
    /// The kinds of breach found: a failure's class.
    pub(crate) fn broken(&self) -> BTreeSet<(Check, &'static str)> {
        self.violations.iter().map(|v| (v.check, v.kind)).collect()
    }

    /// Panics, with the whole report, unless every promise held.
    pub(crate) fn assert_holds(&self) {
        assert!(self.violations.is_empty(), "{self}");
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} violation(s):", self.violations.len())?;
        for violation in &self.violations {
            writeln!(f, "  - [{}] {}", violation.check, violation.what)?;
        }
        writeln!(f, "story (paste into a named test):\n{:?}", self.story)?;
        writeln!(f, "transcript (> parent to proxy, < proxy to parent, # backend, $ sink, : state):")?;
        for line in &self.transcript {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// Judges a played story.
pub(crate) fn judge(story: &Story, play: &Play) -> Report {
    let mut violations = Vec::new();
    let mut fail =
        |check, (kind, what): (&'static str, String)| violations.push(Violation { check, kind, what });
    for (index, under) in play.proxies.iter().enumerate() {
        let p = format!("p{index}");
        for ticket in &under.jobs {
            if let Some((kind, what)) = ending(under, ticket) {
                fail(Check::ExactlyOnce, (kind, format!("{p}: {what}")));
            }
        }
        for (kind, what) in containers(under) {
            fail(Check::NoContainerLeft, (kind, format!("{p}: {what}")));
        }
        // A shutdown whose grace ran out aborts the activations in flight, hands their
        // jobs back and destroys the container under them: that is its contract.
        let abandoned = under.seen.stopped == Some(StopReason::Shutdown);
        for (call, n) in under.seen.destroyed_under.iter().filter(|_| !abandoned) {
            let what =
                format!("{p}: the container was destroyed while {call:?} call #{} was in flight", n + 1);
            fail(Check::NoActivationKilled, ("destroyed under an activation", what));
        }
        let seen = &under.seen;
        if seen.stopped.is_none() && !["Uninitialized", "Started", "Ready", "Paused"].contains(&seen.state) {
            let what = format!("{p}: still in {} after the final phase", seen.state);
            fail(Check::StoppedOrIdle, ("stuck", what));
        }
        for (kind, what) in capacity(under) {
            fail(Check::CapacityBalance, (kind, format!("{p}: {what}")));
        }
    }
    if play.unsettled {
        let what = "the proxies never stopped moving (a settle ran out of rounds)".to_string();
        fail(Check::StoppedOrIdle, ("never settles", what));
    }
    Report { violations, story: story.clone(), transcript: play.transcript.clone() }
}

/// How one job ended, if not exactly once (stored with the acks its kind calls
/// for, or handed back).
fn ending(under: &UnderTest, ticket: &Ticket) -> Option<(&'static str, String)> {
    let id = &ticket.id;
    let all = under.sink.records();
    let records: Vec<&Record> = all
        .iter()
        .filter(|r| match r {
            Record::Ack { activation_id, .. } | Record::Store { activation_id, .. } => activation_id == id,
        })
        .collect();
    let stores = records.iter().filter(|r| matches!(r, Record::Store { .. })).count();
    let hand_backs = under.seen.handed_back.get(id).copied().unwrap_or(0);
    if !ticket.accepted {
        return (stores + hand_backs + records.len() > 0).then(|| {
            (
                "refused yet ended",
                format!("{id} was refused by `send`, yet the proxy stored or handed it back"),
            )
        });
    }
    match (stores, hand_backs) {
        (0, 0) if records.is_empty() => {
            Some(("lost", format!("{id} was accepted and never ended: neither stored nor handed back")))
        }
        (0, 0) => {
            let what =
                format!("{id} was acknowledged ({}) but never stored nor handed back", shape(&records));
            Some(("acked, never stored", what))
        }
        (1, 0) => acks(under, ticket, &records).map(|what| ("wrong acks", what)),
        (0, 1) if records.is_empty() => None,
        (0, 1) => {
            Some(("acked and handed back", format!("{id} was handed back after acks ({})", shape(&records))))
        }
        (0, n) => Some(("handed back twice", format!("{id} was handed back {n} times"))),
        (s, 0) => Some(("stored twice", format!("{id} was stored {s} times"))),
        (s, n) => Some((
            "stored and handed back",
            format!("{id} was stored {s} time(s) AND handed back {n} time(s)"),
        )),
    }
}

/// A stored job's records must be one of the ack plans, then the store: the plan
/// of its kind (`AckKind::plan`), the plan without logs (aborted before it ran),
/// or the combined ack of a failed cold create (upstream acks it so whatever the
/// blocking flag).
fn acks(under: &UnderTest, ticket: &Ticket, records: &[&Record]) -> Option<String> {
    let flat = |(before, after): (Option<AckKind>, Option<AckKind>)| -> Vec<AckKind> {
        before.into_iter().chain(after).collect()
    };
    let allowed = [
        flat(AckKind::plan(ticket.blocking, under.spec.logs)),
        flat(AckKind::plan(ticket.blocking, false)),
        vec![AckKind::CombinedCompletionAndResult],
    ];
    let (last, before) = records.split_last()?;
    let kinds: Option<Vec<AckKind>> = before
        .iter()
        .map(|r| match r {
            Record::Ack { kind, .. } => Some(*kind),
            Record::Store { .. } => None,
        })
        .collect();
    let fits = matches!(last, Record::Store { .. }) && kinds.is_some_and(|kinds| allowed.contains(&kinds));
    (!fits).then(|| {
        format!(
            "{} ({}) was stored with the wrong acknowledgements: {}",
            ticket.id,
            if ticket.blocking { "blocking" } else { "non-blocking" },
            shape(records)
        )
    })
}

fn shape(records: &[&Record]) -> String {
    let parts: Vec<String> = records
        .iter()
        .map(|r| match r {
            Record::Ack { kind, .. } => format!("ack {kind:?}"),
            Record::Store { .. } => "store".into(),
        })
        .collect();
    parts.join(", ")
}

/// Every container made was destroyed (once it worked) or reported as left behind.
fn containers(under: &UnderTest) -> Vec<(&'static str, String)> {
    let script = &under.factory.script;
    let (created, destroyed) =
        (under.plan.worked(script, CallKind::Create), under.plan.worked(script, CallKind::Destroy));
    let reported = under.seen.destroy_failed;
    let mut found = Vec::new();
    if created > 1 {
        found.push(("two containers", format!("{created} containers were created for one proxy")));
    }
    // Past a shutdown's grace, a create still in flight was aborted (the container,
    // if the engine made one, is unknown to the proxy) and the destroy the proxy
    // starts on its own task has no one to report to: what is left is the backend's
    // cleanup at shutdown to remove, as upstream's.
    let abandoned = under.seen.stopped == Some(StopReason::Shutdown);
    if created > 0 && destroyed == 0 && reported == 0 && !abandoned {
        found.push((
            "left undestroyed",
            "the container was left undestroyed and not reported as DestroyFailed".into(),
        ));
    }
    if destroyed > 0 && reported > 0 {
        found.push((
            "destroyed yet reported",
            "DestroyFailed was reported for a container that was destroyed".into(),
        ));
    }
    if reported > 1 {
        found.push(("reported twice", format!("DestroyFailed was reported {reported} times")));
    }
    if created == 0 && reported > 0 {
        found.push((
            "reported, never created",
            "DestroyFailed was reported, but no container was ever created".into(),
        ));
    }
    found
}

/// At most one removal signal, exactly one once a proxy that took work stopped, only hand-backs
/// after it, at most one prewarm offer, and never more warm offers than
/// activations finished.
fn capacity(under: &UnderTest) -> Vec<(&'static str, String)> {
    let seen = &under.seen;
    let mut found = Vec::new();
    if seen.removal_signals > 1 {
        let what =
            format!("{} removal signals (ContainerRemoved or RescheduleJob) were sent", seen.removal_signals);
        found.push(("two removal signals", what));
    }
    if seen.stopped.is_some() && seen.removal_signals == 0 && seen.took_work {
        found.push((
            "no removal signal",
            "the proxy stopped without a ContainerRemoved or RescheduleJob".into(),
        ));
    }
    for message in &seen.after_removal {
        found.push(("message after removal", format!("{message} came after the removal signal")));
    }
    if seen.prewarm_offers > 1 {
        found.push((
            "prewarm offered twice",
            format!("the prewarm was offered {} times", seen.prewarm_offers),
        ));
    }
    for (offers, finished) in &seen.over_offers {
        let what = format!("{offers} warm slots were offered with only {finished} activation(s) finished");
        found.push(("over-offer", what));
    }
    found
}
