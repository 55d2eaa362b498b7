// `lifecycle!` through a re-export: `proxy_tests_library` re-exports the framework as
// `machine`, as `proxy_core` does, and depends on it under another name, so the
// generated code must name the runtime by the path the macro was called through
// (`$crate`), not `::proxy_machine`. The library's own machine proves it builds where
// `::proxy_machine` does not resolve; this case uses the macro and the library's
// machine from a third crate, and a timeout whose expression reads `cx`.
#![deny(warnings)]

use std::time::Duration;

use proxy_tests_library::machine;
use proxy_tests_library::{Job, JobAny, JobEvent, Pages};

mod framework {
    pub(crate) use proxy_tests_library::machine::lifecycle;
}

framework::lifecycle! {
    machine Kettle {
        context: Duration;
        initial: Cold;
        states { Cold, Boiling }
        events { Heat, Off }
        transitions { Cold + Heat => Boiling, Boiling + Off => Cold }
        timeouts { Boiling after *cx => Off }
    }
}

impl KettleHandlers for Duration {
    fn cold_heat(&mut self) {}
    fn boiling_off(&mut self) {}
}

fn main() {
    let mut kettle = KettleAny::from(Kettle::new(Duration::from_secs(3)).heat());
    let (after, event) = kettle.timeout().unwrap();
    assert_eq!((after, event.name()), (Duration::from_secs(3), "Off"));
    let turned = machine::Machine::dispatch(&mut kettle, event).unwrap();
    assert_eq!((turned.to, kettle.state_name()), ("Cold", "Cold"));

    let mut job = JobAny::from(Job::new(Pages(0)).start());
    job.dispatch(JobEvent::Finished).unwrap();
    assert_eq!((job.state_name(), job.context().0), ("Done", 1));
    assert_eq!(<JobAny as machine::Machine>::META.name, "Job");
}
