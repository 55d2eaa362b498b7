// `initial` names a terminal state: one error saying so, not one "unreachable" per
// other state.
use proxy_machine::lifecycle;

lifecycle! {
    machine Job {
        initial: Done;
        terminal: [Done];
        states { Queued, Running, Done }
        events { Start, Finish }
        transitions { Queued + Start => Running, Running + Finish => Done }
    }
}

fn main() {}
