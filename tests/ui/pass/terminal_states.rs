// Terminal states: no row leaves them, `is_terminal` says so, `META.terminal` lists
// them, and every event is rejected there at run time.

use proxy_machine::lifecycle;

lifecycle! {
    machine Job {
        initial: Queued;
        terminal: [Succeeded, Failed];
        states { Queued, Succeeded, Failed }
        events { Pass, Fail }
        transitions {
            Queued + Pass => Succeeded,
            Queued + Fail => Failed,
        }
    }
}

impl JobHandlers for () {
    fn queued_pass(&mut self) {}
    fn queued_fail(&mut self) {}
}

fn main() {
    let queued = JobAny::from(Job::new(()));
    assert!(!queued.is_terminal());
    let mut failed = Job::new(()).fail().into_any();
    assert!(failed.is_terminal());
    assert_eq!(failed.state_name(), "Failed");
    let rejected = failed.dispatch(JobEvent::Pass).unwrap_err();
    assert_eq!(rejected.state, "Failed");
    assert_eq!(failed.state_name(), "Failed");
    assert_eq!(JobAny::META.terminal, ["Succeeded", "Failed"]);
}
