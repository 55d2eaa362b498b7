// A `pub(crate)` machine in a nested module is usable from anywhere in the crate,
// markers and events included.
#![deny(warnings)]

mod outer {
    pub(crate) mod inner {
        use proxy_machine::lifecycle;

        lifecycle! {
            pub(crate) machine Gate {
                context: u32;
                initial: Closed;
                terminal: [Removed];
                states { Closed, Open(u32), Removed }
                events { Open(u32), Close, Remove }
                transitions {
                    Closed + Open => Open,
                    Open + Close => Closed,
                    Closed + Remove => Removed,
                }
                timeouts {
                    Open after std::time::Duration::from_secs(u64::from(*cx)) => Close,
                }
                defer {
                    Open: [Remove],
                }
            }
        }

        impl GateHandlers for u32 {
            fn closed_open(&mut self, event: u32) -> u32 {
                *self += 1;
                event
            }

            fn open_close(&mut self, _state: u32) {}

            fn closed_remove(&mut self) {}
        }
    }
}

use outer::inner::{gate, Gate, GateAny, GateEvent};

fn main() {
    let open: Gate<gate::Open> = Gate::new(3).open(7);
    assert_eq!(*open.data(), 7);
    let mut any: GateAny = open.into_any();
    assert!(any.defers(&GateEvent::Remove));
    let (after, event) = any.timeout().unwrap();
    assert_eq!(after, std::time::Duration::from_secs(4));
    any.dispatch(event).unwrap();
    any.dispatch(GateEvent::Remove).unwrap();
    assert!(any.is_terminal());
    let _event_marker: Option<gate::event::Open> = None;
    assert!(GateAny::to_mermaid().contains("note right of Open: defers Remove"));
    assert!(GateAny::to_dot().contains("Removed [shape=doublecircle];"));
}
