// Doc comments on the machine, its states, events and rows are kept: in the
// generated items' docs and in `META`.

use proxy_machine::lifecycle;

lifecycle! {
    /// A light switch.
    ///
    /// It has two positions.
    machine Switch {
        initial: Off;
        states {
            /// No current flows.
            Off,
            /// Current flows.
            ///   Indented on purpose.
            On,
            Undocumented,
        }
        events {
            /// Flip the switch.
            Flip,
            Break,
        }
        transitions {
            /// Turning on.
            Off + Flip => On,
            On + Flip => Off,
            [Off, On] + Break => Undocumented,
            Undocumented + Flip => Undocumented,
        }
    }
}

impl SwitchHandlers for () {
    fn off_flip(&mut self) {}
    fn on_flip(&mut self) {}
    fn off_break(&mut self) {}
    fn on_break(&mut self) {}
    fn undocumented_flip(&mut self) {}
}

fn main() {
    let meta = SwitchAny::META;
    assert_eq!(meta.doc, "A light switch.\n\nIt has two positions.");
    assert_eq!(meta.states[0].doc, "No current flows.");
    assert_eq!(meta.states[1].doc, "Current flows.\n  Indented on purpose.");
    assert_eq!(meta.states[2].doc, "");
    assert_eq!(meta.events[0].doc, "Flip the switch.");
    assert_eq!(meta.events[1].doc, "");
    let on = Switch::new(()).flip();
    assert_eq!(on.state_name(), "On");
}
