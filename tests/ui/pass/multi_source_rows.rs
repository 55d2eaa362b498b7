// `[A, B] + Event => Target` is one row per source, each with its own handler.

use proxy_machine::lifecycle;

lifecycle! {
    machine Door {
        context: Vec<&'static str>;
        initial: Closed;
        terminal: [Broken];
        states { Closed, Open, Broken }
        events { Push, Pull, Kick }
        transitions {
            Closed + Push => Open,
            Open + Pull => Closed,
            [Closed, Open] + Kick => Broken,
        }
    }
}

impl DoorHandlers for Vec<&'static str> {
    fn closed_push(&mut self) {
        self.push("push");
    }

    fn open_pull(&mut self) {
        self.push("pull");
    }

    fn closed_kick(&mut self) {
        self.push("kick closed");
    }

    fn open_kick(&mut self) {
        self.push("kick open");
    }
}

fn main() {
    let broken = Door::new(Vec::new()).kick();
    assert_eq!(broken.state_name(), "Broken");
    assert_eq!(broken.context(), &["kick closed"]);

    let broken = Door::new(Vec::new()).push().kick();
    assert_eq!(broken.context(), &["push", "kick open"]);

    let rows: Vec<_> = DoorAny::META.rows.iter().filter(|r| r.event == "Kick").map(|r| r.source).collect();
    assert_eq!(rows, ["Closed", "Open"]);
}
