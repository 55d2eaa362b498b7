//! `LeaseHandlers`: the trait whose methods are the bodies of the rows (a guarded row
//! has its own, `{state}_{event}_if_{guard}`), the guards (`fn fits(&self, event:
//! &Payload) -> bool`), and the enums a handler returns when its row has alternative
//! targets.
//!
//! A handler receives the context, the source state's data and the event's payload,
//! and returns the target state's data. It never sees a handle, so it cannot build a
//! state its row does not name: a missing method fails with E0046, a wrong target
//! with E0308.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::Ctx;
use crate::model::{Guarded, Row};

pub(super) fn generate(cx: &Ctx<'_>) -> TokenStream {
    let m = cx.m;
    let vis = &m.vis;
    let (handlers, handle) = (&cx.handlers, &cx.handle);
    let params = cx.params_with(&[]);
    let where_clause = cx.where_with(&[]);
    let methods = m.rows.iter().map(|row| {
        let guarded = row.guarded.iter().map(|g| guarded_signature(cx, row, g));
        let fallback = handler_signature(cx, row);
        quote!(#(#guarded)* #fallback)
    });
    let guards = guard_signatures(cx);
    let actions = (0..m.states.len())
        .map(|state| action_signatures(cx, state))
        .chain((0..m.superstates.len()).map(|group| superstate_action_signatures(cx, group)));
    let choices = m.rows.iter().filter(|row| row.has_alternatives()).map(|row| choice_enum(cx, row));
    let doc = format!(
        "The bodies of the rows of [`{handle}`]: implement it for the context type, one method per (state, event) pair of the table."
    );
    let message = format!("`{{Self}}` does not implement the handlers of `{handle}`");
    let label = format!("`{handle}` needs `{handlers}` implemented for its context");
    // Braces doubled twice: once for `format!`, once for `on_unimplemented`, which
    // reads `{..}` as a placeholder (lint `malformed_diagnostic_format_literals`).
    let note =
        format!("add `impl {handlers} for <context> {{{{ .. }}}}` with one method per row of the table");

    // Spanned at the machine's name, so that rustc's notes about the trait point there
    // and not at the whole macro call.
    let item = quote_spanned! {m.name.span()=>
        #vis trait #handlers #params #where_clause {
            #(#methods)*
            #(#guards)*
            #(#actions)*
        }
    };
    quote! {
        #[doc = #doc]
        #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
        // A handler runs only through a transition: one the user never raises (an
        // event only a timeout raises, through `dispatch`) is not dead code of theirs.
        #[allow(dead_code)]
        #item

        #(#choices)*
    }
}

