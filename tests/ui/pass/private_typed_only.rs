// Lint hygiene of a private machine driven only through the typed API: the runtime
// enums, `dispatch`, `META`, the diagrams and the accessors are never used, and some
// events are raised in no state the user reaches. None of that may warn under
// `deny(warnings)`.
// trybuild builds pass cases with `-A dead_code`; the attribute turns it back on.
#![deny(warnings, dead_code)]

mod worker {
    use std::time::Duration;

    use proxy_machine::lifecycle;

    lifecycle! {
        machine Worker {
            context: u32;
            initial: Idle;
            terminal: [Stopped];
            states { Idle, Busy(u8), Stopped }
            events { Work(u8), Tick, Stop }
            transitions {
                Idle + Work => Busy,
                Busy + Work => Busy | Idle,
                Busy + Tick => Idle,
                [Idle, Busy] + Stop => Stopped,
            }
            timeouts { Busy after Duration::from_millis(u64::from(*cx)) => Tick }
            defer { Idle: [Tick] }
        }
    }

    impl WorkerHandlers for u32 {
        fn idle_work(&mut self, event: u8) -> u8 {
            event
        }
        fn busy_work(&mut self, state: u8, event: u8) -> WorkerBusyWork {
            if state > event {
                WorkerBusyWork::Busy(state - event)
            } else {
                WorkerBusyWork::Idle
            }
        }
        fn busy_tick(&mut self, _state: u8) {}
        fn idle_stop(&mut self) {}
        fn busy_stop(&mut self, _state: u8) {}
    }

    pub(crate) fn run() -> &'static str {
        let busy = Worker::new(5).work(3);
        match busy.work(1) {
            WorkerBusyWorkNext::Busy(busy) => busy.stop().state_name(),
            WorkerBusyWorkNext::Idle(idle) => idle.stop().state_name(),
        }
    }
}

fn main() {
    assert_eq!(worker::run(), "Stopped");
}
