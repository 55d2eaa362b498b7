// A pair whose rows are all guarded: when no guard holds the table says nothing,
// so the last row must be unguarded. One error, on the last guard.

use proxy_machine::lifecycle;

lifecycle! {
    machine Job {
        initial: Ready;
        terminal: [Done];
        states { Ready, Running, Done }
        events { Run, Stop }
        transitions {
            Ready + Run if fits => Running,
            Ready + Run if urgent => Running,
            Running + Stop => Done,
        }
    }
}

fn main() {}