/// `fn idle_connect(&mut self, event: Addr);` with the row's docs, spanned at the
/// row (a missing or mismatched method is reported there); the user's types keep
/// their own spans.
fn handler_signature(cx: &Ctx<'_>, row: &Row) -> TokenStream {
    let m = cx.m;
    let span = row.span;
    let mut method = cx.handler_method(row.source, row.event);
    method.set_span(span);
    let state = m.states[row.source].data.as_ref().map(|data| quote_spanned!(span=> , state: #data));
    let event = m.events[row.event].payload.as_ref().map(|payload| quote_spanned!(span=> , event: #payload));
    let output = handler_output(cx, row);
    let summary = format!("`{}`.", row_text(cx, row));
    let row_docs: Vec<_> = row.attrs.iter().filter(|a| a.path().is_ident("doc")).collect();
    let signature = quote_spanned!(span=> fn #method(&mut self #state #event) #output;);
    quote! {
        #[doc = #summary]
        #[doc = ""]
        #(#row_docs)*
        #signature
    }
}

/// `fn ready_run_if_fits(&mut self, state: Data, event: Job) -> Target;`: the
/// handler of a guarded row, spanned at its guard.
fn guarded_signature(cx: &Ctx<'_>, row: &Row, guarded: &Guarded) -> TokenStream {
    let m = cx.m;
    let span = guarded.span;
    let method = cx.guarded_handler(row.source, row.event, &guarded.guard);
    let state = m.states[row.source].data.as_ref().map(|data| quote_spanned!(span=> , state: #data));
    let event = m.events[row.event].payload.as_ref().map(|payload| quote_spanned!(span=> , event: #payload));
    let output = m.states[guarded.target].data.as_ref().map(|data| quote_spanned!(span=> -> #data));
    let summary = format!(
        "`{} + {} if {} => {}`: taken when `{}` holds and no earlier guard of the pair did.",
        m.states[row.source].name,
        m.events[row.event].name,
        guarded.guard,
        m.states[guarded.target].name,
        guarded.guard
    );
    let row_docs: Vec<_> = guarded.attrs.iter().filter(|a| a.path().is_ident("doc")).collect();
    let signature = quote_spanned!(span=> fn #method(&mut self #state #event) #output;);
    quote! {
        #[doc = #summary]
        #[doc = ""]
        #(#row_docs)*
        #signature
    }
}

/// `fn fits(&self, event: &Job) -> bool;`: one per guard, in table order. A guard
/// sees the context and the payload, not the state's data, so one guard can serve
/// the same event in several states; it takes `&self` and cannot change anything.
fn guard_signatures(cx: &Ctx<'_>) -> Vec<TokenStream> {
    let m = cx.m;
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for row in &m.rows {
        for guarded in row.guarded.iter().filter(|g| g.sound) {
            let name = guarded.guard.to_string();
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let guard = &guarded.guard;
            let span = guard.span();
            let event =
                m.events[row.event].payload.as_ref().map(|payload| quote_spanned!(span=> , event: &#payload));
            let uses: Vec<String> = m
                .rows
                .iter()
                .flat_map(|r| r.guarded.iter().filter(|g| g.sound && g.guard == *guard).map(move |g| (r, g)))
                .map(|(r, g)| {
                    format!(
                        "`{} + {} => {}`",
                        m.states[r.source].name, m.events[r.event].name, m.states[g.target].name
                    )
                })
                .collect();
            let doc = format!("The guard `{guard}`: whether to take {}.", uses.join(", "));
            out.push(quote_spanned!(span=> #[doc = #doc] fn #guard(&self #event) -> bool;));
        }
    }
    out
}

/// `fn on_enter_open(&mut self, state: &mut u32);` and `fn on_exit_open(..)` for a
/// state listed in `entry` or `exit`, spanned at the state's name.
fn action_signatures(cx: &Ctx<'_>, state: usize) -> TokenStream {
    let s = &cx.m.states[state];
    let span = s.name.span();
    let data = s.data.as_ref().map(|data| quote_spanned!(span=> , state: &mut #data));
    let mut out = TokenStream::new();
    for (listed, method, doc) in [
        (
            s.entry,
            cx.entry_method(state),
            format!(
                "The entry action of `{}`: runs on every transition into it (self-loops included), after the row's handler, with the state's data as the row made it{}.",
                s.name,
                if state == cx.m.initial { "; and in `new`" } else { "" }
            ),
        ),
        (
            s.exit,
            cx.exit_method(state),
            format!(
                "The exit action of `{}`: runs on every transition out of it (self-loops included), before the row's handler.",
                s.name
            ),
        ),
    ] {
        if listed {
            out.extend(quote_spanned!(span=> #[doc = #doc] fn #method(&mut self #data);));
        }
    }
    out
}

/// `fn on_enter_live(&mut self);` and `fn on_exit_live(&mut self);` for a superstate
/// listed in `entry` or `exit`, spanned at its name.
fn superstate_action_signatures(cx: &Ctx<'_>, group: usize) -> TokenStream {
    let g = &cx.m.superstates[group];
    let span = g.name.span();
    let mut out = TokenStream::new();
    for (listed, entry, doc) in [
        (
            g.entry,
            true,
            format!(
                "The entry action of superstate `{}`: runs on every transition from a state outside it to one in it, after the row's handler and before the target's own entry action; and in `new` when the initial state is in it.",
                g.name
            ),
        ),
        (
            g.exit,
            false,
            format!(
                "The exit action of superstate `{}`: runs on every transition from a state in it to one outside it, after the source's own exit action and the row's handler (which chooses the target).",
                g.name
            ),
        ),
    ] {
        if listed {
            let method = cx.superstate_action(group, entry);
            out.extend(quote_spanned!(span=> #[doc = #doc] fn #method(&mut self);));
        }
    }
    out
}

/// `-> Data` for one target, `-> LeaseConnectingFail` for alternatives, nothing for a
/// unit target.
pub(super) fn handler_output(cx: &Ctx<'_>, row: &Row) -> TokenStream {
    if row.has_alternatives() {
        let choice = cx.generic(&cx.choice_enum(row.source, row.event));
        quote_spanned!(row.span=> -> #choice)
    } else {
        match &cx.m.states[row.targets[0]].data {
            Some(data) => quote_spanned!(row.span=> -> #data),
            None => quote!(),
        }
    }
}

/// `Idle + Connect => Connecting | Closed`.
pub(super) fn row_text(cx: &Ctx<'_>, row: &Row) -> String {
    let m = cx.m;
    let targets: Vec<String> = row.targets.iter().map(|t| m.states[*t].name.to_string()).collect();
    format!("{} + {} => {}", m.states[row.source].name, m.events[row.event].name, targets.join(" | "))
}

/// `enum LeaseConnectingFail { Idle, Closed(Data) }`: the handler's choice.
fn choice_enum(cx: &Ctx<'_>, row: &Row) -> TokenStream {
    let m = cx.m;
    let vis = &m.vis;
    let mut name = cx.choice_enum(row.source, row.event);
    name.set_span(row.span);
    let params = cx.params_with(&[]);
    let where_clause = cx.where_with(&[]);
    let variants = row.targets.iter().map(|&target| {
        let state = &m.states[target].name;
        let doc = format!("Go to `{state}`.");
        match &m.states[target].data {
            Some(data) => quote!(#[doc = #doc] #state(#data)),
            None => quote!(#[doc = #doc] #state),
        }
    });
    let phantom = cx.is_generic().then(|| {
        let phantom = cx.phantom();
        quote!(#[doc(hidden)] __Phantom(#phantom, ::core::convert::Infallible),)
    });
    let doc = format!("What the handler of `{}` chooses.", row_text(cx, row));
    // Spanned at the row, where rustc then points "not found for this enum".
    let item = quote_spanned! {row.span=>
        #vis enum #name #params #where_clause {
            #(#variants,)*
            #phantom
        }
    };
    let not_targets = not_targets(cx, row, &name);
    quote! {
        #[doc = #doc]
        // A handler that never picks one of the row's targets leaves its variant
        // unconstructed; the row, not this enum, is where that would be fixed.
        #[allow(dead_code)]
        #item
        #not_targets
    }
}

/// For every state that is not a target of `row`, an item of the choice enum named
/// like it, so that a handler writing `LeaseConnectingFail::Open(..)` gets one error
/// that lists the row's alternatives, not an E0599 "no variant named `Open`". A state
/// with data gets a function whose one bound (higher-ranked, so it is not trivially
/// false on the definition) nothing satisfies: an E0277 whose `on_unimplemented` text
/// names the row and its targets. A unit state, written without a call, gets a
/// constant of a type whose name says it is no target: one E0308.
///
/// The functions and constants of a row share one impl block: rustc compares the
/// inherent impls of a type that share item names against each other, so a block per
/// state would cost the square of the states for every row with alternatives.
fn not_targets(cx: &Ctx<'_>, row: &Row, choice: &syn::Ident) -> TokenStream {
    let m = cx.m;
    let krate = &cx.krate;
    let vis = &m.vis;
    let params = cx.params_with(&[]);
    let where_clause = cx.where_with(&[]);
    let choice_ty = cx.generic(choice);
    let text = row_text(cx, row);
    let source_event = format!("{} + {}", m.states[row.source].name, m.events[row.event].name);
    let targets: Vec<String> = row.targets.iter().map(|t| format!("`{}`", m.states[*t].name)).collect();
    let targets = targets.join(" or ");
    let module = &cx.module;
    let span = row.span;
    let (mut items, mut members) = (Vec::new(), Vec::new());
    for state in (0..m.states.len()).filter(|s| !row.targets.contains(s)) {
        let name = &m.states[state].name;
        let label = format!("`{name}` is not a target of `{text}`");
        match m.states[state].data {
            Some(_) => {
                let message = format!("`{source_event}` leads to {targets}, not `{name}`");
                let note = format!(
                    "the handler of `{source_event}` returns one of `{choice}`'s variants: {targets}"
                );
                let marker = cx.state_marker(state);
                let bound = quote::format_ident!("__{}To{}", choice, name);
                items.push(quote_spanned! {span=>
                    #[doc(hidden)]
                    #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
                    #[allow(non_camel_case_types, dead_code)]
                    #vis trait #bound<'__a> {}
                    #[diagnostic::do_not_recommend]
                    impl<'__a> #bound<'__a> for #module::__private::Illegal {}
                });
                members.push(quote_spanned! {span=>
                    #[doc(hidden)]
                    #vis fn #name<__D>(_data: __D) -> Self where for<'__a> #marker: #bound<'__a> {
                        #krate::__private::illegal()
                    }
                });
            }
            None => {
                let not = quote::format_ident!("{}LeadsTo{}Not{}", choice, targets_ident(cx, row), name);
                let doc = format!("{label}.");
                items.push(quote_spanned! {span=>
                    #[doc(hidden)]
                    #[doc = #doc]
                    #[allow(dead_code)]
                    #vis struct #not;
                });
                members.push(quote_spanned! {span=>
                    #[doc(hidden)]
                    #vis const #name: #not = #not;
                });
            }
        }
    }
    if members.is_empty() {
        return TokenStream::new();
    }
    quote_spanned! {span=>
        #(#items)*
        #[allow(non_snake_case, non_upper_case_globals, dead_code)]
        impl #params #choice_ty #where_clause {
            #(#members)*
        }
    }
}

/// `IdleOrClosed`: the targets of a row, for a type name.
fn targets_ident(cx: &Ctx<'_>, row: &Row) -> String {
    let names: Vec<String> = row.targets.iter().map(|t| cx.m.states[*t].name.to_string()).collect();
    names.join("Or")
}
