//! `LeaseAny` and `LeaseEvent`: the machine and its events as values, for code that
//! learns the state only at run time (an actor's inbox). `dispatch` goes through the
//! typed transitions, so the table checks it too.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::Ident;

use super::{transitions, Ctx};

pub(super) fn generate(cx: &Ctx<'_>) -> TokenStream {
    let m = cx.m;
    let vis = &m.vis;
    let (handle, any, event_enum) = (&cx.handle, &cx.any, &cx.event_enum);
    let params = cx.params_with(&[]);
    let where_clause = cx.where_with(&[]);
    let any_ty = cx.generic(any);
    let event_ty = cx.generic(event_enum);
    let context = &m.context;
    let krate = &cx.krate;

    let state_variants = m.states.iter().enumerate().map(|(state, s)| {
        let name = &s.name;
        let ty = cx.handle_of(&cx.state_marker(state));
        let doc = format!("The machine in state `{name}`.");
        quote!(#[doc = #doc] #name(#ty))
    });
    let from_handles = (0..m.states.len()).map(|state| {
        let name = &m.states[state].name;
        let ty = cx.handle_of(&cx.state_marker(state));
        quote! {
            impl #params ::core::convert::From<#ty> for #any_ty #where_clause {
                #[inline]
                fn from(handle: #ty) -> Self {
                    Self::#name(handle)
                }
            }
        }
    });
    let event_variants = m.events.iter().map(|e| {
        let name = &e.name;
        let docs = Ctx::docs_or(&e.attrs, &format!("The event `{name}`."));
        match &e.payload {
            Some(payload) => quote!(#docs #name(#payload)),
            None => quote!(#docs #name),
        }
    });
    let phantom = cx.is_generic().then(|| {
        let phantom = cx.phantom();
        quote!(#[doc(hidden)] __Phantom(#phantom, ::core::convert::Infallible),)
    });
    let event_names = m.events.iter().map(|e| {
        let (pattern, name) = (event_pattern(cx, &e.name), e.name.to_string());
        quote!(#pattern => #name)
    });
    let phantom_name = cx.is_generic().then(|| quote!(Self::__Phantom(_, ref never) => match *never {},));
    let per_state = |f: &dyn Fn(usize, &Ident) -> TokenStream| {
        let arms = m.states.iter().enumerate().map(|(i, s)| f(i, &s.name));
        quote!(match self { #(#arms,)* })
    };
    let state_name = per_state(&|_, name| quote!(Self::#name(handle) => handle.state_name()));
    let is_terminal = per_state(&|i, name| {
        let terminal = m.is_terminal(i);
        quote!(Self::#name(_) => #terminal)
    });
    let context_ref = per_state(&|_, name| quote!(Self::#name(handle) => handle.context()));
    let context_mut = per_state(&|_, name| quote!(Self::#name(handle) => handle.context_mut()));
    let timeout = per_state(&|i, name| timeout_arm(cx, i, name));
    let defers = per_state(&|i, name| {
        let deferred: Vec<TokenStream> = m
            .deferrals
            .iter()
            .filter(|(s, _)| *s == i)
            .flat_map(|(_, events)| {
                events.iter().map(|e| event_pattern_in(cx, &m.events[*e].name, &quote!(#event_enum)))
            })
            .collect();
        if deferred.is_empty() {
            quote!(Self::#name(_) => false)
        } else {
            quote!(Self::#name(_) => ::core::matches!(event, #(#deferred)|*))
        }
    });
    let dispatch = dispatch(cx);
    let bound = transitions::handlers_bound(cx);
    let where_dispatch = cx.where_with(std::slice::from_ref(&bound));
    let any_doc =
        format!("[`{handle}`] in whichever state it is, for code that learns the state only at run time.");
    let event_doc = format!("The events of [`{handle}`] as values, for [`{any}::dispatch`].");

    quote! {
        #[doc = #any_doc]
        #[must_use = "the machine is inside: dropping it drops the machine"]
        #vis enum #any #params #where_clause {
            #(#state_variants,)*
        }

        #[doc = #event_doc]
        // An event the user never raises at run time (only through its typed method,
        // or not at all) leaves its variant, spanned at the table's name, unbuilt.
        #[allow(dead_code)]
        #vis enum #event_enum #params #where_clause {
            #(#event_variants,)*
            #phantom
        }

        #(#from_handles)*

        impl #params #event_ty #where_clause {
            /// The event's name, as written in the table.
            #[inline]
            #vis fn name(&self) -> &'static str {
                // On the place, not the reference: a machine without events has an
                // empty event enum, and only `match *self {}` is exhaustive for it.
                match *self {
                    #(#event_names,)*
                    #phantom_name
                }
            }
        }

        impl #params #krate::Event for #event_ty #where_clause {
            #[inline]
            fn name(&self) -> &'static str {
                <#event_ty>::name(self)
            }
        }

        impl #params ::core::fmt::Debug for #event_ty #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl #params ::core::fmt::Debug for #any_ty #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_tuple(::core::stringify!(#any)).field(&self.state_name()).finish()
            }
        }

        impl #params #any_ty #where_clause {
            /// The current state's name, as written in the table.
            #[inline]
            #vis fn state_name(&self) -> &'static str {
                #state_name
            }

            /// Whether the current state is terminal.
            #[inline]
            #vis fn is_terminal(&self) -> bool {
                #is_terminal
            }

            /// The context, owned in every state.
            #[inline]
            #vis fn context(&self) -> &#context {
                #context_ref
            }

            /// The context, mutably.
            #[inline]
            #vis fn context_mut(&mut self) -> &mut #context {
                #context_mut
            }

            /// The current state's timeout: how long the machine may stay, and the
            /// event raised when it stayed that long. Re-arm it after every event
            /// handled in the state.
            #[inline]
            #vis fn timeout(&self) -> ::core::option::Option<(::core::time::Duration, #event_ty)> {
                #timeout
            }

            /// Whether the current state defers `event`: keeps it, to replay it once
            /// the state has changed.
            #[inline]
            #vis fn defers(&self, event: &#event_ty) -> bool {
                #defers
            }
        }

        impl #params #any_ty #where_dispatch {
            /// Handles `event` through the typed transition of the current state, in
            /// place, and says which row it took; or hands the event back, leaving the
            /// machine untouched, when the table has no row for them. A handler that
            /// panics aborts the process (see `Machine::dispatch`).
            // A hint: without it the driver's loop called it out of line and took
            // the `Result` through memory; inlined, a `Transition` nobody reads is
            // never built.
            #[inline]
            #vis fn dispatch(&mut self, event: #event_ty) -> ::core::result::Result<#krate::Transition, #krate::Rejected<#event_ty>> {
                #dispatch
            }
        }

        impl #params #krate::Machine for #any_ty #where_dispatch {
            type Event = #event_ty;
            type Context = #context;
            const META: #krate::MachineMeta<'static> = Self::META;

            #[inline]
            fn state_name(&self) -> &'static str {
                <#any_ty>::state_name(self)
            }
            #[inline]
            fn is_terminal(&self) -> bool {
                <#any_ty>::is_terminal(self)
            }
            #[inline]
            fn context(&self) -> &#context {
                <#any_ty>::context(self)
            }
            #[inline]
            fn context_mut(&mut self) -> &mut #context {
                <#any_ty>::context_mut(self)
            }
            #[inline]
            fn timeout(&self) -> ::core::option::Option<(::core::time::Duration, #event_ty)> {
                <#any_ty>::timeout(self)
            }
            #[inline]
            fn defers(&self, event: &#event_ty) -> bool {
                <#any_ty>::defers(self, event)
            }
            #[inline]
            fn dispatch(&mut self, event: #event_ty) -> ::core::result::Result<#krate::Transition, #krate::Rejected<#event_ty>> {
                <#any_ty>::dispatch(self, event)
            }
        }
    }
}

