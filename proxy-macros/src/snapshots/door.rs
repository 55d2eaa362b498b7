///The states of [`Door`](super::Door) as types, and its events as types in [`event`].
#[allow(non_snake_case, dead_code, clippy::empty_enum)]
pub mod door {
    ///The state `Open` of [`Door`](super::Door).
    pub enum Open {}
    impl __private::Sealed for Open {}
    ///The state `Shut` of [`Door`](super::Door).
    pub enum Shut {}
    impl __private::Sealed for Shut {}
    ///The state `Gone` of [`Door`](super::Door).
    pub enum Gone {}
    impl __private::Sealed for Gone {}
    ///The events of [`Door`](super::super::Door) as types.
    pub mod event {
        ///The event `Push`, at the type level.
        ///
        ///| in state | leads to |
        ///|---|---|
        ///| `Open` | `Shut` |
        ///| `Shut` | `Open` or `Shut` |
        ///
        ///In any other state, calling its method is a compile error that names the state and the event.
        pub enum Push {}
        ///The event `Lock`, at the type level.
        ///
        ///No state accepts it: calling its method does not compile.
        pub enum Lock {}
        ///The event `Burn`, at the type level.
        ///
        ///| in state | leads to |
        ///|---|---|
        ///| `Open` | `Gone` |
        ///| `Shut` | `Gone` |
        ///
        ///In any other state, calling its method is a compile error that names the state and the event.
        pub enum Burn {}
    }
    #[doc(hidden)]
    pub mod __private {
        /// Seals the state trait: only the table's states implement it.
        pub trait Sealed {}
        /// The `Next` of an event a state does not accept.
        pub enum Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Open` does not accept `Lock`",
            label = "`Open` does not accept `Lock`",
            note = "`Open` accepts `Push`, `Burn`"
        )]
        pub trait OpenAcceptsLock<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> OpenAcceptsLock<'__a> for Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Shut` does not accept `Lock`",
            label = "`Shut` does not accept `Lock`",
            note = "`Shut` accepts `Push`, `Burn`",
            note = "`Shut` defers `Lock` until the state changes"
        )]
        pub trait ShutAcceptsLock<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> ShutAcceptsLock<'__a> for Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Gone` does not accept `Push`",
            label = "`Gone` does not accept `Push`",
            note = "`Gone` is a terminal state of `Door`: it accepts no event"
        )]
        pub trait GoneAcceptsPush<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> GoneAcceptsPush<'__a> for Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Gone` does not accept `Lock`",
            label = "`Gone` does not accept `Lock`",
            note = "`Gone` is a terminal state of `Door`: it accepts no event"
        )]
        pub trait GoneAcceptsLock<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> GoneAcceptsLock<'__a> for Illegal {}
        #[diagnostic::on_unimplemented(
            message = "illegal transition: `Gone` does not accept `Burn`",
            label = "`Gone` does not accept `Burn`",
            note = "`Gone` is a terminal state of `Door`: it accepts no event"
        )]
        pub trait GoneAcceptsBurn<'__a> {}
        #[diagnostic::do_not_recommend]
        impl<'__a> GoneAcceptsBurn<'__a> for Illegal {}
    }
}
/// A door.
/**
# Lifecycle

<div class="lifecycle-diagram" style="overflow-x: auto; background: #fff; padding: 4px"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 316 336" width="316" height="336" class="machine" data-machine="Door" role="img" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"> <title>Door</title> <defs><marker id="arrow-Door" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,1 L10,5 L0,9 z" fill="#8c959f"/></marker></defs> <g class="edges"> <g class="edge" id="edge-Open-Shut" data-source="Open" data-target="Shut"><title>Open → Shut: Push (after core::time::Duration::from_secs(*cx as u64))</title><path d="M74.7,76 C74.7,107 46.6,107 46.6,138" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Door)"/><text class="edge-label" x="60.7" y="107" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Push</text></g> <g class="edge" id="edge-Shut-Open" data-source="Shut" data-target="Open"><title>Shut → Open: Push</title><path d="M58.6,138 C58.6,107 86.7,107 86.7,76" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Door)"/><text class="edge-label" x="61.5" y="122.6" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Push</text></g> <g class="edge" id="edge-Open-Gone" data-source="Open" data-target="Gone"><title>Open → Gone: Burn</title><path d="M98.7,76 C98.7,107 111.2,107 111.2,138 C111.2,154 111.2,154 111.2,170 C111.2,201 87.9,201 87.9,232" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Door)"/><text class="edge-label" x="105" y="107" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Burn</text></g> <g class="edge" id="edge-Shut-Gone" data-source="Shut" data-target="Gone"><title>Shut → Gone: Burn</title><path d="M52.6,170 C52.6,201 75.9,201 75.9,232" fill="none" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Door)"/><text class="edge-label" x="64.3" y="201" text-anchor="middle" dominant-baseline="central" font-size="11" fill="#57606a" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">Burn</text></g> </g> <g class="initial-marker"><circle cx="86.7" cy="16" r="6" fill="#24292f"/><path d="M86.7,22 L86.7,44" stroke="#8c959f" stroke-width="1.3" marker-end="url(#arrow-Door)"/></g> <g class="states"> <g class="state initial" id="state-Open" data-state="Open"><title>Open after core::time::Duration::from_secs(*cx as u64) =&gt; Push</title><rect x="57.1" y="44" width="59.2" height="32" rx="8" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/><text x="86.7" y="60" text-anchor="middle" dominant-baseline="central" font-size="13" font-weight="600" fill="#24292f">Open</text></g> <g class="state" id="state-Shut" data-state="Shut"><title>Shut(bool) defers Lock stays on Push</title><rect x="16" y="138" width="73.2" height="32" rx="8" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/><text x="45.6" y="154" text-anchor="middle" dominant-baseline="central" font-size="13" font-weight="600" fill="#24292f">Shut</text><text class="loops" x="75.2" y="154" text-anchor="middle" dominant-baseline="central" font-size="12" fill="#57606a">↻</text></g> <g class="state terminal" id="state-Gone" data-state="Gone"><title>Gone</title><rect x="52.3" y="232" width="59.2" height="32" rx="8" fill="#f6f8fa" stroke="#57606a" stroke-width="1.5"/><rect class="inner" x="55.3" y="235" width="53.2" height="26" rx="6" fill="none" stroke="#57606a"/><text x="81.9" y="248" text-anchor="middle" dominant-baseline="central" font-size="13" font-weight="600" fill="#24292f">Gone</text></g> </g> <g class="legend" font-size="11" fill="#57606a"> <text x="16" y="288">↻ events handled without leaving the state:</text> <text x="28" y="304">Shut: Push</text> </g> </svg></div>

Drawn from the table when the macro expanded (an inline SVG: no script, nothing fetched). The same diagram as text, from `DoorAny::to_mermaid()` (and `to_dot()` for Graphviz):

<details><summary>Mermaid</summary>

```mermaid
stateDiagram-v2
    [*] --> Open
    Open --> Shut: after core∷time∷Duration∷from_secs(*cx as u64) / Push
    Shut --> Open: Push
    Shut --> Shut: Push
    Open --> Gone: Burn
    Shut --> Gone: Burn
    note right of Shut: defers Lock
    Gone --> [*]
```

</details>

Generated by `lifecycle!`: the states are the types in [`door`]; each event is a method legal only in the states whose rows accept it; the rows' bodies are the methods of [`DoorHandlers`]; [`DoorAny`] holds the machine when its state is known only at run time.

A handle costs what its fields cost: the context and the state's data. `Door` is consumed by each transition.*/
#[must_use = "a lifecycle handle is consumed by its transitions; dropping it drops the machine"]
#[repr(C)]
pub struct Door<S: DoorState> {
    __context: u32,
    __data: <S as DoorState>::Data,
    __state: ::core::marker::PhantomData<fn() -> S>,
    __generics: ::core::marker::PhantomData<fn() -> ()>,
}
///The states of [`Door`]: implemented by the markers in [`door`] and by nothing else.
pub trait DoorState: door::__private::Sealed + ::core::marker::Sized {
    /// The data the handle holds in this state (`()` for a state without data).
    type Data;
    /// The state's name, as written in the table.
    const NAME: &'static str;
    #[doc(hidden)]
    fn __into_any(handle: Door<Self>) -> DoorAny;
}
impl DoorState for door::Open {
    type Data = ();
    const NAME: &'static str = "Open";
    #[inline]
    fn __into_any(handle: Door<door::Open>) -> DoorAny {
        <DoorAny>::Open(handle)
    }
}
impl DoorState for door::Shut {
    type Data = bool;
    const NAME: &'static str = "Shut";
    #[inline]
    fn __into_any(handle: Door<door::Shut>) -> DoorAny {
        <DoorAny>::Shut(handle)
    }
}
impl DoorState for door::Gone {
    type Data = ();
    const NAME: &'static str = "Gone";
    #[inline]
    fn __into_any(handle: Door<door::Gone>) -> DoorAny {
        <DoorAny>::Gone(handle)
    }
}
impl<S: DoorState> Door<S> {
    /// Rebuilds a handle in state `S` from its parts, without a transition:
    /// for a machine restored from storage. Everywhere else, let the table
    /// move the machine.
    pub fn restore(context: u32, data: <S as DoorState>::Data) -> Self {
        Self {
            __context: context,
            __data: data,
            __state: ::core::marker::PhantomData,
            __generics: ::core::marker::PhantomData,
        }
    }
    /// The context, owned in every state.
    pub fn context(&self) -> &u32 {
        &self.__context
    }
    /// The context, mutably.
    pub fn context_mut(&mut self) -> &mut u32 {
        &mut self.__context
    }
    /// The current state's data.
    pub fn data(&self) -> &<S as DoorState>::Data {
        &self.__data
    }
    /// The current state's data, mutably.
    pub fn data_mut(&mut self) -> &mut <S as DoorState>::Data {
        &mut self.__data
    }
    /// The context and the state's data.
    pub fn into_parts(self) -> (u32, <S as DoorState>::Data) {
        (self.__context, self.__data)
    }
    /// The current state's name, as written in the table.
    pub fn state_name(&self) -> &'static str {
        <S as DoorState>::NAME
    }
    /// The handle as the runtime enum, for code that learns the state only at run time.
    pub fn into_any(self) -> DoorAny {
        <S as DoorState>::__into_any(self)
    }
}
impl Door<door::Open> {
    ///Starts a machine in its initial state, `Open`.
    #[inline]
    pub fn new(context: u32) -> Self {
        Self::restore(context, ())
    }
}
impl<S: DoorState> ::core::fmt::Debug for Door<S> {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.debug_tuple(::core::stringify!(Door)).field(&<S as DoorState>::NAME).finish()
    }
}
///The bodies of the rows of [`Door`]: implement it for the context type, one method per (state, event) pair of the table.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement the handlers of `Door`",
    label = "`Door` needs `DoorHandlers` implemented for its context",
    note = "add `impl DoorHandlers for <context> {{ .. }}` with one method per row of the table"
)]
#[allow(dead_code)]
pub trait DoorHandlers {
    ///`Open + Push => Shut`.
    ///
    fn open_push(&mut self) -> bool;
    ///`Shut + Push => Open | Shut`.
    ///
    fn shut_push(&mut self, state: bool) -> DoorShutPush;
    ///`Open + Burn => Gone`.
    ///
    fn open_burn(&mut self);
    ///`Shut + Burn => Gone`.
    ///
    fn shut_burn(&mut self, state: bool);
}
///What the handler of `Shut + Push => Open | Shut` chooses.
#[allow(dead_code)]
pub enum DoorShutPush {
    ///Go to `Open`.
    Open,
    ///Go to `Shut`.
    Shut(bool),
}
#[doc(hidden)]
///`Gone` is not a target of `Shut + Push => Open | Shut`.
#[allow(dead_code)]
pub struct DoorShutPushLeadsToOpenOrShutNotGone;
#[allow(non_snake_case, non_upper_case_globals, dead_code)]
impl DoorShutPush {
    #[doc(hidden)]
    pub const Gone: DoorShutPushLeadsToOpenOrShutNotGone = DoorShutPushLeadsToOpenOrShutNotGone;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
pub trait __DoorOnPush {
    type Next;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
pub trait __DoorFirePush<X>: __DoorOnPush + DoorState {
    fn __fire(handle: Door<Self>) -> <Self as __DoorOnPush>::Next;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
pub trait __DoorOnLock {
    type Next;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
pub trait __DoorFireLock<X>: __DoorOnLock + DoorState {
    fn __fire(handle: Door<Self>, event: bool) -> <Self as __DoorOnLock>::Next;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
pub trait __DoorOnBurn {
    type Next;
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
pub trait __DoorFireBurn<X>: __DoorOnBurn + DoorState {
    fn __fire(handle: Door<Self>) -> <Self as __DoorOnBurn>::Next;
}
impl __DoorOnPush for door::Open {
    type Next = Door<door::Shut>;
}
impl __DoorFirePush<()> for door::Open
where
    for<'__h> u32: DoorHandlers,
{
    #[inline]
    fn __fire(handle: Door<door::Open>) -> Door<door::Shut> {
        let (mut context, _) = handle.into_parts();
        let next = <u32 as DoorHandlers>::open_push(&mut context);
        <Door<door::Shut>>::restore(context, next)
    }
}
impl __DoorOnPush for door::Shut {
    type Next = DoorShutPushNext;
}
impl __DoorFirePush<()> for door::Shut
where
    for<'__h> u32: DoorHandlers,
{
    #[inline]
    fn __fire(handle: Door<door::Shut>) -> DoorShutPushNext {
        let (mut context, data) = handle.into_parts();
        match <u32 as DoorHandlers>::shut_push(&mut context, data) {
            DoorShutPush::Open => {
                DoorShutPushNext::Open(<Door<door::Open>>::restore(context, ()))
            }
            DoorShutPush::Shut(data) => {
                DoorShutPushNext::Shut(<Door<door::Shut>>::restore(context, data))
            }
        }
    }
}
impl __DoorOnBurn for door::Open {
    type Next = Door<door::Gone>;
}
impl __DoorFireBurn<()> for door::Open
where
    for<'__h> u32: DoorHandlers,
{
    #[inline]
    fn __fire(handle: Door<door::Open>) -> Door<door::Gone> {
        let (mut context, _) = handle.into_parts();
        <u32 as DoorHandlers>::open_burn(&mut context);
        <Door<door::Gone>>::restore(context, ())
    }
}
impl __DoorOnBurn for door::Shut {
    type Next = Door<door::Gone>;
}
impl __DoorFireBurn<()> for door::Shut
where
    for<'__h> u32: DoorHandlers,
{
    #[inline]
    fn __fire(handle: Door<door::Shut>) -> Door<door::Gone> {
        let (mut context, data) = handle.into_parts();
        <u32 as DoorHandlers>::shut_burn(&mut context, data);
        <Door<door::Gone>>::restore(context, ())
    }
}
#[allow(dead_code)]
impl Door<door::Open> {
    ///Raises `Push` in `Open`: leads to `Shut`.
    ///
    ///The states that accept it: [`door::event::Push`]. In any other state, calling it is a compile error that names the state and the event.
    ///
    #[allow(unused_lifetimes)]
    #[inline]
    pub fn push(self) -> Door<door::Shut>
    where
        for<'__h> u32: DoorHandlers,
    {
        <door::Open as __DoorFirePush<()>>::__fire(self)
    }
    #[doc(hidden)]
    pub fn lock(self, _event: bool) -> door::__private::Illegal
    where
        for<'__a> door::event::Lock: door::__private::OpenAcceptsLock<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
    ///Raises `Burn` in `Open`: leads to `Gone`.
    ///
    ///The states that accept it: [`door::event::Burn`]. In any other state, calling it is a compile error that names the state and the event.
    ///
    #[allow(unused_lifetimes)]
    #[inline]
    pub fn burn(self) -> Door<door::Gone>
    where
        for<'__h> u32: DoorHandlers,
    {
        <door::Open as __DoorFireBurn<()>>::__fire(self)
    }
}
#[allow(dead_code)]
impl Door<door::Shut> {
    ///Raises `Push` in `Shut`: leads to `Open` or `Shut`.
    ///
    ///The states that accept it: [`door::event::Push`]. In any other state, calling it is a compile error that names the state and the event.
    ///
    #[allow(unused_lifetimes)]
    #[inline]
    pub fn push(self) -> DoorShutPushNext
    where
        for<'__h> u32: DoorHandlers,
    {
        <door::Shut as __DoorFirePush<()>>::__fire(self)
    }
    #[doc(hidden)]
    pub fn lock(self, _event: bool) -> door::__private::Illegal
    where
        for<'__a> door::event::Lock: door::__private::ShutAcceptsLock<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
    ///Raises `Burn` in `Shut`: leads to `Gone`.
    ///
    ///The states that accept it: [`door::event::Burn`]. In any other state, calling it is a compile error that names the state and the event.
    ///
    #[allow(unused_lifetimes)]
    #[inline]
    pub fn burn(self) -> Door<door::Gone>
    where
        for<'__h> u32: DoorHandlers,
    {
        <door::Shut as __DoorFireBurn<()>>::__fire(self)
    }
}
#[allow(dead_code)]
impl Door<door::Gone> {
    #[doc(hidden)]
    pub fn push(self) -> door::__private::Illegal
    where
        for<'__a> door::event::Push: door::__private::GoneAcceptsPush<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
    #[doc(hidden)]
    pub fn lock(self, _event: bool) -> door::__private::Illegal
    where
        for<'__a> door::event::Lock: door::__private::GoneAcceptsLock<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
    #[doc(hidden)]
    pub fn burn(self) -> door::__private::Illegal
    where
        for<'__a> door::event::Burn: door::__private::GoneAcceptsBurn<'__a>,
    {
        ::proxy_machine::__private::illegal()
    }
}
///Where `Shut + Push => Open | Shut` led.
#[must_use = "the machine is inside: match on it to go on"]
#[allow(dead_code)]
pub enum DoorShutPushNext {
    ///The machine went to `Open`.
    Open(Door<door::Open>),
    ///The machine went to `Shut`.
    Shut(Door<door::Shut>),
}
impl ::core::convert::From<DoorShutPushNext> for DoorAny {
    fn from(next: DoorShutPushNext) -> Self {
        match next {
            DoorShutPushNext::Open(handle) => Self::Open(handle),
            DoorShutPushNext::Shut(handle) => Self::Shut(handle),
        }
    }
}
///[`Door`] in whichever state it is, for code that learns the state only at run time.
#[must_use = "the machine is inside: dropping it drops the machine"]
pub enum DoorAny {
    ///The machine in state `Open`.
    Open(Door<door::Open>),
    ///The machine in state `Shut`.
    Shut(Door<door::Shut>),
    ///The machine in state `Gone`.
    Gone(Door<door::Gone>),
}
///The events of [`Door`] as values, for [`DoorAny::dispatch`].
#[allow(dead_code)]
pub enum DoorEvent {
    ///The event `Push`.
    Push,
    ///The event `Lock`.
    Lock(bool),
    ///The event `Burn`.
    Burn,
}
impl ::core::convert::From<Door<door::Open>> for DoorAny {
    #[inline]
    fn from(handle: Door<door::Open>) -> Self {
        Self::Open(handle)
    }
}
impl ::core::convert::From<Door<door::Shut>> for DoorAny {
    #[inline]
    fn from(handle: Door<door::Shut>) -> Self {
        Self::Shut(handle)
    }
}
impl ::core::convert::From<Door<door::Gone>> for DoorAny {
    #[inline]
    fn from(handle: Door<door::Gone>) -> Self {
        Self::Gone(handle)
    }
}
impl DoorEvent {
    /// The event's name, as written in the table.
    #[inline]
    pub fn name(&self) -> &'static str {
        match *self {
            Self::Push => "Push",
            Self::Lock(..) => "Lock",
            Self::Burn => "Burn",
        }
    }
}
impl ::proxy_machine::Event for DoorEvent {
    #[inline]
    fn name(&self) -> &'static str {
        <DoorEvent>::name(self)
    }
}
impl ::core::fmt::Debug for DoorEvent {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str(self.name())
    }
}
impl ::core::fmt::Debug for DoorAny {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.debug_tuple(::core::stringify!(DoorAny)).field(&self.state_name()).finish()
    }
}
impl DoorAny {
    /// The current state's name, as written in the table.
    #[inline]
    pub fn state_name(&self) -> &'static str {
        match self {
            Self::Open(handle) => handle.state_name(),
            Self::Shut(handle) => handle.state_name(),
            Self::Gone(handle) => handle.state_name(),
        }
    }
    /// Whether the current state is terminal.
    #[inline]
    pub fn is_terminal(&self) -> bool {
        match self {
            Self::Open(_) => false,
            Self::Shut(_) => false,
            Self::Gone(_) => true,
        }
    }
    /// The context, owned in every state.
    #[inline]
    pub fn context(&self) -> &u32 {
        match self {
            Self::Open(handle) => handle.context(),
            Self::Shut(handle) => handle.context(),
            Self::Gone(handle) => handle.context(),
        }
    }
    /// The context, mutably.
    #[inline]
    pub fn context_mut(&mut self) -> &mut u32 {
        match self {
            Self::Open(handle) => handle.context_mut(),
            Self::Shut(handle) => handle.context_mut(),
            Self::Gone(handle) => handle.context_mut(),
        }
    }
    /// The current state's timeout: how long the machine may stay, and the
    /// event raised when it stayed that long. Re-arm it after every event
    /// handled in the state.
    #[inline]
    pub fn timeout(
        &self,
    ) -> ::core::option::Option<(::core::time::Duration, DoorEvent)> {
        match self {
            Self::Open(handle) => {
                #[allow(unused_variables)]
                let cx: &u32 = handle.context();
                let after: ::core::time::Duration = core::time::Duration::from_secs(
                    *cx as u64,
                );
                ::core::option::Option::Some((after, DoorEvent::Push))
            }
            Self::Shut(_) => ::core::option::Option::None,
            Self::Gone(_) => ::core::option::Option::None,
        }
    }
    /// Whether the current state defers `event`: keeps it, to replay it once
    /// the state has changed.
    #[inline]
    pub fn defers(&self, event: &DoorEvent) -> bool {
        match self {
            Self::Open(_) => false,
            Self::Shut(_) => ::core::matches!(event, DoorEvent::Lock(..)),
            Self::Gone(_) => false,
        }
    }
}
impl DoorAny
where
    for<'__h> u32: DoorHandlers,
{
    /// Handles `event` through the typed transition of the current state, in
    /// place, and says which row it took; or hands the event back, leaving the
    /// machine untouched, when the table has no row for them. A handler that
    /// panics aborts the process (see `Machine::dispatch`).
    #[inline]
    pub fn dispatch(
        &mut self,
        event: DoorEvent,
    ) -> ::core::result::Result<
        ::proxy_machine::Transition,
        ::proxy_machine::Rejected<DoorEvent>,
    > {
        if !::core::matches!(
            (& * self, & event), (DoorAny::Open(_), DoorEvent::Push) | (DoorAny::Shut(_),
            DoorEvent::Push) | (DoorAny::Open(_), DoorEvent::Burn) | (DoorAny::Shut(_),
            DoorEvent::Burn)
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
                        (DoorAny::Open(handle), DoorEvent::Push) => {
                            let next: Self = ::core::convert::From::from(
                                <door::Open as __DoorFirePush<()>>::__fire(handle),
                            );
                            let transition = ::proxy_machine::Transition {
                                from: "Open",
                                event: "Push",
                                to: "Shut",
                            };
                            (next, transition)
                        }
                        (DoorAny::Shut(handle), DoorEvent::Push) => {
                            let next: Self = ::core::convert::From::from(
                                <door::Shut as __DoorFirePush<()>>::__fire(handle),
                            );
                            let transition = ::proxy_machine::Transition {
                                from: "Shut",
                                event: "Push",
                                to: next.state_name(),
                            };
                            (next, transition)
                        }
                        (DoorAny::Open(handle), DoorEvent::Burn) => {
                            let next: Self = ::core::convert::From::from(
                                <door::Open as __DoorFireBurn<()>>::__fire(handle),
                            );
                            let transition = ::proxy_machine::Transition {
                                from: "Open",
                                event: "Burn",
                                to: "Gone",
                            };
                            (next, transition)
                        }
                        (DoorAny::Shut(handle), DoorEvent::Burn) => {
                            let next: Self = ::core::convert::From::from(
                                <door::Shut as __DoorFireBurn<()>>::__fire(handle),
                            );
                            let transition = ::proxy_machine::Transition {
                                from: "Shut",
                                event: "Burn",
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
impl ::proxy_machine::Machine for DoorAny
where
    for<'__h> u32: DoorHandlers,
{
    type Event = DoorEvent;
    type Context = u32;
    const META: ::proxy_machine::MachineMeta<'static> = Self::META;
    #[inline]
    fn state_name(&self) -> &'static str {
        <DoorAny>::state_name(self)
    }
    #[inline]
    fn is_terminal(&self) -> bool {
        <DoorAny>::is_terminal(self)
    }
    #[inline]
    fn context(&self) -> &u32 {
        <DoorAny>::context(self)
    }
    #[inline]
    fn context_mut(&mut self) -> &mut u32 {
        <DoorAny>::context_mut(self)
    }
    #[inline]
    fn timeout(&self) -> ::core::option::Option<(::core::time::Duration, DoorEvent)> {
        <DoorAny>::timeout(self)
    }
    #[inline]
    fn defers(&self, event: &DoorEvent) -> bool {
        <DoorAny>::defers(self, event)
    }
    #[inline]
    fn dispatch(
        &mut self,
        event: DoorEvent,
    ) -> ::core::result::Result<
        ::proxy_machine::Transition,
        ::proxy_machine::Rejected<DoorEvent>,
    > {
        <DoorAny>::dispatch(self, event)
    }
}
impl DoorAny {
    /// The table: states, events, rows, timeouts, deferrals, initial and terminal states.
    pub const META: ::proxy_machine::MachineMeta<'static> = ::proxy_machine::meta::MachineMeta {
        name: "Door",
        doc: "A door.",
        states: &[
            ::proxy_machine::meta::StateMeta {
                name: "Open",
                data: ::core::option::Option::None,
                doc: "",
                entry: false,
                exit: false,
            },
            ::proxy_machine::meta::StateMeta {
                name: "Shut",
                data: ::core::option::Option::Some("bool"),
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
                name: "Push",
                payload: ::core::option::Option::None,
                doc: "",
            },
            ::proxy_machine::meta::EventMeta {
                name: "Lock",
                payload: ::core::option::Option::Some("bool"),
                doc: "",
            },
            ::proxy_machine::meta::EventMeta {
                name: "Burn",
                payload: ::core::option::Option::None,
                doc: "",
            },
        ],
        rows: &[
            ::proxy_machine::meta::RowMeta {
                source: "Open",
                event: "Push",
                targets: &["Shut"],
                guard: ::core::option::Option::None,
                via: ::core::option::Option::None,
            },
            ::proxy_machine::meta::RowMeta {
                source: "Shut",
                event: "Push",
                targets: &["Open", "Shut"],
                guard: ::core::option::Option::None,
                via: ::core::option::Option::None,
            },
            ::proxy_machine::meta::RowMeta {
                source: "Open",
                event: "Burn",
                targets: &["Gone"],
                guard: ::core::option::Option::None,
                via: ::core::option::Option::None,
            },
            ::proxy_machine::meta::RowMeta {
                source: "Shut",
                event: "Burn",
                targets: &["Gone"],
                guard: ::core::option::Option::None,
                via: ::core::option::Option::None,
            },
        ],
        timeouts: &[
            ::proxy_machine::meta::TimeoutMeta {
                state: "Open",
                after: "core::time::Duration::from_secs(*cx as u64)",
                event: "Push",
            },
        ],
        deferrals: &[
            ::proxy_machine::meta::DeferralMeta {
                state: "Shut",
                events: &["Lock"],
            },
        ],
        initial: "Open",
        terminal: &["Gone"],
        superstates: &[],
    };
}
::proxy_machine::__with_std! {
    impl DoorAny { #[doc = r" The lifecycle as a Mermaid `stateDiagram-v2`."] pub fn
    to_mermaid() -> ::proxy_machine::__String { Self::META.to_mermaid() } #[doc =
    r" The lifecycle as a Graphviz `digraph`."] pub fn to_dot() ->
    ::proxy_machine::__String { Self::META.to_dot() } }
}
