// An initial state with data: `new` takes the context and the state's data.

use proxy_machine::lifecycle;

lifecycle! {
    machine Session {
        context: ();
        initial: Active;
        terminal: [Ended];
        states { Active(String), Ended }
        events { End }
        transitions { Active + End => Ended }
    }
}

impl SessionHandlers for () {
    fn active_end(&mut self, state: String) {
        assert_eq!(state, "alice");
    }
}

fn main() {
    let active = Session::new((), "alice".to_owned());
    assert_eq!(active.data(), "alice");
    let ended = active.end();
    assert_eq!(ended.state_name(), "Ended");
}
