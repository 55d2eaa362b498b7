//! A machine defined in a library, for the tests in `proxy-tests` that use it from
//! another crate (the illegal-transition diagnostic must read the same there), and a
//! re-export of the framework under another name, as `proxy_core::machine` is: this
//! crate has no `proxy_machine` in scope, so it builds only because `lifecycle!`
//! names its runtime by the path it was called through.

#![deny(warnings)]

/// The framework, re-exported: `proxy_tests_library::machine::lifecycle!`.
pub use framework as machine;

machine::lifecycle! {
    /// A print job.
    pub machine Job {
        context: Pages;
        initial: Queued;
        terminal: [Done];
        states {
            /// Waiting for the printer.
            Queued,
            /// Printing.
            Printing,
            /// Held by the user.
            Paused,
            /// Printed.
            Done,
        }
        events {
            /// The printer took the job.
            Start,
            /// The user held it.
            Pause,
            /// The user let it go on.
            Resume,
            /// The last page came out.
            Finished,
        }
        transitions {
            Queued + Start => Printing,
            Printing + Pause => Paused,
            Paused + Resume => Printing,
            Printing + Finished => Done,
        }
    }
}

/// The pages printed so far.
#[derive(Debug, Default)]
pub struct Pages(pub u32);

impl JobHandlers for Pages {
    fn queued_start(&mut self) {}
    fn printing_pause(&mut self) {}
    fn paused_resume(&mut self) {}
    fn printing_finished(&mut self) {
        self.0 += 1;
    }
}
