// A guard on a wildcard row is not supported: the error says so and how to write it.

use proxy_machine::lifecycle;

lifecycle! {
    machine Job {
        initial: Ready;
        terminal: [Done];
        states { Ready, Running, Done }
        events { Run, Stop }
        transitions {
            Ready + Run => Running,
            _ + Stop if allowed => Done,
        }
    }
}

fn main() {}
