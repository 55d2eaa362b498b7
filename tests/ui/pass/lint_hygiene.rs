//! Lint hygiene: the expansion of a documented `pub` machine with generics, data,
//! alternatives, timeouts and deferrals compiles without a single warning under the
//! strictest lints, with the prelude's `Result`, `Ok`, `Option`, `Some`, `None`,
//! `From` and `Default` shadowed, so the generated code names everything by absolute
//! path and documents everything users see. A second machine, in a module where the
//! items the generated code names are imported, checks that none of its absolute
//! paths counts as an unnecessary qualification.

#![deny(warnings, missing_docs, unused_qualifications, unreachable_pub)]
#![deny(rust_2018_idioms, unused_results, trivial_casts, unused_lifetimes)]

use std::time::Duration;

use proxy_machine::lifecycle;

/// Shadows the prelude's `Result`.
pub type Result = ();
/// Shadows the prelude's `Ok`.
pub struct Ok;
/// Shadows the prelude's `Option`.
pub type Option = u8;
/// Shadows the prelude's `Some`.
pub struct Some;
/// Shadows the prelude's `None`.
pub struct None;
/// Shadows the prelude's `From`.
pub trait From {}
/// Shadows the prelude's `Default`.
pub trait Default {}

/// What the cache owns in every state.
pub struct Store<K> {
    /// How long a fill may take.
    pub fill_timeout: Duration,
    /// The keys filled so far.
    pub keys: Vec<K>,
}

lifecycle! {
    /// A cache slot.
    pub machine Cache<K: Clone, V> where V: Clone {
        context: Store<K>;
        initial: Empty;
        terminal: [Evicted];
        states {
            /// Nothing cached.
            Empty,
            /// A fill is in flight for this key.
            Filling(K),
            /// A value is cached.
            Full(V),
            /// Gone for good.
            Evicted,
        }
        events {
            /// Start filling a key.
            Fill(K),
            /// The value arrived.
            Filled(V),
            /// The fill failed.
            Failed,
            /// The fill took too long.
            TimedOut,
            /// Drop the slot.
            Evict,
        }
        transitions {
            /// Every fill is recorded.
            Empty + Fill => Filling,
            Filling + Filled => Full,
            /// Retried once, then given up.
            Filling + Failed => Empty | Evicted,
            Filling + TimedOut => Empty,
            [Empty, Full] + Evict => Evicted,
        }
        timeouts {
            Filling after cx.fill_timeout => TimedOut,
        }
        defer {
            Filling: [Evict],
        }
    }
}

impl<K: Clone, V: Clone> CacheHandlers<K, V> for Store<K> {
    fn empty_fill(&mut self, event: K) -> K {
        self.keys.push(event.clone());
        event
    }

    fn filling_filled(&mut self, _state: K, event: V) -> V {
        event
    }

    fn filling_failed(&mut self, _state: K) -> CacheFillingFailed<K, V> {
        if self.keys.len() > 1 {
            CacheFillingFailed::Evicted
        } else {
            CacheFillingFailed::Empty
        }
    }

    fn filling_timed_out(&mut self, _state: K) {}

    fn empty_evict(&mut self) {}

    fn full_evict(&mut self, _state: V) {}
}

/// A machine beside imports of everything the generated code names by path.
pub mod imported {
    use core::convert::Infallible;
    use core::marker::PhantomData;
    use std::fmt::{Debug, Formatter};

    use proxy_machine::{lifecycle, Event, Machine, MachineMeta, Rejected, Transition};

    lifecycle! {
        /// A toggle.
        pub machine Toggle<T> {
            context: PhantomData<T>;
            initial: Off;
            states {
                /// Off.
                Off,
                /// On.
                On(u8),
            }
            events {
                /// Flip it.
                Flip(u8),
                /// On for too long.
                Expire,
            }
            transitions {
                /// Flip.
                Off + Flip => On | Off,
                On + Flip => Off,
                On + Expire => Off,
            }
            timeouts {
                On after core::time::Duration::from_secs(1) => Expire,
            }
        }
    }

    impl<T> ToggleHandlers<T> for PhantomData<T> {
        fn off_flip(&mut self, event: u8) -> ToggleOffFlip<T> {
            if event > 0 {
                ToggleOffFlip::On(event)
            } else {
                ToggleOffFlip::Off
            }
        }

        fn on_flip(&mut self, _state: u8, _event: u8) {}

        fn on_expire(&mut self, _state: u8) {}
    }

    /// Uses every import, so that none is unused.
    pub fn flip_twice(f: &mut Formatter<'_>) -> core::fmt::Result {
        let mut machine: ToggleAny<()> = Toggle::new(PhantomData).into_any();
        let meta: MachineMeta<'static> = <ToggleAny<()> as Machine>::META;
        let on = machine.dispatch(ToggleEvent::Flip(1)).map_err(|r: Rejected<_>| r.to_string());
        let on: Transition = on.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(on.to, "On");
        let off = Machine::dispatch(&mut machine, ToggleEvent::Flip(0)).map_err(Rejected::into_event);
        let never: Option<Infallible> = None;
        Debug::fmt(&(meta.name, off.is_ok(), Event::name(&ToggleEvent::<()>::Flip(0)), never), f)
    }
}

fn main() {
    let store = Store { fill_timeout: Duration::from_secs(1), keys: Vec::new() };
    let filling = Cache::<&str, u32, cache::Empty>::new(store).fill("a");
    let mut any = CacheAny::from(filling);
    assert!(any.defers(&CacheEvent::Evict));
    assert!(matches!(any.timeout(), core::option::Option::Some((_, CacheEvent::TimedOut))));
    match any.dispatch(CacheEvent::Filled(7)) {
        core::result::Result::Ok(transition) => assert_eq!(transition.to, "Full"),
        Err(rejected) => panic!("{rejected}"),
    }
    assert_eq!(any.state_name(), "Full");
    let evicted = any.dispatch(CacheEvent::Evict).map_err(|r| r.to_string());
    assert!(evicted.is_ok());
    let _: (Result, Ok, Option, Some, None) = ((), Ok, 0, Some, None);

    struct Shown;
    impl std::fmt::Display for Shown {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            imported::flip_twice(f)
        }
    }
    assert_eq!(Shown.to_string(), r#"("Toggle", true, "Flip", None)"#);
}
