//! Compile-time behaviour of `lifecycle!`: every pass case builds and runs, every fail
//! case fails with the reviewed diagnostic in its `.stderr`.
//!
//! Regenerate a `.stderr` with `TRYBUILD=overwrite cargo test -p proxy-tests --test ui`
//! and review the diff before committing it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}
