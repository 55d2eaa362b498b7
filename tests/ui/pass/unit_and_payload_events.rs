// An event without payload is a method without argument; an event with a payload
// passes it to the handler, in the typed API and through `dispatch`.

use proxy_machine::lifecycle;

lifecycle! {
    machine Counter {
        context: i64;
        initial: Counting;
        terminal: [Stopped];
        states { Counting, Stopped }
        events { Add(i64), Reset, Stop }
        transitions {
            Counting + Add => Counting,
            Counting + Reset => Counting,
            Counting + Stop => Stopped,
        }
    }
}

impl CounterHandlers for i64 {
    fn counting_add(&mut self, event: i64) {
        *self += event;
    }

    fn counting_reset(&mut self) {
        *self = 0;
    }

    fn counting_stop(&mut self) {}
}

fn main() {
    let counter = Counter::new(0).add(2).add(40);
    assert_eq!(*counter.context(), 42);
    let counter = counter.reset().add(5);
    assert_eq!(*counter.context(), 5);

    let mut any = counter.into_any();
    for event in [CounterEvent::Add(10), CounterEvent::Reset, CounterEvent::Add(3), CounterEvent::Stop] {
        any.dispatch(event).expect("every event is legal while counting");
    }
    assert_eq!(*any.context(), 3);
    assert_eq!(any.state_name(), "Stopped");
    assert_eq!(CounterEvent::Add(1).name(), "Add");
    assert_eq!(CounterEvent::Reset.name(), "Reset");
}
