// One `lifecycle!` call may declare several machines; they may share state names.

use proxy_machine::lifecycle;

lifecycle! {
    /// The first.
    machine Light {
        initial: Off;
        states { Off, On }
        events { Toggle }
        transitions {
            Off + Toggle => On,
            On + Toggle => Off,
        }
    }

    /// The second.
    machine Fan {
        initial: Off;
        terminal: [On];
        states { Off, On }
        events { Toggle }
        transitions { Off + Toggle => On }
    }
}

impl LightHandlers for () {
    fn off_toggle(&mut self) {}
    fn on_toggle(&mut self) {}
}

impl FanHandlers for () {
    fn off_toggle(&mut self) {}
}

fn main() {
    let light = Light::new(()).toggle().toggle();
    assert_eq!(light.state_name(), "Off");
    let fan = Fan::new(()).toggle().into_any();
    assert!(fan.is_terminal());
    assert_eq!(LightAny::META.doc, "The first.");
    assert_eq!(FanAny::META.doc, "The second.");
}
