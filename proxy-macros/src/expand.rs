//! parse -> check -> codegen for one invocation.

use proc_macro2::TokenStream;

use crate::check::{self, Errors};
use crate::codegen;
use crate::parse::Input;

/// Expands `lifecycle! { .. }`: the generated code of every machine that could be
/// modelled, followed by every error found. A syntax error stops at the parser.
pub(crate) fn lifecycle(tokens: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(tokens) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let krate = input.krate.unwrap_or_else(|| quote::quote!(::proxy_machine));
    let mut errors = Errors::default();
    let mut out = TokenStream::new();
    for def in input.machines {
        if let Some(machine) = check::check(def, &mut errors) {
            out.extend(codegen::machine(&machine, &krate));
        }
    }
    out.extend(errors.into_compile_errors());
    out
}
