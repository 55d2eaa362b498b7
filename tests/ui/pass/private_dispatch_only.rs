// Lint hygiene of a private machine driven only through `dispatch`: the event
// methods, the typed handles' accessors and the `...Next` enums are never called by
// the user, the event `Reset` is never built, the handler of `Idle + Reset` never
// chooses `Stopped`, and `Busy` accepts every event (its hidden per-state trait is
// never named). None of that may
// warn under `deny(warnings)`; only generated items get an `allow`, so the user's own
// dead code still warns (not tested here: the case must build).
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
            events { Work(u8), Tick, Stop, Reset }
            transitions {
                Idle + Work => Busy,
                Idle + Reset => Idle | Stopped,
                Busy + Reset => Idle,
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
        fn idle_reset(&mut self) -> WorkerIdleReset {
            WorkerIdleReset::Idle
        }
        fn busy_reset(&mut self, _state: u8) {}
    }

    pub(crate) fn run() -> &'static str {
        let mut machine = WorkerAny::from(Worker::new(5));
        for event in [WorkerEvent::Work(3), WorkerEvent::Work(1)] {
            // A rejection leaves the machine where it was.
            let _ = machine.dispatch(event);
        }
        if let Some((_, tick)) = machine.timeout() {
            let _ = machine.dispatch(tick);
        }
        let _ = machine.dispatch(WorkerEvent::Stop);
        machine.state_name()
    }
}

mod generic {
    use proxy_machine::lifecycle;

    lifecycle! {
        machine Slot<T> {
            context: Vec<T>;
            initial: Empty;
            states { Empty, Full(T) }
            events { Put(T), Take }
            transitions { Empty + Put => Full, Full + Take => Empty, Full + Put => Full }
        }
    }

    impl<T> SlotHandlers<T> for Vec<T> {
        fn empty_put(&mut self, event: T) -> T {
            event
        }
        fn full_take(&mut self, state: T) {
            self.push(state);
        }
        fn full_put(&mut self, state: T, event: T) -> T {
            self.push(state);
            event
        }
    }

    pub(crate) fn run() -> usize {
        let mut machine = SlotAny::from(Slot::new(Vec::new()));
        let _ = machine.dispatch(SlotEvent::Put(1));
        let _ = machine.dispatch(SlotEvent::Take);
        machine.context().len()
    }
}

fn main() {
    assert_eq!(worker::run(), "Stopped");
    assert_eq!(generic::run(), 1);
}
