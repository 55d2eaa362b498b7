//! The `lifecycle!` macro. Use it through `proxy-machine`, which re-exports it with its
//! documentation (the DSL reference) and holds the runtime support the generated code
//! names.
//!
//! Phases, one module each: `parse` (tokens to syntax, no judgement), `check`
//! (one function per rule, spanned and accumulated errors), `model` (the validated
//! table), `codegen` (one file per generated artefact, reading only the model).

mod check;
mod codegen;
mod expand;
mod hierarchy;
mod model;
mod names;
mod parse;
#[cfg(test)]
mod snapshots;

/// Compiles a lifecycle table into typestate code: the handle, one method per event
/// legal only where the table allows it, the handlers trait, the runtime enum with
/// `dispatch`, the metadata and the diagram. See the reference in
/// `proxy_machine::reference` for every construct and every error.
#[proc_macro]
pub fn lifecycle(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::lifecycle(input.into()).into()
}
