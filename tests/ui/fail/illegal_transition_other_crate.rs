// An illegal transition on a machine defined in another crate reads as it does in
// the crate that defines it: table words, no generated path, no internal trait.
use proxy_tests_library::{Job, Pages};

fn main() {
    let paused = Job::new(Pages(0)).start().pause();
    let _ = paused.finished();
}