/// `Self::Connect(..)` or `Self::Close`.
fn event_pattern(cx: &Ctx<'_>, name: &Ident) -> TokenStream {
    event_pattern_in(cx, name, &quote!(Self))
}

fn event_pattern_in(cx: &Ctx<'_>, name: &Ident, path: &TokenStream) -> TokenStream {
    let event = cx.m.events.iter().find(|e| &e.name == name).expect("event from the model");
    match event.payload {
        Some(_) => quote!(#path::#name(..)),
        None => quote!(#path::#name),
    }
}

/// One arm of `timeout`: the duration expression evaluated with `cx` bound to the
/// context, and the event it raises.
fn timeout_arm(cx: &Ctx<'_>, state: usize, name: &Ident) -> TokenStream {
    let m = cx.m;
    let event_enum = &cx.event_enum;
    let Some(timeout) = m.timeouts.iter().find(|t| t.state == state) else {
        return quote!(Self::#name(_) => ::core::option::Option::None);
    };
    let context = &m.context;
    let after = &timeout.after;
    let event = &m.events[timeout.event].name;
    // `cx` at the expression's span: the name the user's tokens see, also when the
    // proc macro's call site is inside `proxy_machine::lifecycle!`'s expansion.
    let binding = Ident::new("cx", after.span());
    let after_var = Ident::new("after", Span::call_site());
    let typed = quote_spanned!(after.span()=> let #after_var: ::core::time::Duration = #after;);
    quote! {
        Self::#name(handle) => {
            #[allow(unused_variables)]
            let #binding: &#context = handle.context();
            #typed
            ::core::option::Option::Some((#after_var, #event_enum::#event))
        }
    }
}

/// The body of `dispatch`: one arm per row, calling the typed transition through its
/// trait (an event whose method clashed has no method).
///
/// Whether a row accepts the event is decided first, on `(&*self, &event)`: a
/// rejection leaves `self` untouched and hands back only the event. An accepted row
/// moves the handle out of `*self` into its transition and the next handle back in
/// (`replace_with`), so the machine is not copied out and back through the caller as
/// a by-value `dispatch` would. One closure for all the rows, not one per row: each
/// closure is a type of its own and a `replace_with` of its own to compile (measured:
/// ~2 ms of debug build per row).
fn dispatch(cx: &Ctx<'_>) -> TokenStream {
    let m = cx.m;
    let krate = &cx.krate;
    let (any, event_enum, args) = (&cx.any, &cx.event_enum, &cx.args);
    let accepts = m.rows.iter().map(|row| {
        let state = &m.states[row.source].name;
        let event = event_pattern_in(cx, &m.events[row.event].name, &quote!(#event_enum));
        quote!((#any::#state(_), #event))
    });
    let arms = m.rows.iter().map(|row| {
        let state = &m.states[row.source].name;
        let event = &m.events[row.event].name;
        let marker = cx.state_marker(row.source);
        let (_, fire) = cx.event_traits(row.event);
        let fire = quote!(<#marker as #fire<#(#args,)* ()>>::__fire);
        let (pattern, call) = match m.events[row.event].payload {
            Some(_) => (quote!(#event_enum::#event(event)), quote!(#fire(handle, event))),
            None => (quote!(#event_enum::#event), quote!(#fire(handle))),
        };
        let (from, event_name) = (state.to_string(), event.to_string());
        // A pair with alternatives or guarded rows to several states learns its
        // target from the handle its transition returned.
        let (next, to) = if row.returns_next() {
            (quote!(let next: Self = ::core::convert::From::from(#call);), quote!(next.state_name()))
        } else {
            let to = m.states[row.targets[0]].name.to_string();
            (quote!(let next: Self = ::core::convert::From::from(#call);), quote!(#to))
        };
        quote! {
            (#any::#state(handle), #pattern) => {
                #next
                let transition = #krate::Transition { from: #from, event: #event_name, to: #to };
                (next, transition)
            }
        }
    });
    let rejected = quote! {{
        let state = self.state_name();
        let event_name = event.name();
        ::core::result::Result::Err(#krate::Rejected::new(Self::META.name, state, event_name, event))
    }};
    if m.rows.is_empty() {
        return rejected;
    }
    let complete = m.rows.len() == m.states.len() * m.events.len() && !cx.is_generic();
    let reject = (!complete).then(|| {
        quote! {
            if !::core::matches!((&*self, &event), #(#accepts)|*) {
                return #rejected;
            }
        }
    });
    // The pairs without a row were rejected above.
    let others = (!complete).then(|| quote!(_ => ::core::unreachable!(),));
    quote! {
        #reject
        ::core::result::Result::Ok(#krate::__private::replace_with(self, move |machine| {
            match (machine, event) {
                #(#arms,)*
                #others
            }
        }))
    }
}
