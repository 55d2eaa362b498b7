// One state misspelt in three rows: three errors, each with its hint, and nothing
// else. The expansion goes on without the broken rows' names, so the code below,
// which uses the machine, raises no error of its own.

use proxy_machine::lifecycle;

lifecycle! {
    machine Job {
        initial: Queued;
        terminal: [Done];
        states { Queued, Running, Done }
        events { Start, Pause, Finish }
        transitions {
            Queued + Start => Runing,
            Runing + Pause => Queued,
            Runing + Finish => Done,
        }
    }
}

impl JobHandlers for () {
    fn queued_start(&mut self) {}
    fn running_pause(&mut self) {}
    fn running_finish(&mut self) {}
}

fn main() {
    let queued: Job<job::Queued> = Job::new(());
    let running = queued.start();
    let done: Job<job::Done> = running.finish();
    let _: JobAny = done.into_any();
}
