//! `Lease<S>`: the typestate handle, the state trait its markers implement, one trait
//! per superstate (`LeaseOpen` for `superstates { Open: [..] }`), and the accessors
//! every state has.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Ctx;
use crate::names;

pub(super) fn generate(cx: &Ctx<'_>) -> TokenStream {
    let m = cx.m;
    let (handle, module, state_trait, s) = (&cx.handle, &cx.module, &cx.state_trait, &cx.s);
    let vis = &m.vis;
    let context = &m.context;
    let args = &cx.args;
    let state_bound = quote!(#s: #state_trait<#(#args),*>);
    let params = cx.params_with(std::slice::from_ref(&state_bound));
    let where_clause = cx.where_with(&[]);
    let self_ty = cx.handle_of(&quote!(#s));
    let any = cx.generic(&cx.any);
    let state_trait_ty = cx.generic(state_trait);
    let phantom = cx.phantom();
    let docs = super::meta::handle_docs(cx);

    let state_impls = (0..m.states.len()).map(|state| {
        let marker = cx.state_marker(state);
        let data = cx.data_ty(state);
        let name = m.states[state].name.to_string();
        let variant = &m.states[state].name;
        let impl_params = cx.params_with(&[]);
        let handle_ty = cx.handle_of(&marker);
        quote! {
            impl #impl_params #state_trait_ty for #marker #where_clause {
                type Data = #data;
                const NAME: &'static str = #name;
                #[inline]
                fn __into_any(handle: #handle_ty) -> #any {
                    <#any>::#variant(handle)
                }
            }
        }
    });

    let superstates = m.superstates.iter().enumerate().map(|(group, superstate)| {
        let name = &superstate.name;
        let trait_name = format_ident!("{handle}{name}", span = name.span());
        let members: Vec<usize> = (0..m.states.len()).filter(|&s| m.superstates_of(s).contains(&group)).collect();
        let docs = Ctx::docs_or(&superstate.attrs, &format!("The superstate `{name}` of [`{handle}`]."));
        let text = format!(
            "Implemented by the states in `{name}`: {}. A bound `S: {trait_name}` takes a `{handle}<S>` in any of them.",
            names::backticked(members.iter().map(|&s| format!("{module}::{}", m.states[s].name)))
        );
        let impl_params = cx.params_with(&[]);
        let trait_ty = cx.generic(&trait_name);
        let impls = members.iter().map(|&state| {
            let marker = cx.state_marker(state);
            quote!(impl #impl_params #trait_ty for #marker #where_clause {})
        });
        quote! {
            #docs
            #[doc = ""]
            #[doc = #text]
            // Unused unless the user bounds on it.
            #[allow(dead_code)]
            #vis trait #trait_name #impl_params: #state_trait_ty #where_clause {}
            #(#impls)*
        }
    });

    let initial = m.initial;
    let initial_marker = cx.state_marker(initial);
    let initial_ty = cx.handle_of(&initial_marker);
    let initial_name = &m.states[initial].name;
    let impl_params = cx.params_with(&[]);
    let new_doc = format!("Starts a machine in its initial state, `{initial_name}`.");
    // The initial state is entered by `new`: its entry action runs there.
    // So are its superstates, outermost first, before it.
    let entered = cx.superstate_calls(None, initial);
    let (entry, new_bound) = if m.states[initial].entry || !entered.is_empty() {
        let own = m.states[initial].entry.then(|| {
            let (entry, handlers) = (cx.entry_method(initial), cx.generic(&cx.handlers));
            let data = m.states[initial].data.as_ref().map(|_| quote!(, &mut data));
            quote!(<#context as #handlers>::#entry(&mut context #data);)
        });
        let bound = super::transitions::handlers_bound(cx);
        (Some(quote!(#entered #own)), Some(quote!(where #bound)))
    } else {
        (None, None)
    };
    let mutable = entry.is_some().then(|| quote!(mut));
    let new_fn = match &m.states[initial].data {
        None => quote! {
            #[doc = #new_doc]
            #[inline]
            #vis fn new(#mutable context: #context) -> Self #new_bound {
                #entry
                Self::restore(context, ())
            }
        },
        Some(data) => quote! {
            #[doc = #new_doc]
            #[inline]
            #vis fn new(#mutable context: #context, #mutable data: #data) -> Self #new_bound {
                #entry
                Self::restore(context, data)
            }
        },
    };
    let trait_doc = format!(
        "The states of [`{handle}`]: implemented by the markers in [`{module}`] and by nothing else."
    );

    quote! {
        #docs
        #[must_use = "a lifecycle handle is consumed by its transitions; dropping it drops the machine"]
        // The context first in every state: with the default layout it sits after the
        // data in some states and before it in others, so every transition between
        // them moves the whole context (in `dispatch`, ~1.7x the instructions). With
        // two sized fields, the size is the same in either order.
        #[repr(C)]
        #vis struct #handle #params #where_clause {
            __context: #context,
            __data: <#s as #state_trait_ty>::Data,
            __state: ::core::marker::PhantomData<fn() -> #s>,
            __generics: #phantom,
        }

        #[doc = #trait_doc]
        #vis trait #state_trait #impl_params: #module::__private::Sealed + ::core::marker::Sized #where_clause {
            /// The data the handle holds in this state (`()` for a state without data).
            type Data;
            /// The state's name, as written in the table.
            const NAME: &'static str;
            #[doc(hidden)]
            fn __into_any(handle: #handle<#(#args,)* Self>) -> #any;
        }

        #(#state_impls)*

        #(#superstates)*

        impl #params #self_ty #where_clause {
            /// Rebuilds a handle in state `S` from its parts, without a transition:
            /// for a machine restored from storage. Everywhere else, let the table
            /// move the machine.
            #vis fn restore(context: #context, data: <#s as #state_trait_ty>::Data) -> Self {
                Self {
                    __context: context,
                    __data: data,
                    __state: ::core::marker::PhantomData,
                    __generics: ::core::marker::PhantomData,
                }
            }

            /// The context, owned in every state.
            #vis fn context(&self) -> &#context {
                &self.__context
            }

            /// The context, mutably.
            #vis fn context_mut(&mut self) -> &mut #context {
                &mut self.__context
            }

            /// The current state's data.
            #vis fn data(&self) -> &<#s as #state_trait_ty>::Data {
                &self.__data
            }

            /// The current state's data, mutably.
            #vis fn data_mut(&mut self) -> &mut <#s as #state_trait_ty>::Data {
                &mut self.__data
            }

            /// The context and the state's data.
            #vis fn into_parts(self) -> (#context, <#s as #state_trait_ty>::Data) {
                (self.__context, self.__data)
            }

            /// The current state's name, as written in the table.
            #vis fn state_name(&self) -> &'static str {
                <#s as #state_trait_ty>::NAME
            }

            /// The handle as the runtime enum, for code that learns the state only at run time.
            #vis fn into_any(self) -> #any {
                <#s as #state_trait_ty>::__into_any(self)
            }
        }

        impl #impl_params #initial_ty #where_clause {
            #new_fn
        }

        impl #params ::core::fmt::Debug for #self_ty #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_tuple(::core::stringify!(#handle)).field(&<#s as #state_trait_ty>::NAME).finish()
            }
        }
    }
}
