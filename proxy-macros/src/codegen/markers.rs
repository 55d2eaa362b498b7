//! `mod lease`: the type-level states and events, and the hidden traits whose
//! `#[diagnostic::on_unimplemented]` text explains an illegal transition.
//!
//! The module names no type of the user's, so it also works for a machine declared
//! inside a function body.

use proc_macro2::TokenStream;
use quote::quote;

use super::{respan, Ctx};
use crate::names;

pub(super) fn generate(cx: &Ctx<'_>) -> TokenStream {
    let m = cx.m;
    let (module, handle) = (&cx.module, &cx.handle);
    let (v1, v2) = (cx.nested_vis(1), cx.nested_vis(2));
    let vis = &m.vis;

    let states = m.states.iter().map(|state| {
        let name = &state.name;
        let docs =
            Ctx::docs_or(&state.attrs, &format!("The state `{name}` of [`{handle}`](super::{handle})."));
        let item = respan(quote!(#v1 enum #name {} impl __private::Sealed for #name {}), name.span());
        quote!(#docs #item)
    });
    let events = m.events.iter().enumerate().map(|(index, event)| {
        let name = &event.name;
        let docs = Ctx::docs_or(&event.attrs, &format!("The event `{name}`, at the type level."));
        let table = super::transitions::event_table(cx, index);
        let item = respan(quote!(#v2 enum #name {}), name.span());
        quote!(#docs #[doc = ""] #(#[doc = #table])* #item)
    });
    let rejects = rejects_traits(cx);
    let module_doc = format!(
        "The states of [`{handle}`](super::{handle}) as types, and its events as types in [`event`]."
    );
    let event_doc = format!("The events of [`{handle}`](super::super::{handle}) as types.");

    quote! {
        #[doc = #module_doc]
        // `dead_code`: a machine driven only through `dispatch` never names an
        // event's marker, nor the hidden trait of a state that accepts every event.
        #[allow(non_snake_case, dead_code, clippy::empty_enum)]
        #vis mod #module {
            #(#states)*

            #[doc = #event_doc]
            #v1 mod event {
                #(#events)*
            }

            #[doc(hidden)]
            #v1 mod __private {
                /// Seals the state trait: only the table's states implement it.
                #v2 trait Sealed {}
                /// The `Next` of an event a state does not accept.
                #v2 enum Illegal {}
                #rejects
            }
        }
    }
}

/// `IdleAcceptsClose<'a>`, one per (state, event) pair without a row: implemented
/// for nothing, so the bound `for<'a> Close: IdleAcceptsClose<'a>` of
/// `Lease<Idle>::close` fails with the message "illegal transition: `Idle` does not
/// accept `Close`" and a note listing what `Idle` does accept. The text is literal,
/// not `{Self}`: from another crate rustc would print the event marker's generated
/// path. Its one impl, for the uninhabited `Illegal`, is
/// `#[diagnostic::do_not_recommend]`: rustc then neither says "this trait has no
/// implementations, consider adding one" nor lists the impl.
///
/// Written as text and parsed once: a big table has thousands of these, and building
/// each token by token in the proc macro, which a debug build compiles unoptimised,
/// took a third of a second for 9,000 of them. No diagnostic points into them (the
/// bound that names one is spanned at the event, in `transitions`), so they keep the
/// call site's span.
fn rejects_traits(cx: &Ctx<'_>) -> TokenStream {
    use std::fmt::Write as _;
    let m = cx.m;
    let vis = cx.nested_vis(2).to_string();
    let mut text = String::new();
    for state in 0..m.states.len() {
        let name = &m.states[state].name;
        let notes: String =
            rejection_notes(cx, state).iter().map(|note| format!(", note = {note:?}")).collect();
        for event in 0..m.events.len() {
            if !m.events[event].method || cx.row(state, event).is_some() {
                continue;
            }
            let event_name = &m.events[event].name;
            let trait_name = cx.rejects_trait(state, event);
            let message = format!("illegal transition: `{name}` does not accept `{event_name}`");
            let label = format!("`{name}` does not accept `{event_name}`");
            // `write!` into a `String` cannot fail.
            let _ = write!(
                text,
                "#[diagnostic::on_unimplemented(message = {message:?}, label = {label:?}{notes})] \
                 {vis} trait {trait_name}<'__a> {{}} \
                 #[diagnostic::do_not_recommend] impl<'__a> {trait_name}<'__a> for Illegal {{}} "
            );
        }
    }
    super::parse_generated(&text)
}

/// The notes of every rejection by `state`: what it accepts and what it defers, the
/// same for each event it rejects.
fn rejection_notes(cx: &Ctx<'_>, state: usize) -> Vec<String> {
    let m = cx.m;
    let name = &m.states[state].name;
    let accepted: Vec<String> = m.rows_from(state).map(|row| m.events[row.event].name.to_string()).collect();
    let deferred: Vec<String> = m
        .deferrals
        .iter()
        .filter(|(s, _)| *s == state)
        .flat_map(|(_, events)| events.iter().map(|e| m.events[*e].name.to_string()))
        .collect();
    let mut notes = vec![if m.is_terminal(state) {
        format!("`{name}` is a terminal state of `{}`: it accepts no event", m.name)
    } else if accepted.is_empty() {
        format!("`{name}` accepts no event")
    } else {
        format!("`{name}` accepts {}", names::backticked(&accepted))
    }];
    if !deferred.is_empty() {
        notes.push(format!("`{name}` defers {} until the state changes", names::backticked(&deferred)));
    }
    notes
}
