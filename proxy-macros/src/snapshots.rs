//! Expansion snapshots on stable: the generated code, pretty-printed, compared with
//! the files in `src/snapshots/`. After a deliberate change to codegen, review the
//! diff and refresh them with `UPDATE_EXPECT=1 cargo test -p proxy-macros`.

use expect_test::{expect_file, ExpectFile};
use quote::quote;

use crate::expand;

fn assert_expansion(tokens: proc_macro2::TokenStream, expected: ExpectFile) {
    let expanded = expand::lifecycle(tokens);
    let file: syn::File = syn::parse2(expanded).expect("the expansion is valid Rust");
    expected.assert_eq(&prettyplease::unparse(&file));
}

#[test]
fn door() {
    assert_expansion(
        quote! {
            /// A door.
            pub machine Door {
                context: u32;
                initial: Open;
                terminal: [Gone];
                states { Open, Shut(bool), Gone }
                events { Push, Lock(bool), Burn }
                transitions {
                    Open + Push => Shut,
                    Shut + Push => Open | Shut,
                    [Open, Shut] + Burn => Gone,
                }
                timeouts { Open after core::time::Duration::from_secs(*cx as u64) => Push }
                defer { Shut: [Lock] }
            }
        },
        expect_file!["snapshots/door.rs"],
    );
}

#[test]
fn generic_machine() {
    assert_expansion(
        quote! {
            machine Pool<'a, T: Clone> where T: Send {
                context: &'a mut Vec<T>;
                initial: Empty;
                terminal: [Closed];
                states { Empty, Full(T), Closed }
                events { Put(T), Close }
                transitions { Empty + Put => Full, [Empty, Full] + Close => Closed }
            }
        },
        expect_file!["snapshots/generic.rs"],
    );
}

#[test]
fn guards() {
    assert_expansion(
        quote! {
            machine Gate {
                context: u8;
                initial: Closed;
                terminal: [Gone];
                exit: [Closed];
                states { Closed, Open(u8), Jammed, Gone }
                events { Key(u8), Kick }
                transitions {
                    Closed + Key if matches => Open,
                    Closed + Key if stuck => Jammed,
                    Closed + Key => Closed,
                    Jammed + Kick if lucky => Closed,
                    Jammed + Kick => Closed,
                    [Open, Closed] + Kick => Gone,
                }
            }
        },
        expect_file!["snapshots/guards.rs"],
    );
}

#[test]
fn an_error_still_expands_what_is_valid() {
    let expanded = expand::lifecycle(quote! {
        machine M {
            initial: A;
            terminal: [B];
            states { A, B }
            events { Go }
            transitions { A + Go => B, A + Og => B }
        }
    })
    .to_string();
    assert!(expanded.contains("compile_error"), "{expanded}");
    assert!(expanded.contains("unknown event `Og`"), "{expanded}");
    // The valid row is still generated, so code using it type-checks.
    assert!(expanded.contains("fn a_go"), "{expanded}");
}

/// A chain of `states` states, each going to the next on `Go`, the last terminal.
fn chain(states: usize) -> proc_macro2::TokenStream {
    let names: Vec<proc_macro2::Ident> = (0..states).map(|i| quote::format_ident!("S{i}")).collect();
    let rows = names.windows(2).map(|pair| {
        let (from, to) = (&pair[0], &pair[1]);
        quote!(#from + Go => #to,)
    });
    let last = &names[states - 1];
    quote! {
        machine Chain {
            initial: S0;
            terminal: [#last];
            states { #(#names),* }
            events { Go }
            transitions { #(#rows)* }
        }
    }
}

#[test]
fn the_docs_draw_the_diagram_of_a_table_up_to_64_states() {
    let drawn = expand::lifecycle(chain(64)).to_string();
    assert!(drawn.contains("lifecycle-diagram"), "64 states are drawn");
    let big = expand::lifecycle(chain(65)).to_string();
    assert!(!big.contains("lifecycle-diagram"), "65 states are not drawn");
    assert!(big.contains("A table of 65 states and 64 rows is not drawn here"), "{big}");
    // The Mermaid text is there either way.
    assert!(big.contains("stateDiagram-v2"));
}

/// The `on_unimplemented` strings of `file`'s items, nested modules included.
fn diagnostic_strings(items: &[syn::Item], out: &mut Vec<String>) {
    for item in items {
        let attrs = match item {
            syn::Item::Trait(t) => &t.attrs,
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    diagnostic_strings(inner, out);
                }
                continue;
            }
            _ => continue,
        };
        for attr in attrs.iter().filter(|a| a.path().segments.iter().any(|s| s.ident == "on_unimplemented")) {
            attr.parse_nested_meta(|meta| {
                let value: syn::LitStr = meta.value()?.parse()?;
                out.push(value.value());
                Ok(())
            })
            .expect("an on_unimplemented attribute of `key = \"..\"` pairs");
        }
    }
}

/// Whether `text` is a well-formed `on_unimplemented` format string: every brace
/// doubled, except around `{Self}` (the only argument the generated traits use).
fn well_formed(text: &str) -> bool {
    let plain = text.replace("{{", "").replace("}}", "").replace("{Self}", "");
    !plain.contains('{') && !plain.contains('}')
}

#[test]
fn every_diagnostic_string_is_a_well_formed_format_string() {
    // rustc reads `{..}` in these strings as a placeholder: a stray brace is
    // lint `malformed_diagnostic_format_literals` and a garbled message.
    let tables = [
        quote! {
            machine Door {
                context: u32;
                initial: Open;
                terminal: [Gone];
                states { Open, Shut(bool), Gone }
                events { Push, Lock(bool), Burn }
                transitions { Open + Push => Shut, Shut + Push => Open | Shut, [Open, Shut] + Burn => Gone }
                defer { Shut: [Lock] }
            }
        },
        chain(3),
    ];
    for table in tables {
        let file: syn::File = syn::parse2(expand::lifecycle(table)).expect("the expansion is valid Rust");
        let mut strings = Vec::new();
        diagnostic_strings(&file.items, &mut strings);
        assert!(strings.len() > 5, "the handlers, rejection and target traits: {strings:?}");
        for text in strings {
            assert!(well_formed(&text), "a stray brace in {text:?}");
        }
    }
}
