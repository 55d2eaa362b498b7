// A state without data holds `()`; a state with data holds its value, reachable
// through `data()` and `data_mut()`, and handlers receive and return it.

use proxy_machine::lifecycle;

#[derive(Debug, PartialEq)]
struct Job {
    id: u32,
}

lifecycle! {
    machine Worker {
        context: Vec<u32>;
        initial: Idle;
        states { Idle, Busy(Job) }
        events { Start, Finish }
        transitions {
            Idle + Start => Busy,
            Busy + Finish => Idle,
        }
    }
}

impl WorkerHandlers for Vec<u32> {
    fn idle_start(&mut self) -> Job {
        Job { id: self.len() as u32 + 1 }
    }

    fn busy_finish(&mut self, state: Job) {
        self.push(state.id);
    }
}

fn main() {
    let idle = Worker::new(Vec::new());
    let () = *idle.data();
    let mut busy = idle.start();
    assert_eq!(busy.data(), &Job { id: 1 });
    busy.data_mut().id = 7;
    assert_eq!(busy.state_name(), "Busy");
    let idle = busy.finish();
    assert_eq!(idle.state_name(), "Idle");
    assert_eq!(idle.context(), &[7]);
}
