//! Moving a machine out of its place and the next one in, for the generated
//! `dispatch`: the typed transitions consume their handle, and `dispatch` runs them
//! on a machine it only borrows.
//!
//! The crate's only `unsafe` code. It is the abort-on-unwind `replace_with` of the
//! `take_mut` and `replace_with` crates: the alternatives were a placeholder variant
//! in every `LeaseAny` (which every `match` on it would have to name, and every
//! accessor to handle) or `mem::replace` with a dummy machine (which needs one, and
//! copies the whole machine out and back).

#![allow(unsafe_code)]

use core::ptr;

/// Replaces `*slot` with the machine `next(old)` returns, `old` being the value that
/// was in `slot`, moved out rather than swapped for a placeholder; returns what else
/// `next` returned. If `next` panics the process aborts: the value it was given is
/// gone (dropped while unwinding), and `*slot` still holds its bits, which must not be
/// dropped or read again.
///
/// Generated code only: `dispatch` gives a closure that takes the handle out of the
/// variant its row matched and returns the transition's next machine and the row.
#[doc(hidden)]
#[inline(always)]
pub fn replace_with<M, R>(slot: &mut M, next: impl FnOnce(M) -> (M, R)) -> R {
    let guard = AbortOnUnwind;
    // SAFETY: `slot` is a `&mut M`, so it is valid for reads, aligned, and holds an
    // initialised `M`. The read makes `old` a second owner of that value; the first,
    // `*slot`, is not used again until the write below overwrites it without dropping
    // it. Nothing else can reach `*slot` meanwhile: we hold its only reference. If
    // `next` unwinds, the guard aborts before the caller can drop `*slot`.
    let old = unsafe { ptr::read(slot) };
    let (new, result) = next(old);
    // SAFETY: `slot` is valid for writes and aligned; the value in it was moved out
    // by the read above (and consumed by `next`), so overwriting it without dropping
    // it drops nothing twice and leaks nothing.
    unsafe { ptr::write(slot, new) };
    core::mem::forget(guard);
    result
}

/// Dropped only while unwinding out of `next`: `replace_with` forgets it otherwise.
struct AbortOnUnwind;

impl Drop for AbortOnUnwind {
    fn drop(&mut self) {
        // A panic in a destructor that runs during unwinding aborts the process (with
        // both messages), with `core` alone: no need for `std::process::abort`.
        panic!(
            "a `lifecycle!` handler panicked inside `dispatch`: the machine had been moved out of \
             its place and cannot be put back, so the process aborts"
        );
    }
}
