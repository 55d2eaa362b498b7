// A payload that is not `Send` (an `Rc`) on a machine given to the driver, which
// runs it on a tokio task: the error names the event and says what to change.

use std::rc::Rc;

use proxy_machine::driver::{self, Driven, Effects};
use proxy_machine::lifecycle;

#[derive(Default)]
pub struct Cx {
    effects: Effects<ChatEvent, ()>,
}

lifecycle! {
    pub machine Chat {
        context: Cx;
        initial: Idle;
        states { Idle, Talking }
        events { Hello(Rc<String>), Bye }
        transitions { Idle + Hello => Talking, Talking + Bye => Idle }
    }
}

impl ChatHandlers for Cx {
    fn idle_hello(&mut self, _event: Rc<String>) {}
    fn talking_bye(&mut self) {}
}

impl Driven for ChatAny {
    type Output = ();
    fn effects(context: &mut Cx) -> &mut Effects<ChatEvent, ()> {
        &mut context.effects
    }
}

// Type-checked, never run: the uses of the driver add no error of their own.
pub fn start() -> driver::Running<ChatAny> {
    driver::spawn(ChatAny::from(Chat::new(Cx::default()))).0
}

fn main() {}
