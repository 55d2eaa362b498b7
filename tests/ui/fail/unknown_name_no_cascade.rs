// A name used in a row but not declared, without a close match: one error, on the
// name, and nothing about the handler or the method the row would have generated.
use proxy_machine::lifecycle;

lifecycle! {
    machine Job {
        initial: Queued;
        terminal: [Done];
        states { Queued, Running, Paused, Done }
        events { Start, Finish, Resume }
        transitions {
            Queued + Start => Running,
            Running + Pause => Paused,
            Paused + Resume => Running,
            Running + Finish => Done,
            Paused + Finish => Shelved,
        }
    }
}

impl JobHandlers for () {
    fn queued_start(&mut self) {}
    fn running_pause(&mut self) {}
    fn paused_resume(&mut self) {}
    fn running_finish(&mut self) {}
    fn paused_finish(&mut self) {}
}

fn main() {
    let running = Job::new(()).start();
    let _shelved = running.pause().finish();
}
