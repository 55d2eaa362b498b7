// An unguarded row before a guarded one of the same pair: it is always taken, so
// the guarded row after it would never be tried. One error, on the shadowed row.

use proxy_machine::lifecycle;

lifecycle! {
    machine Job {
        initial: Ready;
        terminal: [Done];
        states { Ready, Running, Queued, Done }
        events { Run, Stop }
        transitions {
            Ready + Run => Queued,
            Ready + Run if fits => Running,
            [Running, Queued] + Stop => Done,
        }
    }
}

fn main() {}
