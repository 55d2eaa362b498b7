// The handlers of a guarded pair and its guard are methods of the handlers trait:
// leaving out the guard is an E0046 that names it.

use proxy_machine::lifecycle;

lifecycle! {
    machine Job {
        context: ();
        initial: Ready;
        terminal: [Done];
        states { Ready, Running, Done }
        events { Run(u32), Stop }
        transitions {
            Ready + Run if fits => Running,
            Ready + Run => Ready,
            Running + Stop => Done,
        }
    }
}

impl JobHandlers for () {
    fn ready_run_if_fits(&mut self, _event: u32) {}
    fn ready_run(&mut self, _event: u32) {}
    fn running_stop(&mut self) {}
}

fn main() {}
