// `defer { State: [Event] }`: `defers` is true for the listed events in that state
// only, and the compile-time note of an illegal transition mentions them.

use proxy_machine::lifecycle;

lifecycle! {
    machine Upload {
        initial: Idle;
        terminal: [Gone];
        states { Idle, Sending, Gone }
        events { Send(Vec<u8>), Done, Cancel }
        transitions {
            Idle + Send => Sending,
            Sending + Done => Idle,
            Idle + Cancel => Gone,
        }
        defer {
            Sending: [Send, Cancel],
        }
    }
}

impl UploadHandlers for () {
    fn idle_send(&mut self, _event: Vec<u8>) {}
    fn sending_done(&mut self) {}
    fn idle_cancel(&mut self) {}
}

fn main() {
    let mut machine = UploadAny::from(Upload::new(()));
    assert!(!machine.defers(&UploadEvent::Cancel));
    assert!(!machine.defers(&UploadEvent::Send(vec![1])));

    machine.dispatch(UploadEvent::Send(vec![1, 2])).unwrap();
    assert!(machine.defers(&UploadEvent::Cancel));
    assert!(machine.defers(&UploadEvent::Send(vec![3])));
    assert!(!machine.defers(&UploadEvent::Done));

    // A driver keeps deferred events and replays them once the state has changed.
    let mut kept = Vec::new();
    for event in [UploadEvent::Cancel, UploadEvent::Done] {
        if machine.defers(&event) {
            kept.push(event);
        } else {
            machine.dispatch(event).unwrap();
        }
    }
    assert_eq!(machine.state_name(), "Idle");
    for event in kept {
        machine.dispatch(event).unwrap();
    }
    assert_eq!(machine.state_name(), "Gone");

    assert_eq!(UploadAny::META.deferrals[0].state, "Sending");
    assert_eq!(UploadAny::META.deferrals[0].events, ["Send", "Cancel"]);
}
