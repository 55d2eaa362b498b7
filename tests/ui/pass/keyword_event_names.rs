// Events whose snake-case names are Rust keywords: methods become raw identifiers
// (`r#move`, `r#type`, `r#loop`, `r#async`), `Crate` becomes `crate_` (a path
// keyword cannot be raw), and handlers (`idle_move`) are not keywords at all.

use proxy_machine::lifecycle;

lifecycle! {
    machine Piece {
        context: Vec<&'static str>;
        initial: Idle;
        terminal: [Gone];
        states { Idle, Moved, Gone }
        events { Move, Type, Loop, Async, Crate }
        transitions {
            Idle + Move => Moved,
            Moved + Type => Idle,
            Moved + Loop => Moved,
            Idle + Async => Idle,
            [Idle, Moved] + Crate => Gone,
        }
    }
}

impl PieceHandlers for Vec<&'static str> {
    fn idle_move(&mut self) {
        self.push("move");
    }

    fn moved_type(&mut self) {
        self.push("type");
    }

    fn moved_loop(&mut self) {
        self.push("loop");
    }

    fn idle_async(&mut self) {
        self.push("async");
    }

    fn idle_crate(&mut self) {
        self.push("crate idle");
    }

    fn moved_crate(&mut self) {
        self.push("crate moved");
    }
}

fn main() {
    let piece = Piece::new(Vec::new()).r#async().r#move().r#loop().r#type().r#move();
    let gone = piece.crate_();
    assert_eq!(gone.context(), &["async", "move", "loop", "type", "move", "crate moved"]);

    let mut any = Piece::new(Vec::new()).into_any();
    for event in [PieceEvent::Move, PieceEvent::Type, PieceEvent::Crate] {
        any.dispatch(event).unwrap();
    }
    assert_eq!(any.state_name(), "Gone");
    assert_eq!(PieceEvent::Type.name(), "Type");
}
