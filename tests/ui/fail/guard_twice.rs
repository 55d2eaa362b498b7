// The same guard twice for one pair: the second row would never be taken.

use proxy_machine::lifecycle;

lifecycle! {
    machine Job {
        initial: Ready;
        terminal: [Done];
        states { Ready, Running, Queued, Done }
        events { Run, Stop }
        transitions {
            Ready + Run if fits => Running,
            Ready + Run if fits => Queued,
            Ready + Run => Queued,
            [Running, Queued] + Stop => Done,
        }
    }
}

fn main() {}
