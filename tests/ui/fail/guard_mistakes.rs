// Every other guard mistake, all reported in one build, each on its token: a guard
// named like a handler, a guard for two events of different payloads, a guarded row
// with alternatives, and alternatives on the fallback of guarded rows.

use proxy_machine::lifecycle;

lifecycle! {
    machine Job {
        initial: Ready;
        terminal: [Done];
        states { Ready, Running, Queued, Done }
        events { Run(u32), Stop(String), Pause }
        transitions {
            Ready + Run if running_stop => Running,
            Ready + Run if fits => Queued,
            Ready + Run => Queued,
            Running + Stop if fits => Done,
            Running + Stop => Done,
            Queued + Pause if tired => Running | Done,
            Queued + Pause => Queued,
            Running + Pause if tired => Queued,
            Running + Pause => Running | Done,
            Queued + Stop => Done,
        }
    }
}

fn main() {}
