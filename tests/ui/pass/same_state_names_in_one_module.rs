// Two machines in one module, declared by two calls, with the same state and event
// names: every generated item is prefixed or namespaced by the machine, so nothing
// clashes, not even the handler methods of one context implementing both traits.

use proxy_machine::lifecycle;

lifecycle! {
    machine Printer {
        context: Cx;
        initial: Idle;
        states { Idle, Busy }
        events { Start, Stop }
        transitions {
            Idle + Start => Busy,
            Busy + Stop => Idle,
        }
    }
}

lifecycle! {
    machine Scanner {
        context: Cx;
        initial: Idle;
        states { Idle, Busy }
        events { Start, Stop }
        transitions {
            Idle + Start => Busy,
            Busy + Stop => Idle,
        }
    }
}

struct Cx;

impl PrinterHandlers for Cx {
    fn idle_start(&mut self) {}
    fn busy_stop(&mut self) {}
}

impl ScannerHandlers for Cx {
    fn idle_start(&mut self) {}
    fn busy_stop(&mut self) {}
}

fn main() {
    let printer: Printer<printer::Busy> = Printer::new(Cx).start();
    let scanner: Scanner<scanner::Idle> = Scanner::new(Cx).start().stop();
    assert_eq!(printer.state_name(), "Busy");
    assert_eq!(scanner.state_name(), "Idle");
    assert_eq!((PrinterAny::META.name, ScannerAny::META.name), ("Printer", "Scanner"));
}
