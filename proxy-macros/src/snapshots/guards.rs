///The states of [`Gate`](super::Gate) as types, and its events as types in [`event`].
#[allow(non_snake_case, dead_code, clippy::empty_enum)]
mod gate {
    ///The state `Closed` of [`Gate`](super::Gate).
    pub(super) enum Closed {}
    impl __private::Sealed for Closed {}
    ///The state `Open` of [`Gate`](super::Gate).
    pub(super) enum Open {}
    impl __private::Sealed for Open {}
    ///The state `Jammed` of [`Gate`](super::Gate).
    pub(super) enum Jammed {}
    impl __private::Sealed for Jammed {}
    ///The state `Gone` of [`Gate`](super::Gate).
    pub(super) enum Gone {}
    impl __private::Sealed for Gone {}
    ///The events of [`Gate`](super::super::Gate) as types.
    pub(super) mod event {
        ///The event `Key`, at the type level.
        ///
        ///| in state | leads to |
        ///|---|---|
        ///| `Closed` | `Open` if `matches`, `Jammed` if `stuck`, else `Closed` |
        ///
        ///In any other state, calling its method is a compile error that names the state and the event.
        pub(in super::super) enum Key {}
        ///The event `Kick`, at the type level.
        ///
        ///| in state | leads to |
        ///|---|---|
        ///| `Jammed` | `Closed` if `lucky`, else `Closed` |
        ///| `Open` | `Gone` |
        ///| `Closed` | `Gone` |
        ///
        ///In any other state, calling its method is a compile error that names the state and the event.
        pub(in super::super) enum Kick {}
    }
    #[doc(hidden)]
    pub(super) mod __private {
        /// Seals the state trait: only the table's states implement it.
        pub(in super::super) trait Sealed {}
        /// The `Next` of an event a state does not accept.
        pub(in super::super) enum Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Open` does not accept `Key`",
            label = "`Open` does not accept `Key`",
            note = "`Open` accepts `Kick`"
        )]
        pub(in super::super) trait OpenAcceptsKey<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> OpenAcceptsKey<'__a> for Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Jammed` does not accept `Key`",
            label = "`Jammed` does not accept `Key`",
            note = "`Jammed` accepts `Kick`"
        )]
        pub(in super::super) trait JammedAcceptsKey<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> JammedAcceptsKey<'__a> for Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Gone` does not accept `Key`",
            label = "`Gone` does not accept `Key`",
            note = "`Gone` is a terminal state of `Gate`: it accepts no event"
        )]
        pub(in super::super) trait GoneAcceptsKey<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> GoneAcceptsKey<'__a> for Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Gone` does not accept `Kick`",
            label = "`Gone` does not accept `Kick`",
            note = "`Gone` is a terminal state of `Gate`: it accepts no event"
        )]
        pub(in super::super) trait GoneAcceptsKick<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> GoneAcceptsKick<'__a> for Illegal {}
    }
}
/**
# Lifecycle

<div class="lifecycle-diagram" style="overflow-x: auto; background: #fff; padding: 4px"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 316 336" width="316" height="336" class="machine" data-machine="Gate" role="img" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"> <title>Gate</title> <defs><marker id="arrow-Gate" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,1 L10,5 L0,9 z" fill="#8c959f"/></marker></defs> <g class="edges"> <g class="edge" id="edge-Closed-Open" data-source="Closed" data-target="Open"><title>Closed → Open: Key [matches]</title><path d="M136,76 C136,107 45.6,107 45.6,138" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Gate)"/><text class="edge-label" x="90.8" y="107" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Key [matches]</text></g> <g class="edge" id="edge-Closed-Jammed" data-source="Closed" data-target="Jammed"><title>Closed → Jammed: Key [stuck]</title><path d="M148,76 C148,107 140.6,107 140.6,138" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Gate)"/><text class="edge-label" x="147.3" y="91.4" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Key [stuck]</text></g> <g class="edge" id="edge-Jammed-Closed" data-source="Jammed" data-target="Closed"><title>Jammed → Closed: Kick [lucky], Kick [else]</title><path d="M152.6,138 C152.6,107 160,107 160,76" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Gate)"/><text class="edge-label" x="153.4" y="122.6" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Kick [lucky], Kick [else]</text></g> <g class="edge" id="edge-Open-Gone" data-source="Open" data-target="Gone"><title>Open → Gone: Kick</title><path d="M45.6,170 C45.6,201 119.8,201 119.8,232" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Gate)"/><text class="edge-label" x="82.7" y="201" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Kick</text></g> <g class="edge" id="edge-Closed-Gone" data-source="Closed" data-target="Gone"><title>Closed → Gone: Kick</title><path d="M172,76 C172,107 206,107 206,138 C206,154 206,154 206,170 C206,201 131.8,201 131.8,232" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Gate)"/><text class="edge-label" x="189" y="107" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Kick</text></g> </g> <g class="initial-marker"><circle cx="154" cy="16" r="6" fill="#24292f"/><path d="M154,22 L154,44" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Gate)"/></g> <g class="states"> <g class="state initial exit" id="state-Closed" data-state="Closed"><title>Closed exit action stays on Key</title><rect x="109.6" y="44" width="88.8" height="32" rx="8" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/><text x="147" y="60" text-anchor="middle" dominant-baseline="central" font-size="13" font-weight="600" fill="#24292f">Closed</text><text class="loops" x="184.4" y="60" text-anchor="middle" dominant-baseline="central" font-size="12" fill="#57606a">↻</text></g> <g class="state" id="state-Open" data-state="Open"><title>Open(u8)</title><rect x="16" y="138" width="59.2" height="32" rx="8" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/><text x="45.6" y="154" text-anchor="middle" dominant-baseline="central" font-size="13" font-weight="600" fill="#24292f">Open</text></g> <g class="state" id="state-Jammed" data-state="Jammed"><title>Jammed</title><rect x="109.2" y="138" width="74.8" height="32" rx="8" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/><text x="146.6" y="154" text-anchor="middle" dominant-baseline="central" font-size="13" font-weight="600" fill="#24292f">Jammed</text></g> <g class="state terminal" id="state-Gone" data-state="Gone"><title>Gone</title><rect x="96.2" y="232" width="59.2" height="32" rx="8" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/><rect class="inner" x="99.2" y="235" width="53.2" height="26" rx="6" fill="none" stroke="#57606a"/><text x="125.8" y="248" text-anchor="middle" dominant-baseline="central" font-size="13" font-weight="600" fill="#24292f">Gone</text></g> </g> <g class="legend" font-size="11" fill="#57606a"> <text x="16" y="288">↻ events handled without leaving the state:</text> <text x="28" y="304">Closed: Key [else]</text> </g> </svg></div>

Drawn from the table when the macro expanded (an inline SVG: no script, nothing fetched). The same diagram as text, from `GateAny::to_mermaid()` (and `to_dot()` for Graphviz):

<details><summary>Mermaid</summary>

```mermaid
stateDiagram-v2
    [*] --> Closed
    Closed --> Open: Key [matches]
    Closed --> Jammed: Key [stuck]
    Closed --> Closed: Key [else]
    Jammed --> Closed: Kick [lucky]<br/>Kick [else]
    Open --> Gone: Kick
    Closed --> Gone: Kick
    note left of Closed: exit
    Gone --> [*]
```

</details>

Generated by `lifecycle!`: the states are the types in [`gate`]; each event is a method legal only in the states whose rows accept it; the rows' bodies are the methods of [`GateHandlers`]; [`GateAny`] holds the machine when its state is known only at run time.

A handle costs what its fields cost: the context and the state's data. `Gate` is consumed by each transition.*/
#[must_use = "a lifecycle handle is consumed by its transitions; dropping it drops the machine"]
#[repr(C)]
struct Gate<S: GateState> {
    __context: u8,
    __data: <S as GateState>::Data,
    __state: ::core::marker::PhantomData<fn() -> S>,
    __generics: ::core::marker::PhantomData<fn() -> ()>,
}
///The states of [`Gate`]: implemented by the markers in [`gate`] and by nothing else.
trait GateState: gate::__private::Sealed + ::core::marker::Sized {
    /// The data the handle holds in this state (`()` for a state without data).
    type Data;
    /// The state's name, as written in the table.
    const NAME: &'static str;
    #[doc(hidden)]
    fn __into_any(handle: Gate<Self>) -> GateAny;
}
impl GateState for gate::Closed {
    type Data = ();
    const NAME: &'static str = "Closed";
    #[inline]
    fn __into_any(handle: Gate<gate::Closed>) -> GateAny {
        <GateAny>::Closed(handle)
    }
}
impl GateState for gate::Open {
    type Data = u8;
    const NAME: &'static str = "Open";
    #[inline]
    fn __into_any(handle: Gate<gate::Open>) -> GateAny {
        <GateAny>::Open(handle)
    }
}
impl GateState for gate::Jammed {
    type Data = ();
    const NAME: &'static str = "Jammed";
    #[inline]
    fn __into_any(handle: Gate<gate::Jammed>) -> GateAny {
        <GateAny>::Jammed(handle)
    }
}
impl GateState for gate::Gone {
    type Data = ();
    const NAME: &'static str = "Gone";
    #[inline]
    fn __into_any(handle: Gate<gate::Gone>) -> GateAny {
        <GateAny>::Gone(handle)
    }
}
impl<S: GateState> Gate<S> {
    /// Rebuilds a handle in state `S` from its parts, without a transition:
    /// for a machine restored from storage. Everywhere else, let the table
    /// move the machine.
    fn restore(context: u8, data: <S as GateState>::Data) -> Self {
        Self {
            __context: context,
            __data: data,
            __state: ::core::marker::PhantomData,
            __generics: ::core::marker::PhantomData,
        }
    }
    /// The context, owned in every state.
    fn context(&self) -> &u8 {
        &self.__context
    }
    /// The context, mutably.
    fn context_mut(&mut self) -> &mut u8 {
        &mut self.__context
    }
    /// The current state's data.
    fn data(&self) -> &<S as GateState>::Data {
        &self.__data
    }
    /// The current state's data, mutably.
    fn data_mut(&mut self) -> &mut <S as GateState>::Data {
        &mut self.__data
    }
    /// The context and the state's data.
    fn into_parts(self) -> (u8, <S as GateState>::Data) {
        (self.__context, self.__data)
    }
    /// The current state's name, as written in the table.
    fn state_name(&self) -> &'static str {
        <S as GateState>::NAME
    }
    /// The handle as the runtime enum, for code that learns the state only at run time.
    fn into_any(self) -> GateAny {
        <S as GateState>::__into_any(self)
    }
}
impl Gate<gate::Closed> {
    ///Starts a machine in its initial state, `Closed`.
    #[inline]
    fn new(context: u8) -> Self {
        Self::restore(context, ())
    }
}
impl<S: GateState> ::core::fmt::Debug for Gate<S> {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.debug_tuple(::core::stringify!(Gate)).field(&<S as GateState>::NAME).finish()
    }
}
///The bodies of the rows of [`Gate`]: implement it for the context type, one method per (state, event) pair of the table.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement the handlers of `Gate`",
    label = "`Gate` needs `GateHandlers` implemented for its context",
    note = "add `impl GateHandlers for <context> {{ .. }}` with one method per row of the table"
)]
#[allow(dead_code)]
trait GateHandlers {
    ///`Closed + Key if matches => Open`: taken when `matches` holds and no earlier guard of the pair did.
    ///
    fn closed_key_if_matches(&mut self, event: u8) -> u8;
    ///`Closed + Key if stuck => Jammed`: taken when `stuck` holds and no earlier guard of the pair did.
    ///
    fn closed_key_if_stuck(&mut self, event: u8);
    ///`Closed + Key => Closed`.
    ///
    fn closed_key(&mut self, event: u8);
    ///`Jammed + Kick if lucky => Closed`: taken when `lucky` holds and no earlier guard of the pair did.
    ///
    fn jammed_kick_if_lucky(&mut self);
    ///`Jammed + Kick => Closed`.
    ///
    fn jammed_kick(&mut self);
    ///`Open + Kick => Gone`.
    ///
    fn open_kick(&mut self, state: u8);
    ///`Closed + Kick => Gone`.
    ///
    fn closed_kick(&mut self);
    ///The guard `matches`: whether to take `Closed + Key => Open`.
    fn matches(&self, event: &u8) -> bool;
    ///The guard `stuck`: whether to take `Closed + Key => Jammed`.
    fn stuck(&self, event: &u8) -> bool;
    ///The guard `lucky`: whether to take `Jammed + Kick => Closed`.
    fn lucky(&self) -> bool;
    ///The exit action of `Closed`: runs on every transition out of it (self-loops included), before the row's handler.
    fn on_exit_closed(&mut self);
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
trait __GateOnKey {
    type Next;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
trait __GateFireKey<X>: __GateOnKey + GateState {
    fn __fire(handle: Gate<Self>, event: u8) -> <Self as __GateOnKey>::Next;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
trait __GateOnKick {
    type Next;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
trait __GateFireKick<X>: __GateOnKick + GateState {
    fn __fire(handle: Gate<Self>) -> <Self as __GateOnKick>::Next;
}
impl __GateOnKey for gate::Closed {
    type Next = GateClosedKeyNext;
}
impl __GateFireKey<()> for gate::Closed
where
    for<'__h> u8: GateHandlers,
{
    #[inline]
    fn __fire(handle: Gate<gate::Closed>, event: u8) -> GateClosedKeyNext {
        let (mut context, _) = handle.into_parts();
        if <u8 as GateHandlers>::matches(&context, &event) {
            <u8 as GateHandlers>::on_exit_closed(&mut context);
            let next = <u8 as GateHandlers>::closed_key_if_matches(&mut context, event);
            GateClosedKeyNext::Open(<Gate<gate::Open>>::restore(context, next))
        } else if <u8 as GateHandlers>::stuck(&context, &event) {
            <u8 as GateHandlers>::on_exit_closed(&mut context);
            <u8 as GateHandlers>::closed_key_if_stuck(&mut context, event);
            GateClosedKeyNext::Jammed(<Gate<gate::Jammed>>::restore(context, ()))
        } else {
            <u8 as GateHandlers>::on_exit_closed(&mut context);
            <u8 as GateHandlers>::closed_key(&mut context, event);
            GateClosedKeyNext::Closed(<Gate<gate::Closed>>::restore(context, ()))
        }
    }
}
impl __GateOnKick for gate::Jammed {
    type Next = Gate<gate::Closed>;
}
impl __GateFireKick<()> for gate::Jammed
where
    for<'__h> u8: GateHandlers,
{
    #[inline]
    fn __fire(handle: Gate<gate::Jammed>) -> Gate<gate::Closed> {
        let (mut context, _) = handle.into_parts();
        if <u8 as GateHandlers>::lucky(&context) {
            <u8 as GateHandlers>::jammed_kick_if_lucky(&mut context);
            <Gate<gate::Closed>>::restore(context, ())
        } else {
            <u8 as GateHandlers>::jammed_kick(&mut context);
            <Gate<gate::Closed>>::restore(context, ())
        }
    }
}
impl __GateOnKick for gate::Open {
    type Next = Gate<gate::Gone>;
}
impl __GateFireKick<()> for gate::Open
where
    for<'__h> u8: GateHandlers,
{
    #[inline]
    fn __fire(handle: Gate<gate::Open>) -> Gate<gate::Gone> {
        let (mut context, data) = handle.into_parts();
        <u8 as GateHandlers>::open_kick(&mut context, data);
        <Gate<gate::Gone>>::restore(context, ())
    }
}
impl __GateOnKick for gate::Closed {
    type Next = Gate<gate::Gone>;
}
impl __GateFireKick<()> for gate::Closed
where
    for<'__h> u8: GateHandlers,
{
    #[inline]
    fn __fire(handle: Gate<gate::Closed>) -> Gate<gate::Gone> {
        let (mut context, _) = handle.into_parts();
        <u8 as GateHandlers>::on_exit_closed(&mut context);
        <u8 as GateHandlers>::closed_kick(&mut context);
        <Gate<gate::Gone>>::restore(context, ())
    }
}
#[allow(dead_code)]
impl Gate<gate::Closed> {
    ///Raises `Key` in `Closed`: leads to `Open` if `matches`, `Jammed` if `stuck`, else `Closed`.
    ///
    ///The states that accept it: [`gate::event::Key`]. In any other state, calling it is a compile error that names the state and the event.
    ///
    #[allow(unused_lifetimes)]
    #[inline]
    fn key(self, event: u8) -> GateClosedKeyNext
    where
        for<'__h> u8: GateHandlers,
    {
        <gate::Closed as __GateFireKey<()>>::__fire(self, event)
    }
    ///Raises `Kick` in `Closed`: leads to `Gone`.
    ///
    ///The states that accept it: [`gate::event::Kick`]. In any other state, calling it is a compile error that names the state and the event.
    ///
    #[allow(unused_lifetimes)]
    #[inline]
    fn kick(self) -> Gate<gate::Gone>
    where
        for<'__h> u8: GateHandlers,
    {
        <gate::Closed as __GateFireKick<()>>::__fire(self)
    }
}
#[allow(dead_code)]
impl Gate<gate::Open> {
    #[doc(hidden)]
    fn key(self, _event: u8) -> gate::__private::Illegal
    where
        for<'__a> gate::event::Key: gate::__private::OpenAcceptsKey<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
    ///Raises `Kick` in `Open`: leads to `Gone`.
    ///
    ///The states that accept it: [`gate::event::Kick`]. In any other state, calling it is a compile error that names the state and the event.
    ///
    #[allow(unused_lifetimes)]
    #[inline]
    fn kick(self) -> Gate<gate::Gone>
    where
        for<'__h> u8: GateHandlers,
    {
        <gate::Open as __GateFireKick<()>>::__fire(self)
    }
}
#[allow(dead_code)]
impl Gate<gate::Jammed> {
    #[doc(hidden)]
    fn key(self, _event: u8) -> gate::__private::Illegal
    where
        for<'__a> gate::event::Key: gate::__private::JammedAcceptsKey<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
    ///Raises `Kick` in `Jammed`: leads to `Closed` if `lucky`, else `Closed`.
    ///
    ///The states that accept it: [`gate::event::Kick`]. In any other state, calling it is a compile error that names the state and the event.
    ///
    #[allow(unused_lifetimes)]
    #[inline]
    fn kick(self) -> Gate<gate::Closed>
    where
        for<'__h> u8: GateHandlers,
    {
        <gate::Jammed as __GateFireKick<()>>::__fire(self)
    }
}
#[allow(dead_code)]
impl Gate<gate::Gone> {
    #[doc(hidden)]
    fn key(self, _event: u8) -> gate::__private::Illegal
    where
        for<'__a> gate::event::Key: gate::__private::GoneAcceptsKey<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
    #[doc(hidden)]
    fn kick(self) -> gate::__private::Illegal
    where
        for<'__a> gate::event::Kick: gate::__private::GoneAcceptsKick<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
}
///Where `Closed + Key => Closed` led.
#[must_use = "the machine is inside: match on it to go on"]
#[allow(dead_code)]
enum GateClosedKeyNext {
    ///The machine went to `Open`.
    Open(Gate<gate::Open>),
    ///The machine went to `Jammed`.
    Jammed(Gate<gate::Jammed>),
    ///The machine went to `Closed`.
    Closed(Gate<gate::Closed>),
}
impl ::core::convert::From<GateClosedKeyNext> for GateAny {
    fn from(next: GateClosedKeyNext) -> Self {
        match next {
            GateClosedKeyNext::Open(handle) => Self::Open(handle),
            GateClosedKeyNext::Jammed(handle) => Self::Jammed(handle),
            GateClosedKeyNext::Closed(handle) => Self::Closed(handle),
        }
    }
}
///[`Gate`] in whichever state it is, for code that learns the state only at run time.
#[must_use = "the machine is inside: dropping it drops the machine"]
enum GateAny {
    ///The machine in state `Closed`.
    Closed(Gate<gate::Closed>),
    ///The machine in state `Open`.
    Open(Gate<gate::Open>),
    ///The machine in state `Jammed`.
    Jammed(Gate<gate::Jammed>),
    ///The machine in state `Gone`.
    Gone(Gate<gate::Gone>),
}
///The events of [`Gate`] as values, for [`GateAny::dispatch`].
#[allow(dead_code)]
enum GateEvent {
    ///The event `Key`.
    Key(u8),
    ///The event `Kick`.
    Kick,
}
impl ::core::convert::From<Gate<gate::Closed>> for GateAny {
    #[inline]
    fn from(handle: Gate<gate::Closed>) -> Self {
        Self::Closed(handle)
    }
}
impl ::core::convert::From<Gate<gate::Open>> for GateAny {
    #[inline]
    fn from(handle: Gate<gate::Open>) -> Self {
        Self::Open(handle)
    }
}
impl ::core::convert::From<Gate<gate::Jammed>> for GateAny {
    #[inline]
    fn from(handle: Gate<gate::Jammed>) -> Self {
        Self::Jammed(handle)
    }
}
impl ::core::convert::From<Gate<gate::Gone>> for GateAny {
    #[inline]
    fn from(handle: Gate<gate::Gone>) -> Self {
        Self::Gone(handle)
    }
}
impl GateEvent {
    /// The event's name, as written in the table.
    #[inline]
    fn name(&self) -> &'static str {
        match *self {
            Self::Key(..) => "Key",
            Self::Kick => "Kick",
        }
    }
}
impl ::proxy_machine::Event for GateEvent {
    #[inline]
    fn name(&self) -> &'static str {
        <GateEvent>::name(self)
    }
}
impl ::core::fmt::Debug for GateEvent {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(self.name())
    }
}
impl ::core::fmt::Debug for GateAny {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.debug_tuple(::core::stringify!(GateAny)).field(&self.state_name()).finish()
    }
}
impl GateAny {
    /// The current state's name, as written in the table.
    #[inline]
    fn state_name(&self) -> &'static str {
        match self {
            Self::Closed(handle) => handle.state_name(),
            Self::Open(handle) => handle.state_name(),
            Self::Jammed(handle) => handle.state_name(),
            Self::Gone(handle) => handle.state_name(),
        }
    }
    /// Whether the current state is terminal.
    #[inline]
    fn is_terminal(&self) -> bool {
        match self {
            Self::Closed(_) => false,
            Self::Open(_) => false,
            Self::Jammed(_) => false,
            Self::Gone(_) => true,
        }
    }
    /// The context, owned in every state.
    #[inline]
    fn context(&self) -> &u8 {
        match self {
            Self::Closed(handle) => handle.context(),
            Self::Open(handle) => handle.context(),
            Self::Jammed(handle) => handle.context(),
            Self::Gone(handle) => handle.context(),
        }
    }
    /// The context, mutably.
    #[inline]
    fn context_mut(&mut self) -> &mut u8 {
        match self {
            Self::Closed(handle) => handle.context_mut(),
            Self::Open(handle) => handle.context_mut(),
            Self::Jammed(handle) => handle.context_mut(),
            Self::Gone(handle) => handle.context_mut(),
        }
    }
    /// The current state's timeout: how long the machine may stay, and the
    /// event raised when it stayed that long. Re-arm it after every event
    /// handled in the state.
    #[inline]
    fn timeout(&self) -> ::core::option::Option<(::core::time::Duration, GateEvent)> {
        match self {
            Self::Closed(_) => ::core::option::Option::None,
            Self::Open(_) => ::core::option::Option::None,
            Self::Jammed(_) => ::core::option::Option::None,
            Self::Gone(_) => ::core::option::Option::None,
        }
    }
    /// Whether the current state defers `event`: keeps it, to replay it once
    /// the state has changed.
    #[inline]
    fn defers(&self, event: &GateEvent) -> bool {
        match self {
            Self::Closed(_) => false,
            Self::Open(_) => false,
            Self::Jammed(_) => false,
            Self::Gone(_) => false,
        }
    }
}
impl GateAny
where
    for<'__h> u8: GateHandlers,
{
    /// Handles `event` through the typed transition of the current state, in
    /// place, and says which row it took; or hands the event back, leaving the
    /// machine untouched, when the table has no row for them. A handler that
    /// panics aborts the process (see `Machine::dispatch`).
    #[inline]
    fn dispatch(
        &mut self,
        event: GateEvent,
    ) -> ::core::result::Result<
        ::proxy_machine::Transition,
        ::proxy_machine::Rejected<GateEvent>,
    > {
        if !::core::matches!(
            (& * self, & event), (GateAny::Closed(_), GateEvent::Key(..)) |
            (GateAny::Jammed(_), GateEvent::Kick) | (GateAny::Open(_), GateEvent::Kick) |
            (GateAny::Closed(_), GateEvent::Kick)
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
                        (GateAny::Closed(handle), GateEvent::Key(event)) => {
                            let next: Self = ::core::convert::From::from(
                                <gate::Closed as __GateFireKey<()>>::__fire(handle, event),
                            );
                            let transition = ::proxy_machine::Transition {
                                from: "Closed",
                                event: "Key",
                                to: next.state_name(),
                            };
                            (next, transition)
                        }
                        (GateAny::Jammed(handle), GateEvent::Kick) => {
                            let next: Self = ::core::convert::From::from(
                                <gate::Jammed as __GateFireKick<()>>::__fire(handle),
                            );
                            let transition = ::proxy_machine::Transition {
                                from: "Jammed",
                                event: "Kick",
                                to: "Closed",
                            };
                            (next, transition)
                        }
                        (GateAny::Open(handle), GateEvent::Kick) => {
                            let next: Self = ::core::convert::From::from(
                                <gate::Open as __GateFireKick<()>>::__fire(handle),
                            );
                            let transition = ::proxy_machine::Transition {
                                from: "Open",
                                event: "Kick",
                                to: "Gone",
                            };
                            (next, transition)
                        }
                        (GateAny::Closed(handle), GateEvent::Kick) => {
                            let next: Self = ::core::convert::From::from(
                                <gate::Closed as __GateFireKick<()>>::__fire(handle),
                            );
                            let transition = ::proxy_machine::Transition {
                                from: "Closed",
                                event: "Kick",
                                to: "Gone",
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
impl ::proxy_machine::Machine for GateAny
where
    for<'__h> u8: GateHandlers,
{
    type Event = GateEvent;
    type Context = u8;
    const META: ::proxy_machine::MachineMeta<'static> = Self::META;
    #[inline]
    fn state_name(&self) -> &'static str {
        <GateAny>::state_name(self)
    }
    #[inline]
    fn is_terminal(&self) -> bool {
        <GateAny>::is_terminal(self)
    }
    #[inline]
    fn context(&self) -> &u8 {
        <GateAny>::context(self)
    }
    #[inline]
    fn context_mut(&mut self) -> &mut u8 {
        <GateAny>::context_mut(self)
    }
    #[inline]
    fn timeout(&self) -> ::core::option::Option<(::core::time::Duration, GateEvent)> {
        <GateAny>::timeout(self)
    }
    #[inline]
    fn defers(&self, event: &GateEvent) -> bool {
        <GateAny>::defers(self, event)
    }
    #[inline]
    fn dispatch(
        &mut self,
        event: GateEvent,
    ) -> ::core::result::Result<
        ::proxy_machine::Transition,
        ::proxy_machine::Rejected<GateEvent>,
    > {
        <GateAny>::dispatch(self, event)
    }
}
impl GateAny {
    /// The table: states, events, rows, timeouts, deferrals, initial and terminal states.
    const META: ::proxy_machine::MachineMeta<'static> = ::proxy_machine::meta::MachineMeta {
        name: "Gate",
        doc: "",
        states: &[
            ::proxy_machine::meta::StateMeta {
                name: "Closed",
                data: ::core::option::Option::None,
                doc: "",
                entry: false,
                exit: true,
            },
            ::proxy_machine::meta::StateMeta {
                name: "Open",
                data: ::core::option::Option::Some("u8"),
                doc: "",
                entry: false,
                exit: false,
            },
            ::proxy_machine::meta::StateMeta {
                name: "Jammed",
                data: ::core::option::Option::None,
                doc: "",
                entry: false,
                exit: false,
            },
            ::proxy_machine::meta::StateMeta {
                name: "Gone",
                data: ::core::option::Option::None,
                doc: "",
                entry: false,
                exit: false,
            },
        ],
        events: &[
            ::proxy_machine::meta::EventMeta {
                name: "Key",
                payload: ::core::option::Option::Some("u8"),
                doc: "",
            },
            ::proxy_machine::meta::EventMeta {
                name: "Kick",
                payload: ::core::option::Option::None,
                doc: "",
            },
        ],
        rows: &[
            ::proxy_machine::meta::RowMeta {
                source: "Closed",
                event: "Key",
                targets: &["Open"],
                guard: ::core::option::Option::Some("matches"),
                via: ::core::option::Option::None,
            },
            ::proxy_machine::meta::RowMeta {
                source: "Closed",
                event: "Key",
                targets: &["Jammed"],
                guard: ::core::option::Option::Some("stuck"),
                via: ::core::option::Option::None,
            },
            ::proxy_machine::meta::RowMeta {
                source: "Closed",
                event: "Key",
                targets: &["Closed"],
                guard: ::core::option::Option::None,
                via: ::core::option::Option::None,
            },
            ::proxy_machine::meta::RowMeta {
                source: "Jammed",
                event: "Kick",
                targets: &["Closed"],
                guard: ::core::option::Option::Some("lucky"),
                via: ::core::option::Option::None,
            },
            ::proxy_machine::meta::RowMeta {
                source: "Jammed",
                event: "Kick",
                targets: &["Closed"],
                guard: ::core::option::Option::None,
                via: ::core::option::Option::None,
            },
            ::proxy_machine::meta::RowMeta {
                source: "Open",
                event: "Kick",
                targets: &["Gone"],
                guard: ::core::option::Option::None,
                via: ::core::option::Option::None,
            },
            ::proxy_machine::meta::RowMeta {
                source: "Closed",
                event: "Kick",
                targets: &["Gone"],
                guard: ::core::option::Option::None,
                via: ::core::option::Option::None,
            },
        ],
        timeouts: &[],
        deferrals: &[],
        initial: "Closed",
        terminal: &["Gone"],
        superstates: &[],
    };
}
::proxy_machine::__with_std! {
    impl GateAny { #[doc = r" The lifecycle as a Mermaid `stateDiagram-v2`."] fn
    to_mermaid() -> ::proxy_machine::__String { Self::META.to_mermaid() } #[doc =
    r" The lifecycle as a Graphviz `digraph`."] fn to_dot() -> ::proxy_machine::__String
    { Self::META.to_dot() } }
}
