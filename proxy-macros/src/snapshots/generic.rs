///The states of [`Pool`](super::Pool) as types, and its events as types in [`event`].
#[allow(non_snake_case, dead_code, clippy::empty_enum)]
mod pool {
    ///The state `Empty` of [`Pool`](super::Pool).
    pub(super) enum Empty {}
    impl __private::Sealed for Empty {}
    ///The state `Full` of [`Pool`](super::Pool).
    pub(super) enum Full {}
    impl __private::Sealed for Full {}
    ///The state `Closed` of [`Pool`](super::Pool).
    pub(super) enum Closed {}
    impl __private::Sealed for Closed {}
    ///The events of [`Pool`](super::super::Pool) as types.
    pub(super) mod event {
        ///The event `Put`, at the type level.
        ///
        ///| in state | leads to |
        ///|---|---|
        ///| `Empty` | `Full` |
        ///
        ///In any other state, calling its method is a compile error that names the state and the event.
        pub(in super::super) enum Put {}
        ///The event `Close`, at the type level.
        ///
        ///| in state | leads to |
        ///|---|---|
        ///| `Empty` | `Closed` |
        ///| `Full` | `Closed` |
        ///
        ///In any other state, calling its method is a compile error that names the state and the event.
        pub(in super::super) enum Close {}
    }
    #[doc(hidden)]
    pub(super) mod __private {
        /// Seals the state trait: only the table's states implement it.
        pub(in super::super) trait Sealed {}
        /// The `Next` of an event a state does not accept.
        pub(in super::super) enum Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Full` does not accept `Put`",
            label = "`Full` does not accept `Put`",
            note = "`Full` accepts `Close`"
        )]
        pub(in super::super) trait FullAcceptsPut<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> FullAcceptsPut<'__a> for Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Closed` does not accept `Put`",
            label = "`Closed` does not accept `Put`",
            note = "`Closed` is a terminal state of `Pool`: it accepts no event"
        )]
        pub(in super::super) trait ClosedAcceptsPut<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> ClosedAcceptsPut<'__a> for Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Closed` does not accept `Close`",
            label = "`Closed` does not accept `Close`",
            note = "`Closed` is a terminal state of `Pool`: it accepts no event"
        )]
        pub(in super::super) trait ClosedAcceptsClose<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> ClosedAcceptsClose<'__a> for Illegal {}
    }
}
/**
# Lifecycle

<div class="lifecycle-diagram" style="overflow-x: auto; background: #fff; padding: 4px"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 129 280" width="129" height="280" class="machine" data-machine="Pool" role="img" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"> <title>Pool</title> <defs><marker id="arrow-Pool" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,1 L10,5 L0,9 z" fill="#8c959f"/></marker></defs> <g class="edges"> <g class="edge" id="edge-Empty-Full" data-source="Empty" data-target="Full"><title>Empty → Full: Put</title><path d="M73.1,76 C73.1,107 45.6,107 45.6,138" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Pool)"/><text class="edge-label" x="59.4" y="107" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Put</text></g> <g class="edge" id="edge-Empty-Closed" data-source="Empty" data-target="Closed"><title>Empty → Closed: Close</title><path d="M85.1,76 C85.1,107 97.2,107 97.2,138 C97.2,154 97.2,154 97.2,170 C97.2,201 77.4,201 77.4,232" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Pool)"/><text class="edge-label" x="93.8" y="114.2" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Close</text></g> <g class="edge" id="edge-Full-Closed" data-source="Full" data-target="Closed"><title>Full → Closed: Close</title><path d="M45.6,170 C45.6,201 65.4,201 65.4,232" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Pool)"/><text class="edge-label" x="55.5" y="201" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Close</text></g> </g> <g class="initial-marker"><circle cx="79.1" cy="16" r="6" fill="#24292f"/><path d="M79.1,22 L79.1,44" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Pool)"/></g> <g class="states"> <g class="state initial" id="state-Empty" data-state="Empty"><title>Empty</title><rect x="45.6" y="44" width="67" height="32" rx="8" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/><text x="79.1" y="60" text-anchor="middle" dominant-baseline="central" font-size="13" font-weight="600" fill="#24292f">Empty</text></g> <g class="state" id="state-Full" data-state="Full"><title>Full(T)</title><rect x="16" y="138" width="59.2" height="32" rx="8" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/><text x="45.6" y="154" text-anchor="middle" dominant-baseline="central" font-size="13" font-weight="600" fill="#24292f">Full</text></g> <g class="state terminal" id="state-Closed" data-state="Closed"><title>Closed</title><rect x="34" y="232" width="74.8" height="32" rx="8" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/><rect class="inner" x="37" y="235" width="68.8" height="26" rx="6" fill="none" stroke="#57606a"/><text x="71.4" y="248" text-anchor="middle" dominant-baseline="central" font-size="13" font-weight="600" fill="#24292f">Closed</text></g> </g> </svg></div>

Drawn from the table when the macro expanded (an inline SVG: no script, nothing fetched). The same diagram as text, from `PoolAny::to_mermaid()` (and `to_dot()` for Graphviz):

<details><summary>Mermaid</summary>

```mermaid
stateDiagram-v2
    [*] --> Empty
    Empty --> Full: Put
    Empty --> Closed: Close
    Full --> Closed: Close
    Closed --> [*]
```

</details>

Generated by `lifecycle!`: the states are the types in [`pool`]; each event is a method legal only in the states whose rows accept it; the rows' bodies are the methods of [`PoolHandlers`]; [`PoolAny`] holds the machine when its state is known only at run time.

A handle costs what its fields cost: the context and the state's data. `Pool` is consumed by each transition.*/
#[must_use = "a lifecycle handle is consumed by its transitions; dropping it drops the machine"]
#[repr(C)]
struct Pool<'a, T: Clone, S: PoolState<'a, T>>
where
    T: Send,
{
    __context: &'a mut Vec<T>,
    __data: <S as PoolState<'a, T>>::Data,
    __state: ::core::marker::PhantomData<fn() -> S>,
    __generics: ::core::marker::PhantomData<fn() -> (&'a (), T)>,
}
///The states of [`Pool`]: implemented by the markers in [`pool`] and by nothing else.
trait PoolState<'a, T: Clone>: pool::__private::Sealed + ::core::marker::Sized
where
    T: Send,
{
    /// The data the handle holds in this state (`()` for a state without data).
    type Data;
    /// The state's name, as written in the table.
    const NAME: &'static str;
    #[doc(hidden)]
    fn __into_any(handle: Pool<'a, T, Self>) -> PoolAny<'a, T>;
}
impl<'a, T: Clone> PoolState<'a, T> for pool::Empty
where
    T: Send,
{
    type Data = ();
    const NAME: &'static str = "Empty";
    #[inline]
    fn __into_any(handle: Pool<'a, T, pool::Empty>) -> PoolAny<'a, T> {
        <PoolAny<'a, T>>::Empty(handle)
    }
}
impl<'a, T: Clone> PoolState<'a, T> for pool::Full
where
    T: Send,
{
    type Data = T;
    const NAME: &'static str = "Full";
    #[inline]
    fn __into_any(handle: Pool<'a, T, pool::Full>) -> PoolAny<'a, T> {
        <PoolAny<'a, T>>::Full(handle)
    }
}
impl<'a, T: Clone> PoolState<'a, T> for pool::Closed
where
    T: Send,
{
    type Data = ();
    const NAME: &'static str = "Closed";
    #[inline]
    fn __into_any(handle: Pool<'a, T, pool::Closed>) -> PoolAny<'a, T> {
        <PoolAny<'a, T>>::Closed(handle)
    }
}
impl<'a, T: Clone, S: PoolState<'a, T>> Pool<'a, T, S>
where
    T: Send,
{
    /// Rebuilds a handle in state `S` from its parts, without a transition:
    /// for a machine restored from storage. Everywhere else, let the table
    /// move the machine.
    fn restore(context: &'a mut Vec<T>, data: <S as PoolState<'a, T>>::Data) -> Self {
        Self {
            __context: context,
            __data: data,
            __state: ::core::marker::PhantomData,
            __generics: ::core::marker::PhantomData,
        }
    }
    /// The context, owned in every state.
    fn context(&self) -> &&'a mut Vec<T> {
        &self.__context
    }
    /// The context, mutably.
    fn context_mut(&mut self) -> &mut &'a mut Vec<T> {
        &mut self.__context
    }
    /// The current state's data.
    fn data(&self) -> &<S as PoolState<'a, T>>::Data {
        &self.__data
    }
    /// The current state's data, mutably.
    fn data_mut(&mut self) -> &mut <S as PoolState<'a, T>>::Data {
        &mut self.__data
    }
    /// The context and the state's data.
    fn into_parts(self) -> (&'a mut Vec<T>, <S as PoolState<'a, T>>::Data) {
        (self.__context, self.__data)
    }
    /// The current state's name, as written in the table.
    fn state_name(&self) -> &'static str {
        <S as PoolState<'a, T>>::NAME
    }
    /// The handle as the runtime enum, for code that learns the state only at run time.
    fn into_any(self) -> PoolAny<'a, T> {
        <S as PoolState<'a, T>>::__into_any(self)
    }
}
impl<'a, T: Clone> Pool<'a, T, pool::Empty>
where
    T: Send,
{
    ///Starts a machine in its initial state, `Empty`.
    #[inline]
    fn new(context: &'a mut Vec<T>) -> Self {
        Self::restore(context, ())
    }
}
impl<'a, T: Clone, S: PoolState<'a, T>> ::core::fmt::Debug for Pool<'a, T, S>
where
    T: Send,
{
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.debug_tuple(::core::stringify!(Pool))
            .field(&<S as PoolState<'a, T>>::NAME)
            .finish()
    }
}
///The bodies of the rows of [`Pool`]: implement it for the context type, one method per (state, event) pair of the table.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement the handlers of `Pool`",
    label = "`Pool` needs `PoolHandlers` implemented for its context",
    note = "add `impl PoolHandlers for <context> {{ .. }}` with one method per row of the table"
)]
#[allow(dead_code)]
trait PoolHandlers<'a, T: Clone>
where
    T: Send,
{
    ///`Empty + Put => Full`.
    ///
    fn empty_put(&mut self, event: T) -> T;
    ///`Empty + Close => Closed`.
    ///
    fn empty_close(&mut self);
    ///`Full + Close => Closed`.
    ///
    fn full_close(&mut self, state: T);
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
trait __PoolOnPut<'a, T: Clone>
where
    T: Send,
{
    type Next;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
trait __PoolFirePut<'a, T: Clone, X>: __PoolOnPut<'a, T> + PoolState<'a, T>
where
    T: Send,
{
    fn __fire(handle: Pool<'a, T, Self>, event: T) -> <Self as __PoolOnPut<'a, T>>::Next;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
trait __PoolOnClose<'a, T: Clone>
where
    T: Send,
{
    type Next;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
trait __PoolFireClose<'a, T: Clone, X>: __PoolOnClose<'a, T> + PoolState<'a, T>
where
    T: Send,
{
    fn __fire(handle: Pool<'a, T, Self>) -> <Self as __PoolOnClose<'a, T>>::Next;
}
impl<'a, T: Clone> __PoolOnPut<'a, T> for pool::Empty
where
    T: Send,
{
    type Next = Pool<'a, T, pool::Full>;
}
impl<'a, T: Clone> __PoolFirePut<'a, T, ()> for pool::Empty
where
    T: Send,
    for<'__h> &'a mut Vec<T>: PoolHandlers<'a, T>,
{
    #[inline]
    fn __fire(handle: Pool<'a, T, pool::Empty>, event: T) -> Pool<'a, T, pool::Full> {
        let (mut context, _) = handle.into_parts();
        let next = <&'a mut Vec<
            T,
        > as PoolHandlers<'a, T>>::empty_put(&mut context, event);
        <Pool<'a, T, pool::Full>>::restore(context, next)
    }
}
impl<'a, T: Clone> __PoolOnClose<'a, T> for pool::Empty
where
    T: Send,
{
    type Next = Pool<'a, T, pool::Closed>;
}
impl<'a, T: Clone> __PoolFireClose<'a, T, ()> for pool::Empty
where
    T: Send,
    for<'__h> &'a mut Vec<T>: PoolHandlers<'a, T>,
{
    #[inline]
    fn __fire(handle: Pool<'a, T, pool::Empty>) -> Pool<'a, T, pool::Closed> {
        let (mut context, _) = handle.into_parts();
        <&'a mut Vec<T> as PoolHandlers<'a, T>>::empty_close(&mut context);
        <Pool<'a, T, pool::Closed>>::restore(context, ())
    }
}
impl<'a, T: Clone> __PoolOnClose<'a, T> for pool::Full
where
    T: Send,
{
    type Next = Pool<'a, T, pool::Closed>;
}
impl<'a, T: Clone> __PoolFireClose<'a, T, ()> for pool::Full
where
    T: Send,
    for<'__h> &'a mut Vec<T>: PoolHandlers<'a, T>,
{
    #[inline]
    fn __fire(handle: Pool<'a, T, pool::Full>) -> Pool<'a, T, pool::Closed> {
        let (mut context, data) = handle.into_parts();
        <&'a mut Vec<T> as PoolHandlers<'a, T>>::full_close(&mut context, data);
        <Pool<'a, T, pool::Closed>>::restore(context, ())
    }
}
#[allow(dead_code)]
impl<'a, T: Clone> Pool<'a, T, pool::Empty>
where
    T: Send,
{
    ///Raises `Put` in `Empty`: leads to `Full`.
    ///
    ///The states that accept it: [`pool::event::Put`]. In any other state, calling it is a compile error that names the state and the event.
    ///
    #[allow(unused_lifetimes)]
    #[inline]
    fn put(self, event: T) -> Pool<'a, T, pool::Full>
    where
        for<'__h> &'a mut Vec<T>: PoolHandlers<'a, T>,
    {
        <pool::Empty as __PoolFirePut<'a, T, ()>>::__fire(self, event)
    }
    ///Raises `Close` in `Empty`: leads to `Closed`.
    ///
    ///The states that accept it: [`pool::event::Close`]. In any other state, calling it is a compile error that names the state and the event.
    ///
    #[allow(unused_lifetimes)]
    #[inline]
    fn close(self) -> Pool<'a, T, pool::Closed>
    where
        for<'__h> &'a mut Vec<T>: PoolHandlers<'a, T>,
    {
        <pool::Empty as __PoolFireClose<'a, T, ()>>::__fire(self)
    }
}
#[allow(dead_code)]
impl<'a, T: Clone> Pool<'a, T, pool::Full>
where
    T: Send,
{
    #[doc(hidden)]
    fn put(self, _event: T) -> pool::__private::Illegal
    where
        T: Send,
        for<'__a> pool::event::Put: pool::__private::FullAcceptsPut<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
    ///Raises `Close` in `Full`: leads to `Closed`.
    ///
    ///The states that accept it: [`pool::event::Close`]. In any other state, calling it is a compile error that names the state and the event.
    ///
    #[allow(unused_lifetimes)]
    #[inline]
    fn close(self) -> Pool<'a, T, pool::Closed>
    where
        for<'__h> &'a mut Vec<T>: PoolHandlers<'a, T>,
    {
        <pool::Full as __PoolFireClose<'a, T, ()>>::__fire(self)
    }
}
#[allow(dead_code)]
impl<'a, T: Clone> Pool<'a, T, pool::Closed>
where
    T: Send,
{
    #[doc(hidden)]
    fn put(self, _event: T) -> pool::__private::Illegal
    where
        T: Send,
        for<'__a> pool::event::Put: pool::__private::ClosedAcceptsPut<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
    #[doc(hidden)]
    fn close(self) -> pool::__private::Illegal
    where
        T: Send,
        for<'__a> pool::event::Close: pool::__private::ClosedAcceptsClose<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
}
///[`Pool`] in whichever state it is, for code that learns the state only at run time.
#[must_use = "the machine is inside: dropping it drops the machine"]
enum PoolAny<'a, T: Clone>
where
    T: Send,
{
    ///The machine in state `Empty`.
    Empty(Pool<'a, T, pool::Empty>),
    ///The machine in state `Full`.
    Full(Pool<'a, T, pool::Full>),
    ///The machine in state `Closed`.
    Closed(Pool<'a, T, pool::Closed>),
}
///The events of [`Pool`] as values, for [`PoolAny::dispatch`].
#[allow(dead_code)]
enum PoolEvent<'a, T: Clone>
where
    T: Send,
{
    ///The event `Put`.
    Put(T),
    ///The event `Close`.
    Close,
    #[doc(hidden)]
    __Phantom(
        ::core::marker::PhantomData<fn() -> (&'a (), T)>,
        ::core::convert::Infallible,
    ),
}
impl<'a, T: Clone> ::core::convert::From<Pool<'a, T, pool::Empty>> for PoolAny<'a, T>
where
    T: Send,
{
    #[inline]
    fn from(handle: Pool<'a, T, pool::Empty>) -> Self {
        Self::Empty(handle)
    }
}
impl<'a, T: Clone> ::core::convert::From<Pool<'a, T, pool::Full>> for PoolAny<'a, T>
where
    T: Send,
{
    #[inline]
    fn from(handle: Pool<'a, T, pool::Full>) -> Self {
        Self::Full(handle)
    }
}
impl<'a, T: Clone> ::core::convert::From<Pool<'a, T, pool::Closed>> for PoolAny<'a, T>
where
    T: Send,
{
    #[inline]
    fn from(handle: Pool<'a, T, pool::Closed>) -> Self {
        Self::Closed(handle)
    }
}
impl<'a, T: Clone> PoolEvent<'a, T>
where
    T: Send,
{
    /// The event's name, as written in the table.
    #[inline]
    fn name(&self) -> &'static str {
        match *self {
            Self::Put(..) => "Put",
            Self::Close => "Close",
            Self::__Phantom(_, ref never) => match *never {}
        }
    }
}
impl<'a, T: Clone> ::proxy_machine::Event for PoolEvent<'a, T>
where
    T: Send,
{
    #[inline]
    fn name(&self) -> &'static str {
        <PoolEvent<'a, T>>::name(self)
    }
}
impl<'a, T: Clone> ::core::fmt::Debug for PoolEvent<'a, T>
where
    T: Send,
{
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(self.name())
    }
}
impl<'a, T: Clone> ::core::fmt::Debug for PoolAny<'a, T>
where
    T: Send,
{
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.debug_tuple(::core::stringify!(PoolAny)).field(&self.state_name()).finish()
    }
}
impl<'a, T: Clone> PoolAny<'a, T>
where
    T: Send,
{
    /// The current state's name, as written in the table.
    #[inline]
    fn state_name(&self) -> &'static str {
        match self {
            Self::Empty(handle) => handle.state_name(),
            Self::Full(handle) => handle.state_name(),
            Self::Closed(handle) => handle.state_name(),
        }
    }
    /// Whether the current state is terminal.
    #[inline]
    fn is_terminal(&self) -> bool {
        match self {
            Self::Empty(_) => false,
            Self::Full(_) => false,
            Self::Closed(_) => true,
        }
    }
    /// The context, owned in every state.
    #[inline]
    fn context(&self) -> &&'a mut Vec<T> {
        match self {
            Self::Empty(handle) => handle.context(),
            Self::Full(handle) => handle.context(),
            Self::Closed(handle) => handle.context(),
        }
    }
    /// The context, mutably.
    #[inline]
    fn context_mut(&mut self) -> &mut &'a mut Vec<T> {
        match self {
            Self::Empty(handle) => handle.context_mut(),
            Self::Full(handle) => handle.context_mut(),
            Self::Closed(handle) => handle.context_mut(),
        }
    }
    /// The current state's timeout: how long the machine may stay, and the
    /// event raised when it stayed that long. Re-arm it after every event
    /// handled in the state.
    #[inline]
    fn timeout(
        &self,
    ) -> ::core::option::Option<(::core::time::Duration, PoolEvent<'a, T>)> {
        match self {
            Self::Empty(_) => ::core::option::Option::None,
            Self::Full(_) => ::core::option::Option::None,
            Self::Closed(_) => ::core::option::Option::None,
        }
    }
    /// Whether the current state defers `event`: keeps it, to replay it once
    /// the state has changed.
    #[inline]
    fn defers(&self, event: &PoolEvent<'a, T>) -> bool {
        match self {
            Self::Empty(_) => false,
            Self::Full(_) => false,
            Self::Closed(_) => false,
        }
    }
}
impl<'a, T: Clone> PoolAny<'a, T>
where
    T: Send,
    for<'__h> &'a mut Vec<T>: PoolHandlers<'a, T>,
{
    /// Handles `event` through the typed transition of the current state, in
    /// place, and says which row it took; or hands the event back, leaving the
    /// machine untouched, when the table has no row for them. A handler that
    /// panics aborts the process (see `Machine::dispatch`).
    #[inline]
    fn dispatch(
        &mut self,
        event: PoolEvent<'a, T>,
    ) -> ::core::result::Result<
        ::proxy_machine::Transition,
        ::proxy_machine::Rejected<PoolEvent<'a, T>>,
    > {
        if !::core::matches!(
            (& * self, & event), (PoolAny::Empty(_), PoolEvent::Put(..)) |
            (PoolAny::Empty(_), PoolEvent::Close) | (PoolAny::Full(_), PoolEvent::Close)
        ) {
            return {
                let state = self.state_name();
                let event_name = event.name();
                ::core::result::Result::Err(
                    ::proxy_machine::Rejected::new(
                        Self::META.name,
                        state,
                        event_name,
                        event,
                    ),
                )
            };
        }
        ::core::result::Result::Ok(
            ::proxy_machine::__private::replace_with(
                self,
                move |machine| {
                    match (machine, event) {
                        (PoolAny::Empty(handle), PoolEvent::Put(event)) => {
                            let next: Self = ::core::convert::From::from(
                                <pool::Empty as __PoolFirePut<
                                    'a,
                                    T,
                                    (),
                                >>::__fire(handle, event),
                            );
                            let transition = ::proxy_machine::Transition {
                                from: "Empty",
                                event: "Put",
                                to: "Full",
                            };
                            (next, transition)
                        }
                        (PoolAny::Empty(handle), PoolEvent::Close) => {
                            let next: Self = ::core::convert::From::from(
                                <pool::Empty as __PoolFireClose<'a, T, ()>>::__fire(handle),
                            );
                            let transition = ::proxy_machine::Transition {
                                from: "Empty",
                                event: "Close",
                                to: "Closed",
                            };
                            (next, transition)
                        }
                        (PoolAny::Full(handle), PoolEvent::Close) => {
                            let next: Self = ::core::convert::From::from(
                                <pool::Full as __PoolFireClose<'a, T, ()>>::__fire(handle),
                            );
                            let transition = ::proxy_machine::Transition {
                                from: "Full",
                                event: "Close",
                                to: "Closed",
                            };
                            (next, transition)
                        }
                        _ => ::core::unreachable!(),
                    }
                },
            ),
        )
    }
}
impl<'a, T: Clone> ::proxy_machine::Machine for PoolAny<'a, T>
where
    T: Send,
    for<'__h> &'a mut Vec<T>: PoolHandlers<'a, T>,
{
    type Event = PoolEvent<'a, T>;
    type Context = &'a mut Vec<T>;
    const META: ::proxy_machine::MachineMeta<'static> = Self::META;
    #[inline]
    fn state_name(&self) -> &'static str {
        <PoolAny<'a, T>>::state_name(self)
    }
    #[inline]
    fn is_terminal(&self) -> bool {
        <PoolAny<'a, T>>::is_terminal(self)
    }
    #[inline]
    fn context(&self) -> &&'a mut Vec<T> {
        <PoolAny<'a, T>>::context(self)
    }
    #[inline]
    fn context_mut(&mut self) -> &mut &'a mut Vec<T> {
        <PoolAny<'a, T>>::context_mut(self)
    }
    #[inline]
    fn timeout(
        &self,
    ) -> ::core::option::Option<(::core::time::Duration, PoolEvent<'a, T>)> {
        <PoolAny<'a, T>>::timeout(self)
    }
    #[inline]
    fn defers(&self, event: &PoolEvent<'a, T>) -> bool {
        <PoolAny<'a, T>>::defers(self, event)
    }
    #[inline]
    fn dispatch(
        &mut self,
        event: PoolEvent<'a, T>,
    ) -> ::core::result::Result<
        ::proxy_machine::Transition,
        ::proxy_machine::Rejected<PoolEvent<'a, T>>,
    > {
        <PoolAny<'a, T>>::dispatch(self, event)
    }
}
impl<'a, T: Clone> PoolAny<'a, T>
where
    T: Send,
{
    /// The table: states, events, rows, timeouts, deferrals, initial and terminal states.
    const META: ::proxy_machine::MachineMeta<'static> = ::proxy_machine::meta::MachineMeta {
        name: "Pool",
        doc: "",
        states: &[
            ::proxy_machine::meta::StateMeta {
                name: "Empty",
                data: ::core::option::Option::None,
                doc: "",
                entry: false,
                exit: false,
            },
            ::proxy_machine::meta::StateMeta {
                name: "Full",
                data: ::core::option::Option::Some("T"),
                doc: "",
                entry: false,
                exit: false,
            },
            ::proxy_machine::meta::StateMeta {
                name: "Closed",
                data: ::core::option::Option::None,
                doc: "",
                entry: false,
                exit: false,
            },
        ],
        events: &[
            ::proxy_machine::meta::EventMeta {
                name: "Put",
                payload: ::core::option::Option::Some("T"),
                doc: "",
            },
            ::proxy_machine::meta::EventMeta {
                name: "Close",
                payload: ::core::option::Option::None,
                doc: "",
            },
        ],
        rows: &[
            ::proxy_machine::meta::RowMeta {
                source: "Empty",
                event: "Put",
                targets: &["Full"],
                guard: ::core::option::Option::None,
                via: ::core::option::Option::None,
            },
            ::proxy_machine::meta::RowMeta {
                source: "Empty",
                event: "Close",
                targets: &["Closed"],
                guard: ::core::option::Option::None,
                via: ::core::option::Option::None,
            },
            ::proxy_machine::meta::RowMeta {
                source: "Full",
                event: "Close",
                targets: &["Closed"],
                guard: ::core::option::Option::None,
                via: ::core::option::Option::None,
            },
        ],
        timeouts: &[],
        deferrals: &[],
        initial: "Empty",
        terminal: &["Closed"],
        superstates: &[],
    };
}
::proxy_machine::__with_std! {
    impl < 'a, T : Clone, > PoolAny < 'a, T > where T : Send, { #[doc =
    r" The lifecycle as a Mermaid `stateDiagram-v2`."] fn to_mermaid() ->
    ::proxy_machine::__String { Self::META.to_mermaid() } #[doc =
    r" The lifecycle as a Graphviz `digraph`."] fn to_dot() -> ::proxy_machine::__String
    { Self::META.to_dot() } }
}
