//! Model to tokens, one file per generated artefact. Codegen reads only the model.
//!
//! For `machine Lease` the expansion holds:
//! - `mod lease`: one uninhabited marker type per state, one per event (`lease::event`),
//!   and the hidden diagnostic traits. It names no user type, so a machine declared
//!   inside a function works (a nested module cannot see a function's local items).
//! - `Lease<S>` ([`handle`]): the typestate handle owning the context and the state's data.
//! - one method per event on `Lease<S>` ([`transitions`]), legal only on the rows' sources.
//! - `LeaseHandlers` ([`handlers`]): the trait whose methods are the rows' bodies.
//! - `LeaseAny` and `LeaseEvent` ([`runtime`]): the runtime enum and `dispatch`.
//! - `LeaseAny::META` and the diagram in the docs ([`meta`]).

mod handle;
mod handlers;
mod markers;
mod meta;
mod runtime;
mod transitions;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{GenericParam, Ident, Type, WherePredicate};

use crate::model::{Machine, Row};
use crate::names;

/// The whole expansion of one machine.
/// `krate` is the path of the runtime support crate (`proxy_machine`).
pub(crate) fn machine(m: &Machine, krate: &TokenStream) -> TokenStream {
    let cx = Ctx::new(m, krate.clone());
    let parts = [
        markers::generate(&cx),
        handle::generate(&cx),
        handlers::generate(&cx),
        transitions::generate(&cx),
        runtime::generate(&cx),
        meta::generate(&cx),
    ];
    quote!(#(#parts)*)
}

/// The model plus every name and generic list codegen derives from it.
pub(crate) struct Ctx<'m> {
    pub(crate) m: &'m Machine,
    /// The path of the runtime support crate (`$crate` of `proxy_machine`, or
    /// `::proxy_machine`): every generated path into it starts with this.
    pub(crate) krate: TokenStream,
    /// `Lease`: the typestate handle.
    pub(crate) handle: Ident,
    /// `lease`: the marker module.
    pub(crate) module: Ident,
    /// `LeaseState`: the sealed trait of the state markers.
    pub(crate) state_trait: Ident,
    /// `LeaseHandlers`: the rows' bodies.
    pub(crate) handlers: Ident,
    /// `LeaseAny`: the runtime enum over states.
    pub(crate) any: Ident,
    /// `LeaseEvent`: the runtime enum over events.
    pub(crate) event_enum: Ident,
    /// The handle's state parameter (`S`, or `__S` when the machine has its own `S`).
    pub(crate) s: Ident,
    /// The machine's generic parameters, with bounds and without defaults.
    pub(crate) params: Vec<GenericParam>,
    /// The machine's generic arguments (`'a`, `T`).
    pub(crate) args: Vec<TokenStream>,
    /// The machine's where-clause predicates.
    pub(crate) preds: Vec<WherePredicate>,
    /// The index in `m.rows` of the row of each (state, event) pair, at
    /// `state * events + event`: codegen asks once per pair, so a big table's
    /// lookups stay linear.
    pair_rows: Vec<Option<usize>>,
}

