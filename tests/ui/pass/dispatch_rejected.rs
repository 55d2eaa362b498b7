// `dispatch` of an event the current state has no row for leaves the machine
// untouched and hands back a `Rejected` holding the event; its `Display` reads like
// the compile error of the same mistake on a typed handle.

use proxy_machine::lifecycle;

lifecycle! {
    machine Valve {
        context: u8;
        initial: Shut;
        states { Shut, Open(u8) }
        events { Open(u8), Shut }
        transitions {
            Shut + Open => Open,
            Open + Shut => Shut,
        }
    }
}

impl ValveHandlers for u8 {
    fn shut_open(&mut self, event: u8) -> u8 {
        event
    }

    fn open_shut(&mut self, state: u8) {
        *self = state;
    }
}

fn main() {
    let mut machine = Valve::new(0).open(30).into_any();
    let rejected = machine.dispatch(ValveEvent::Open(50)).unwrap_err();
    assert_eq!(rejected.to_string(), "illegal transition: `Open` does not accept `Open` (machine `Valve`)");
    assert_eq!((rejected.machine_name, rejected.state, rejected.event_name), ("Valve", "Open", "Open"));
    assert_eq!(format!("{rejected:?}"), r#"Rejected { machine: "Valve", state: "Open", event: "Open" }"#);

    assert!(matches!(rejected.into_event(), ValveEvent::Open(50)));
    match &machine {
        ValveAny::Open(handle) => assert_eq!(*handle.data(), 30),
        other => panic!("expected `Open`, got {other:?}"),
    }
    machine.dispatch(ValveEvent::Shut).unwrap();
    assert_eq!(*machine.context(), 30);

    let error: &dyn std::error::Error = &machine.dispatch(ValveEvent::Shut).unwrap_err();
    assert_eq!(error.to_string(), "illegal transition: `Shut` does not accept `Shut` (machine `Valve`)");
}
