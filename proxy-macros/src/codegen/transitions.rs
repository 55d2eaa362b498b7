//! One method per event on `Lease<S>`, legal only on the states whose rows accept it.
//!
//! For each event two hidden traits are generated: `__LeaseOnConnect` gives the
//! transition's target and `__LeaseFireConnect<()>` runs the handler; the sources of
//! the event's rows implement them, and `dispatch` calls them. The method is defined
//! once per state, on `Lease<state>`: in a state with a row it fires the transition;
//! in every other state it exists too, but under the bound
//! `for<'a> Connect: OpenAcceptsConnect<'a>`, which nothing satisfies, so calling it is
//! an E0277 at the call (not an E0599 "method not found") with the
//! `#[diagnostic::on_unimplemented]` text of `OpenAcceptsConnect`: "illegal
//! transition: `Open` does not accept `Connect`", and a note listing what `Open`
//! accepts, literal text that reads the same from any crate.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;

use super::{handlers, respan, Ctx};
use crate::model::Row;

pub(super) fn generate(cx: &Ctx<'_>) -> TokenStream {
    let m = cx.m;
    let traits = (0..m.events.len()).map(|event| event_traits(cx, event));
    let fires = m.rows.iter().map(|row| fire_impls(cx, row));
    let illegal: Vec<IllegalParts> = (0..m.events.len()).map(|event| IllegalParts::new(cx, event)).collect();
    let methods = (0..m.states.len()).map(|state| state_methods(cx, state, &illegal));
    let nexts = m.rows.iter().filter(|r| r.returns_next()).map(|row| next_enum(cx, row));
    quote!(#(#traits)* #(#fires)* #(#methods)* #(#nexts)*)
}

/// `__LeaseOnConnect` and `__LeaseFireConnect<()>`, which the rows of the event implement.
fn event_traits(cx: &Ctx<'_>, event: usize) -> TokenStream {
    let m = cx.m;
    let vis = &m.vis;
    let (on, fire) = cx.event_traits(event);
    let state_trait = &cx.state_trait;
    let event_param = m.events[event].payload.as_ref().map(|p| quote!(, event: #p));
    let params = cx.params_with(&[]);
    let fire_params = cx.params_with(&[quote!(X)]);
    let where_clause = cx.where_with(&[]);
    let on_ty = cx.generic(&on);
    let state_trait_ty = cx.generic(state_trait);
    let handle_of_self = cx.handle_of(&quote!(Self));
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis trait #on #params #where_clause {
            type Next;
        }

        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis trait #fire #fire_params: #on_ty + #state_trait_ty #where_clause {
            fn __fire(handle: #handle_of_self #event_param) -> <Self as #on_ty>::Next;
        }
    }
}

/// The row's impls of its event's two traits: the target and the transition.
fn fire_impls(cx: &Ctx<'_>, row: &Row) -> TokenStream {
    let m = cx.m;
    let (on, fire) = cx.event_traits(row.event);
    let args = &cx.args;
    let event_param = m.events[row.event].payload.as_ref().map(|p| quote!(, event: #p));
    let params = cx.params_with(&[]);
    let where_clause = cx.where_with(&[]);
    let marker = cx.state_marker(row.source);
    let handle_ty = cx.handle_of(&marker);
    let next = next_type(cx, row);
    let body = fire_body(cx, row);
    let bound = handlers_bound(cx);
    let where_fire = cx.where_with(std::slice::from_ref(&bound));
    // Spanned at the row, the generated names included: rustc's notes about the
    // transition then point there. The user's types keep their spans.
    let (on_ty, fire_unit, marker) = (
        respan(cx.generic(&on), row.span),
        respan(quote!(#fire<#(#args,)* ()>), row.span),
        respan(marker, row.span),
    );
    // The parameter keeps the call-site span of the body that uses it: at the row's
    // span it would be another hygiene context whenever the proc macro is called
    // from `proxy_machine::lifecycle!`'s expansion.
    let handle_param = quote!(handle);
    quote_spanned! {row.span=>
        impl #params #on_ty for #marker #where_clause {
            type Next = #next;
        }
        impl #params #fire_unit for #marker #where_fire {
            #[inline]
            fn __fire(#handle_param: #handle_ty #event_param) -> #next {
                #body
            }
        }
    }
}

/// One inherent impl on `Lease<state>` holding a method per event: the transition
/// where the table has a row, the illegal one elsewhere. One block per state, not
/// one per (state, event): rustc checks the inherent impls of a type that share an
/// item name against each other, which for a block per pair is quadratic in the
/// states.
fn state_methods(cx: &Ctx<'_>, state: usize, illegal: &[IllegalParts]) -> TokenStream {
    let m = cx.m;
    let params = cx.params_with(&[]);
    let where_clause = cx.where_with(&[]);
    let handle_ty = cx.handle_of(&cx.state_marker(state));
    let methods: Vec<TokenStream> = (0..m.events.len())
        .filter(|&event| m.events[event].method)
        .map(|event| match cx.row(state, event) {
            Some(row) => legal_method(cx, row),
            None => illegal[event].method(cx, state),
        })
        .collect();
    if methods.is_empty() {
        return TokenStream::new();
    }
    // The header at the state, each method at its event; the braces at the call
    // site, and nothing inside respanned twice (`$crate` must keep its span).
    let header = respan(
        quote! {
            // Unused when the machine is driven only through `dispatch`.
            #[allow(dead_code)]
            impl #params #handle_ty #where_clause
        },
        m.states[state].name.span(),
    );
    quote!(#header { #(#methods)* })
}

/// The method of a row: fires its transition.
fn legal_method(cx: &Ctx<'_>, row: &Row) -> TokenStream {
    let doc = method_doc(cx, row);
    let m = cx.m;
    let vis = &m.vis;
    let (_, fire) = cx.event_traits(row.event);
    let args = &cx.args;
    let payload = m.events[row.event].payload.as_ref();
    let event_param = payload.map(|p| quote!(, event: #p));
    let event_arg = payload.map(|_| quote!(, event));
    let marker = cx.state_marker(row.source);
    let method = cx.event_method(row.event);
    let next = next_type(cx, row);
    let bound = handlers_bound(cx);
    // The docs keep their spans: respanning them, a table's worth of lines per
    // method, would only cost time.
    let method = respan(
        quote! {
            // The handlers bound on the method, not the impl: a context without
            // handlers is then an E0277 with the handlers trait's message, not an
            // E0599. Its lifetime is there only to defer the bound to the call.
            #[allow(unused_lifetimes)]
            #[inline]
            #vis fn #method(self #event_param) -> #next where #bound {
                <#marker as #fire<#(#args,)* ()>>::__fire(self #event_arg)
            }
        },
        m.events[row.event].name.span(),
    );
    quote!(#doc #method)
}

/// The method of a (state, event) pair without a row, from the parts its event's
/// methods share.
///
/// The method exists in every state, so calling it where the table has no row is not
/// an E0599 "method not found" but an E0277 on the one bound below, whose
/// `on_unimplemented` text names the state and the event as the table does. The bound
/// is the method's own (no trait impl in between), so rustc adds no "required for"
/// note about a generated trait; it is higher-ranked, so it is not a trivially false
/// bound on the definition.
struct IllegalParts {
    event: usize,
    span: Span,
    vis: TokenStream,
    method: Ident,
    module: Ident,
    /// `, _event: Payload`, if the event has one.
    unused: TokenStream,
    /// The machine's where-clause predicates, each followed by a comma.
    preds: TokenStream,
    event_marker: TokenStream,
}

impl IllegalParts {
    /// Everything the signature holds at the event's span, built once per event
    /// rather than respanned in each of its (up to one per state) methods.
    fn new(cx: &Ctx<'_>, event: usize) -> IllegalParts {
        let m = cx.m;
        let span = m.events[event].name.span();
        let vis = &m.vis;
        let mut module = cx.module.clone();
        module.set_span(span);
        let preds = &cx.preds;
        IllegalParts {
            event,
            span,
            vis: respan(quote!(#vis), span),
            method: cx.event_method(event),
            unused: respan(
                m.events[event].payload.as_ref().map(|p| quote!(, _event: #p)).unwrap_or_default(),
                span,
            ),
            preds: respan(quote!(#(#preds,)*), span),
            event_marker: respan(cx.event_marker(event), span),
            module,
        }
    }

    fn method(&self, cx: &Ctx<'_>, state: usize) -> TokenStream {
        let IllegalParts { event, span, vis, method, module, unused, preds, event_marker } = self;
        let rejects = format_ident!("{}", cx.rejects_trait(state, *event), span = *span);
        let signature = quote_spanned! {*span=>
            #[doc(hidden)]
            #vis fn #method(self #unused) -> #module::__private::Illegal
            where #preds for<'__a> #event_marker: #module::__private::#rejects<'__a>
        };
        // A plain call, no macro to expand; `$crate` keeps its own span.
        let krate = &cx.krate;
        quote!(#signature { #krate::__private::illegal() })
    }
}

/// `for<'__h> Cx: LeaseHandlers`: higher-ranked so that a context without handlers is
/// reported where a transition is used, not as a trivially false bound on every impl.
pub(super) fn handlers_bound(cx: &Ctx<'_>) -> TokenStream {
    let context = &cx.m.context;
    let handlers = cx.generic(&cx.handlers);
    quote!(for<'__h> #context: #handlers)
}

/// The type a transition of `row` returns.
pub(super) fn next_type(cx: &Ctx<'_>, row: &Row) -> TokenStream {
    if row.returns_next() {
        cx.generic(&cx.next_enum(row.source, row.event))
    } else {
        cx.handle_of(&cx.state_marker(row.targets[0]))
    }
}

/// Takes the handle apart, runs the handler, and builds the target's handle.
fn fire_body(cx: &Ctx<'_>, row: &Row) -> TokenStream {
    let m = cx.m;
    let context = &m.context;
    let handlers = cx.generic(&cx.handlers);
    let method = cx.handler_method(row.source, row.event);
    let (data_pat, data_arg) = match m.states[row.source].data {
        Some(_) => (quote!(data), quote!(, data)),
        None => (quote!(_), quote!()),
    };
    let event_arg = m.events[row.event].payload.as_ref().map(|_| quote!(, event));
    let call = quote!(<#context as #handlers>::#method(&mut context #data_arg #event_arg));
    // Exit, the row's handler, entry: each row leaves its source and enters its
    // target, a self-loop too.
    let source = &m.states[row.source];
    let exit = source.exit.then(|| {
        let exit = cx.exit_method(row.source);
        let data = source.data.as_ref().map(|_| quote!(, &mut data));
        quote!(<#context as #handlers>::#exit(&mut context #data);)
    });
    let data_pat = if exit.is_some() && source.data.is_some() { quote!(mut data) } else { data_pat };
    let restore = |target: usize, data: TokenStream| {
        let ty = cx.handle_of(&cx.state_marker(target));
        // The superstates left and entered, known once the handler chose the target.
        let moves = cx.superstate_calls(Some(row.source), target);
        if !m.states[target].entry {
            if moves.is_empty() {
                return quote!(<#ty>::restore(context, #data));
            }
            return quote!({
                let data = #data;
                #moves
                <#ty>::restore(context, data)
            });
        }
        let entry = cx.entry_method(target);
        match m.states[target].data {
            Some(_) => quote!({
                let mut entered = #data;
                #moves
                <#context as #handlers>::#entry(&mut context, &mut entered);
                <#ty>::restore(context, entered)
            }),
            None => quote!({
                #moves
                <#context as #handlers>::#entry(&mut context);
                <#ty>::restore(context, ())
            }),
        }
    };
    let next = &cx.next_enum(row.source, row.event);
    // A single target's handle, wrapped in the `..Next` enum when the pair's
    // guarded rows lead to several states.
    let single = |target: usize, call: TokenStream| {
        let state = &m.states[target].name;
        let wrap =
            |built: TokenStream| if row.returns_next() { quote!(#next::#state(#built)) } else { built };
        if m.states[target].data.is_some() {
            let built = wrap(restore(target, quote!(next)));
            quote! {
                let next = #call;
                #built
            }
        } else {
            let built = wrap(restore(target, quote!(())));
            quote! {
                #call;
                #built
            }
        }
    };
    let fallback = if row.has_alternatives() {
        let choice = &cx.choice_enum(row.source, row.event);
        let arms = row.targets.iter().map(|&target| {
            let state = &m.states[target].name;
            match m.states[target].data {
                Some(_) => {
                    let built = restore(target, quote!(data));
                    quote!(#choice::#state(data) => #next::#state(#built))
                }
                None => {
                    let built = restore(target, quote!(()));
                    quote!(#choice::#state => #next::#state(#built))
                }
            }
        });
        let phantom = cx.is_generic().then(|| quote!(#choice::__Phantom(_, never) => match never {},));
        quote! {
            #exit
            match #call {
                #(#arms,)*
                #phantom
            }
        }
    } else {
        let body = single(row.targets[0], call);
        quote!(#exit #body)
    };
    // The guards in table order, on the context before anything changed it; the
    // first that holds picks its row, which then leaves the source like any other.
    let guarded = row.guarded.iter().map(|g| {
        let guard = &g.guard;
        let event_ref = m.events[row.event].payload.as_ref().map(|_| quote!(, &event));
        let method = cx.guarded_handler(row.source, row.event, guard);
        let call = quote!(<#context as #handlers>::#method(&mut context #data_arg #event_arg));
        let body = single(g.target, call);
        // A refused guard has no method: its row is never taken.
        let holds = if g.sound {
            quote!(<#context as #handlers>::#guard(&context #event_ref))
        } else {
            quote!(false)
        };
        quote! {
            if #holds {
                #exit
                #body
            } else
        }
    });
    let finish = if row.guarded.is_empty() { fallback } else { quote!(#(#guarded)* { #fallback }) };
    quote! {
        let (mut context, #data_pat) = handle.into_parts();
        #finish
    }
}

/// `enum LeaseConnectingFailNext { Idle(Lease<Idle>), Closed(Lease<Closed>) }`.
fn next_enum(cx: &Ctx<'_>, row: &Row) -> TokenStream {
    let m = cx.m;
    let vis = &m.vis;
    let name = cx.next_enum(row.source, row.event);
    let params = cx.params_with(&[]);
    let where_clause = cx.where_with(&[]);
    let any = cx.generic(&cx.any);
    let next_ty = cx.generic(&name);
    let targets = row.next_targets();
    let variants = targets.iter().map(|&target| {
        let state = &m.states[target].name;
        let ty = cx.handle_of(&cx.state_marker(target));
        let doc = format!("The machine went to `{state}`.");
        quote!(#[doc = #doc] #state(#ty))
    });
    let arms = targets.iter().map(|&target| {
        let state = &m.states[target].name;
        quote!(#name::#state(handle) => Self::#state(handle))
    });
    let doc = format!("Where `{}` led.", handlers::row_text(cx, row));
    quote! {
        #[doc = #doc]
        #[must_use = "the machine is inside: match on it to go on"]
        // Unused when the machine is driven only through `dispatch`.
        #[allow(dead_code)]
        #vis enum #name #params #where_clause {
            #(#variants,)*
        }

        impl #params ::core::convert::From<#next_ty> for #any #where_clause {
            fn from(next: #next_ty) -> Self {
                match next {
                    #(#arms,)*
                }
            }
        }
    }
}

/// The docs of a row's method: where it leads from this state, and where to find the
/// event's other rows. The whole table of the event is on its marker type
/// (`lease::event::Connect`, see [`event_table`]), once, not in each state's method:
/// for a big table that copy was rows-per-event doc lines on each of its methods.
fn method_doc(cx: &Ctx<'_>, row: &Row) -> TokenStream {
    let m = cx.m;
    let event_name = &m.events[row.event].name;
    let event_docs = m.events[row.event].attrs.iter().filter(|a| a.path().is_ident("doc"));
    let lines = [
        format!(
            "Raises `{event_name}` in `{}`: leads to {}.",
            m.states[row.source].name,
            targets_text(cx, row)
        ),
        String::new(),
        format!(
            "The states that accept it: [`{module}::event::{event_name}`]. In any other state, calling \
             it is a compile error that names the state and the event.",
            module = cx.module
        ),
    ];
    quote! {
        #(#[doc = #lines])*
        #[doc = ""]
        #(#event_docs)*
    }
}

/// Where a row leads: "`Open`", "`Open` or `Shut`", "`Open` if `fits`, else `Shut`".
fn targets_text(cx: &Ctx<'_>, row: &Row) -> String {
    let m = cx.m;
    let mut targets: Vec<String> =
        row.guarded.iter().map(|g| format!("`{}` if `{}`", m.states[g.target].name, g.guard)).collect();
    let fallback: Vec<String> = row.targets.iter().map(|t| format!("`{}`", m.states[*t].name)).collect();
    let fallback = fallback.join(" or ");
    targets.push(if row.guarded.is_empty() { fallback } else { format!("else {fallback}") });
    targets.join(", ")
}

/// The doc lines of an event's marker type: which states accept it and where it
/// leads.
pub(super) fn event_table(cx: &Ctx<'_>, event: usize) -> Vec<String> {
    let m = cx.m;
    let rows: Vec<&Row> = m.rows.iter().filter(|r| r.event == event).collect();
    if rows.is_empty() {
        return vec!["No state accepts it: calling its method does not compile.".into()];
    }
    let mut lines = vec!["| in state | leads to |".to_owned(), "|---|---|".to_owned()];
    for row in rows {
        lines.push(format!("| `{}` | {} |", m.states[row.source].name, targets_text(cx, row)));
    }
    lines.push(String::new());
    lines.push(
        "In any other state, calling its method is a compile error that names the state and the event."
            .into(),
    );
    lines
}