impl<'m> Ctx<'m> {
    fn new(m: &'m Machine, krate: TokenStream) -> Self {
        let name = &m.name;
        let params: Vec<GenericParam> = m
            .generics
            .params
            .iter()
            .cloned()
            .map(|mut p| {
                if let GenericParam::Type(t) = &mut p {
                    t.eq_token = None;
                    t.default = None;
                }
                p
            })
            .collect();
        let args = params
            .iter()
            .map(|p| match p {
                GenericParam::Lifetime(l) => {
                    let l = &l.lifetime;
                    quote!(#l)
                }
                GenericParam::Type(t) => {
                    let t = &t.ident;
                    quote!(#t)
                }
                GenericParam::Const(c) => {
                    let c = &c.ident;
                    quote!(#c)
                }
            })
            .collect();
        let mut pair_rows = vec![None; m.states.len() * m.events.len()];
        for (index, row) in m.rows.iter().enumerate() {
            pair_rows[row.source * m.events.len() + row.event] = Some(index);
        }
        let taken_s = params.iter().any(|p| matches!(p, GenericParam::Type(t) if t.ident == "S"));
        Ctx {
            m,
            krate,
            handle: name.clone(),
            module: Ident::new(&names::snake(&name.to_string()), name.span()),
            state_trait: format_ident!("{}State", name),
            handlers: format_ident!("{}Handlers", name),
            any: format_ident!("{}Any", name),
            event_enum: format_ident!("{}Event", name),
            s: Ident::new(if taken_s { "__S" } else { "S" }, Span::call_site()),
            params,
            args,
            preds: m
                .generics
                .where_clause
                .as_ref()
                .map(|w| w.predicates.iter().cloned().collect())
                .unwrap_or_default(),
            pair_rows,
        }
    }

    /// The row for `(state, event)`, if the table has one.
    pub(crate) fn row(&self, state: usize, event: usize) -> Option<&'m Row> {
        let m = self.m;
        self.pair_rows[state * m.events.len() + event].map(|index| &m.rows[index])
    }

    /// `Name` or `Name<'a, T>`: a generated item that takes the machine's generics.
    pub(crate) fn generic(&self, name: &Ident) -> TokenStream {
        let args = &self.args;
        if args.is_empty() {
            quote!(#name)
        } else {
            quote!(#name<#(#args),*>)
        }
    }

    /// `Lease<'a, T, state>`.
    pub(crate) fn handle_of(&self, state: &TokenStream) -> TokenStream {
        let (handle, args) = (&self.handle, &self.args);
        quote!(#handle<#(#args,)* #state>)
    }

    /// `<'a, T: Bound, extra..>` for an impl or item header.
    pub(crate) fn params_with(&self, extra: &[TokenStream]) -> TokenStream {
        let params = &self.params;
        if params.is_empty() && extra.is_empty() {
            quote!()
        } else {
            quote!(<#(#params,)* #(#extra),*>)
        }
    }

    /// `where pred, extra..` (empty when there is nothing to say).
    pub(crate) fn where_with(&self, extra: &[TokenStream]) -> TokenStream {
        let preds = &self.preds;
        if preds.is_empty() && extra.is_empty() {
            quote!()
        } else {
            quote!(where #(#preds,)* #(#extra),*)
        }
    }

    /// A zero-sized field type that uses every machine generic, for items whose
    /// other fields may not (`PhantomData<fn() -> (T, &'a ())>`).
    pub(crate) fn phantom(&self) -> TokenStream {
        let uses = self.params.iter().filter_map(|p| match p {
            GenericParam::Lifetime(l) => {
                let l = &l.lifetime;
                Some(quote!(&#l ()))
            }
            GenericParam::Type(t) => {
                let t = &t.ident;
                Some(quote!(#t))
            }
            GenericParam::Const(_) => None,
        });
        quote!(::core::marker::PhantomData<fn() -> (#(#uses,)*)>)
    }

    /// Whether the machine has generics (and generated enums need a phantom variant).
    pub(crate) fn is_generic(&self) -> bool {
        !self.params.is_empty()
    }

    /// `lease::Idle`.
    pub(crate) fn state_marker(&self, state: usize) -> TokenStream {
        let (module, name) = (&self.module, &self.m.states[state].name);
        quote!(#module::#name)
    }

    /// `lease::event::Connect`.
    pub(crate) fn event_marker(&self, event: usize) -> TokenStream {
        let (module, name) = (&self.module, &self.m.events[event].name);
        quote!(#module::event::#name)
    }

    /// The data type of a state, `()` for a unit state.
    pub(crate) fn data_ty(&self, state: usize) -> Type {
        self.m.states[state].data.clone().unwrap_or_else(|| syn::parse_quote!(()))
    }

    /// The event's method on the handle: `connect`.
    pub(crate) fn event_method(&self, event: usize) -> Ident {
        let name = &self.m.events[event].name;
        names::method_ident(&names::snake(&name.to_string()), name.span())
    }

    /// The handler of a (source, event) pair: `idle_connect`.
    pub(crate) fn handler_method(&self, source: usize, event: usize) -> Ident {
        let event_name = &self.m.events[event].name;
        names::method_ident(&names::row_handler(&self.m.states[source].name, event_name), event_name.span())
    }

    /// The handler of a guarded row: `ready_run_if_fits`.
    pub(crate) fn guarded_handler(&self, source: usize, event: usize, guard: &Ident) -> Ident {
        let name = names::guarded_handler(&self.m.states[source].name, &self.m.events[event].name, guard);
        names::method_ident(&name, guard.span())
    }

    /// `on_enter_open`: the entry action of `state` (`entry: [..]`).
    pub(crate) fn entry_method(&self, state: usize) -> Ident {
        let name = &self.m.states[state].name;
        names::method_ident(&names::entry_action(name), name.span())
    }

    /// `on_exit_open`: the exit action of `state` (`exit: [..]`).
    pub(crate) fn exit_method(&self, state: usize) -> Ident {
        let name = &self.m.states[state].name;
        names::method_ident(&names::exit_action(name), name.span())
    }

    /// `on_enter_live` / `on_exit_live`: the actions of superstate `group`.
    pub(crate) fn superstate_action(&self, group: usize, entry: bool) -> Ident {
        let name = &self.m.superstates[group].name;
        let text = if entry { names::entry_action(name) } else { names::exit_action(name) };
        names::method_ident(&text, name.span())
    }

    /// The calls of the superstate actions of a move from `source` to `target`: the
    /// exits of the superstates it leaves, innermost first, then the entries of
    /// those it enters, outermost first. `context` is the context's binding.
    pub(crate) fn superstate_calls(&self, source: Option<usize>, target: usize) -> TokenStream {
        let m = self.m;
        let (left, entered) = match source {
            Some(source) => m.superstate_moves(source, target),
            // `new`: every superstate of the initial state is entered.
            None => (Vec::new(), m.superstates_of(target).into_iter().rev().collect()),
        };
        let (context, handlers) = (&m.context, self.generic(&self.handlers));
        let exits = left.into_iter().filter(|&g| m.superstates[g].exit).map(|g| (g, false));
        let entries = entered.into_iter().filter(|&g| m.superstates[g].entry).map(|g| (g, true));
        let calls = exits.chain(entries).map(|(g, entry)| {
            let method = self.superstate_action(g, entry);
            quote!(<#context as #handlers>::#method(&mut context);)
        });
        quote!(#(#calls)*)
    }

    /// `LeaseConnectingFail`: what the handler of a row with alternatives returns.
    pub(crate) fn choice_enum(&self, source: usize, event: usize) -> Ident {
        format_ident!("{}{}{}", self.handle, self.m.states[source].name, self.m.events[event].name)
    }

    /// `LeaseConnectingFailNext`: what the typed transition of such a row returns.
    pub(crate) fn next_enum(&self, source: usize, event: usize) -> Ident {
        format_ident!("{}Next", self.choice_enum(source, event))
    }

    /// The per-event hidden traits: the next state of every state, and the
    /// transition of the states that accept the event.
    pub(crate) fn event_traits(&self, event: usize) -> (Ident, Ident) {
        let e = &self.m.events[event].name;
        (format_ident!("__{}On{}", self.handle, e), format_ident!("__{}Fire{}", self.handle, e))
    }

    /// The hidden trait, one per (state, event) pair without a row, whose absence
    /// explains an illegal transition: `OpenAcceptsConnect`.
    pub(crate) fn rejects_trait(&self, state: usize, event: usize) -> Ident {
        format_ident!("{}Accepts{}", self.m.states[state].name, self.m.events[event].name)
    }

    /// The doc attributes of an item, or `default` when it has none.
    pub(crate) fn docs_or(attrs: &[syn::Attribute], default: &str) -> TokenStream {
        let docs: Vec<_> = attrs.iter().filter(|a| a.path().is_ident("doc")).collect();
        if docs.is_empty() {
            quote!(#[doc = #default])
        } else {
            quote!(#(#docs)*)
        }
    }

    /// The visibility of an item nested `depth` modules below the machine.
    pub(crate) fn nested_vis(&self, depth: usize) -> TokenStream {
        nested_vis(&self.m.vis, depth)
    }
}

/// The visibility that makes an item `depth` modules deep as visible as one with `vis`
/// at the machine's level: private becomes `pub(super)`, `pub(super)` becomes
/// `pub(in super::super)`, and so on.
fn nested_vis(vis: &syn::Visibility, depth: usize) -> TokenStream {
    use syn::Visibility;
    if depth == 0 {
        return quote!(#vis);
    }
    let supers = |n: usize| {
        let s = (0..n).map(|_| quote!(super));
        quote!(#(#s)::*)
    };
    match vis {
        Visibility::Public(_) => quote!(pub),
        Visibility::Inherited => {
            let path = supers(depth);
            if depth == 1 {
                quote!(pub(super))
            } else {
                quote!(pub(in #path))
            }
        }
        Visibility::Restricted(r) => {
            let path = &r.path;
            let first = path.segments.first().map(|s| s.ident.to_string());
            match first.as_deref() {
                Some("crate") => quote!(pub(crate)),
                Some("self") if path.segments.len() == 1 => nested_vis(&Visibility::Inherited, depth),
                _ => {
                    let up = supers(depth);
                    let rest = path.segments.iter().skip(usize::from(first.as_deref() == Some("self")));
                    quote!(pub(in #up::#(#rest)::*))
                }
            }
        }
    }
}

/// Tokens that codegen wrote as text, at the call site's span. Inside the compiler
/// the text goes straight to rustc's lexer: `proc_macro2`'s own parse first checks
/// it with its fallback lexer, which a debug build compiles unoptimised (a quarter
/// of a second for the 2.7 MB of a 200-state table's rejection traits).
pub(crate) fn parse_generated(text: &str) -> TokenStream {
    const VALID: &str = "codegen writes valid tokens";
    if proc_macro::is_available() {
        text.parse::<proc_macro::TokenStream>().expect(VALID).into()
    } else {
        text.parse().expect(VALID)
    }
}

/// `tokens` with every span set to `span`, so a diagnostic about a generated item
/// points at the one user token it was generated from, not at the whole macro call.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    use proc_macro2::{Group, TokenTree};
    tokens
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tree = TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}
