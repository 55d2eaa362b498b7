// A terminal state is never left, so what it defers would never be replayed.
use proxy_machine::lifecycle;

lifecycle! {
    machine Job {
        initial: Queued;
        terminal: [Done];
        states { Queued, Done }
        events { Finish, Poke }
        transitions { Queued + Finish => Done, Queued + Poke => Queued }
        defer { Done: [Poke] }
    }
}

impl JobHandlers for () {
    fn queued_finish(&mut self) {}
    fn queued_poke(&mut self) {}
}

fn main() {}
