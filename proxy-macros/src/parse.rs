//! Tokens to syntax tree. No judgement here: names are not resolved and the graph is
//! not looked at; `check` does that. The only errors are syntax errors.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{braced, bracketed, parenthesized, Attribute, Expr, Generics, Ident, Token, Type, Visibility};

/// The custom keywords of the DSL.
pub(crate) mod kw {
    syn::custom_keyword!(machine);
    syn::custom_keyword!(context);
    syn::custom_keyword!(initial);
    syn::custom_keyword!(terminal);
    syn::custom_keyword!(states);
    syn::custom_keyword!(events);
    syn::custom_keyword!(transitions);
    syn::custom_keyword!(timeouts);
    syn::custom_keyword!(defer);
    syn::custom_keyword!(after);
    syn::custom_keyword!(entry);
    syn::custom_keyword!(exit);
    syn::custom_keyword!(superstates);
}

/// A whole `lifecycle!` invocation: an optional `crate = path;` header, then one or
/// more machines.
pub(crate) struct Input {
    /// The path of the runtime support crate the generated code names: `$crate` when
    /// `proxy_machine::lifecycle!` forwards to the proc macro, so the expansion resolves
    /// through any re-export; `None` for a direct call of the proc macro.
    pub(crate) krate: Option<TokenStream>,
    pub(crate) machines: Vec<MachineDef>,
}

/// One `machine Name<..> { sections }` item.
pub(crate) struct MachineDef {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) generics: Generics,
    pub(crate) context: Option<Type>,
    pub(crate) initial: Option<Ident>,
    pub(crate) terminal: Option<Vec<Ident>>,
    /// `entry: [..];`: the states with an entry action.
    pub(crate) entry: Option<Vec<Ident>>,
    /// `exit: [..];`: the states with an exit action.
    pub(crate) exit: Option<Vec<Ident>>,
    pub(crate) states: Option<Vec<Variant>>,
    pub(crate) events: Option<Vec<Variant>>,
    pub(crate) transitions: Option<Vec<RowDef>>,
    pub(crate) timeouts: Option<Vec<TimeoutDef>>,
    pub(crate) defer: Option<Vec<DeferDef>>,
    /// `superstates { Idle: [Started, Warm], Warm: [Ready, Paused] }`: groups of
    /// states (and of other groups) that share rows, timeouts and deferrals.
    pub(crate) superstates: Option<Vec<SuperstateDef>>,
    /// The `states` keyword, where an error about an empty section points.
    pub(crate) states_span: Option<Span>,
    /// A section given twice: reported by `check` with the rest, the parse goes on so
    /// that the other mistakes of the table show in the same build.
    pub(crate) syntax_errors: Vec<syn::Error>,
}

/// A state or an event: `Name` or `Name(Type, ..)`, with its attributes.
pub(crate) struct Variant {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) data: Option<Type>,
}

/// `Source + Event => Target`, `[A, B] + Event => X | Y`, or `_ + Event => X`.
#[derive(Clone)]
pub(crate) struct RowDef {
    pub(crate) attrs: Vec<Attribute>,
    /// `_`: every non-terminal state without its own row for the event (`sources`
    /// is then empty).
    pub(crate) wildcard: Option<Token![_]>,
    pub(crate) sources: Vec<Ident>,
    pub(crate) event: Ident,
    /// `if fits`: the row's guard.
    pub(crate) guard: Option<Ident>,
    pub(crate) targets: Vec<Ident>,
    /// The superstate this row was written for, when `hierarchy::desugar` made it
    /// one of the rows that superstate's row stands for; `None` as parsed.
    pub(crate) via: Option<Ident>,
}

/// `/// docs` `Name: [Member, ..]`: a superstate and its members, states or other
/// superstates.
pub(crate) struct SuperstateDef {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) name: Ident,
    pub(crate) members: Vec<Ident>,
}

/// `State after <expr> => Event`.
pub(crate) struct TimeoutDef {
    pub(crate) state: Ident,
    pub(crate) after: Expr,
    pub(crate) event: Ident,
}

/// `State: [Event, ..]`.
pub(crate) struct DeferDef {
    pub(crate) state: Ident,
    pub(crate) events: Vec<Ident>,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let krate = if input.peek(Token![crate]) && input.peek2(Token![=]) {
            input.parse::<Token![crate]>()?;
            input.parse::<Token![=]>()?;
            // Taken as tokens, not as a `syn::Path`: `$crate` arrives as one
            // identifier that must be given back to rustc untouched.
            let mut path = TokenStream::new();
            while !input.is_empty() && !input.peek(Token![;]) {
                path.extend([input.parse::<proc_macro2::TokenTree>()?]);
            }
            input.parse::<Token![;]>()?;
            Some(path)
        } else {
            None
        };
        let mut machines = Vec::new();
        while !input.is_empty() {
            machines.push(input.parse()?);
        }
        if machines.is_empty() {
            return Err(input.error(
                "expected a machine: `machine Name { initial: ..; states { .. } events { .. } transitions { .. } }`",
            ));
        }
        Ok(Input { krate, machines })
    }
}

impl Parse for MachineDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<kw::machine>()?;
        let name: Ident = input.parse()?;
        let mut generics: Generics = input.parse()?;
        generics.where_clause = input.parse()?;
        let body;
        braced!(body in input);
        let mut def = MachineDef {
            attrs,
            vis,
            name,
            generics,
            context: None,
            initial: None,
            terminal: None,
            entry: None,
            exit: None,
            states: None,
            events: None,
            transitions: None,
            timeouts: None,
            defer: None,
            superstates: None,
            states_span: None,
            syntax_errors: Vec::new(),
        };
        while !body.is_empty() {
            def.parse_section(&body)?;
        }
        Ok(def)
    }
}

impl MachineDef {
    fn parse_section(&mut self, input: ParseStream<'_>) -> syn::Result<()> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::context) {
            let keyword = input.parse::<kw::context>()?.span;
            let value = after_colon(input, |input| input.parse())?;
            self.set_once(|def| &mut def.context, keyword, value, "context")
        } else if lookahead.peek(kw::initial) {
            let keyword = input.parse::<kw::initial>()?.span;
            let value = after_colon(input, |input| input.parse())?;
            self.set_once(|def| &mut def.initial, keyword, value, "initial")
        } else if lookahead.peek(kw::terminal) {
            let keyword = input.parse::<kw::terminal>()?.span;
            let value = after_colon(input, parse_ident_list)?;
            self.set_once(|def| &mut def.terminal, keyword, value, "terminal")
        } else if lookahead.peek(kw::entry) {
            let keyword = input.parse::<kw::entry>()?.span;
            let value = after_colon(input, parse_ident_list)?;
            self.merge_once(|def| &mut def.entry, keyword, value, "entry")
        } else if lookahead.peek(kw::exit) {
            let keyword = input.parse::<kw::exit>()?.span;
            let value = after_colon(input, parse_ident_list)?;
            self.merge_once(|def| &mut def.exit, keyword, value, "exit")
        } else if lookahead.peek(kw::states) {
            let keyword = input.parse::<kw::states>()?.span;
            let value = braced_list(input)?;
            self.states_span.get_or_insert(keyword);
            self.merge_once(|def| &mut def.states, keyword, value, "states")
        } else if lookahead.peek(kw::events) {
            let keyword = input.parse::<kw::events>()?.span;
            let value = braced_list(input)?;
            self.merge_once(|def| &mut def.events, keyword, value, "events")
        } else if lookahead.peek(kw::transitions) {
            let keyword = input.parse::<kw::transitions>()?.span;
            let value = braced_list(input)?;
            self.merge_once(|def| &mut def.transitions, keyword, value, "transitions")
        } else if lookahead.peek(kw::timeouts) {
            let keyword = input.parse::<kw::timeouts>()?.span;
            let value = braced_list(input)?;
            self.merge_once(|def| &mut def.timeouts, keyword, value, "timeouts")
        } else if lookahead.peek(kw::defer) {
            let keyword = input.parse::<kw::defer>()?.span;
            let value = braced_list(input)?;
            self.merge_once(|def| &mut def.defer, keyword, value, "defer")
        } else if lookahead.peek(kw::superstates) {
            let keyword = input.parse::<kw::superstates>()?.span;
            let value = braced_list(input)?;
            self.merge_once(|def| &mut def.superstates, keyword, value, "superstates")
        } else {
            Err(lookahead.error())
        }
    }
}

impl MachineDef {
    /// Stores a section; a second one of the same kind is recorded as an error and
    /// dropped, and the parse goes on.
    fn set_once<T>(
        &mut self,
        slot: impl FnOnce(&mut Self) -> &mut Option<T>,
        keyword: Span,
        value: T,
        name: &str,
    ) -> syn::Result<()> {
        let error = syn::Error::new(
            keyword,
            format!("duplicate section `{name}`: each section may appear once per machine"),
        );
        let slot = slot(self);
        if slot.is_some() {
            self.syntax_errors.push(error);
        } else {
            *slot = Some(value);
        }
        Ok(())
    }

    /// Stores a list section; a second one of the same kind is recorded as an error
    /// and its items are appended to the first, so they are still checked and a row
    /// written there does not go missing from the graph.
    fn merge_once<T>(
        &mut self,
        slot: impl FnOnce(&mut Self) -> &mut Option<Vec<T>>,
        keyword: Span,
        value: Vec<T>,
        name: &str,
    ) -> syn::Result<()> {
        let error = syn::Error::new(
            keyword,
            format!("duplicate section `{name}`: each section may appear once per machine; write its items in one"),
        );
        let slot = slot(self);
        match slot {
            Some(items) => {
                items.extend(value);
                self.syntax_errors.push(error);
            }
            None => *slot = Some(value),
        }
        Ok(())
    }
}

/// `: value ;` where the trailing semicolon is optional before a closing brace.
fn after_colon<T>(
    input: ParseStream<'_>,
    parse: impl FnOnce(ParseStream<'_>) -> syn::Result<T>,
) -> syn::Result<T> {
    input.parse::<Token![:]>()?;
    let value = parse(input)?;
    if !input.is_empty() {
        input.parse::<Token![;]>()?;
    }
    Ok(value)
}

/// `Name` or `[A, B, ..]`.
fn parse_ident_list(input: ParseStream<'_>) -> syn::Result<Vec<Ident>> {
    if input.peek(syn::token::Bracket) {
        let content;
        bracketed!(content in input);
        let list = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
        Ok(list.into_iter().collect())
    } else {
        Ok(vec![input.parse()?])
    }
}

/// `{ item, item, .. }` with an optional trailing comma.
fn braced_list<T: Parse>(input: ParseStream<'_>) -> syn::Result<Vec<T>> {
    let content;
    braced!(content in input);
    let list = Punctuated::<T, Token![,]>::parse_terminated(&content)?;
    Ok(list.into_iter().collect())
}

impl Parse for Variant {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let name = input.parse()?;
        let mut data = None;
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            if content.is_empty() {
                return Err(content.error("expected a type: write `Name` for a state or event without data"));
            }
            data = Some(content.parse()?);
            if content.peek(Token![,]) && !content.peek2(syn::parse::End) {
                return Err(content.error(
                    "one data type per state or event: wrap several in a tuple `Name((A, B))` or a struct",
                ));
            }
            content.parse::<Option<Token![,]>>()?;
        }
        Ok(Variant { attrs, name, data })
    }
}

impl Parse for RowDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let (wildcard, sources) = if input.peek(Token![_]) {
            (Some(input.parse()?), Vec::new())
        } else {
            (None, parse_ident_list(input)?)
        };
        input.parse::<Token![+]>()?;
        let event = input.parse()?;
        let guard = if input.peek(Token![if]) {
            input.parse::<Token![if]>()?;
            Some(input.parse()?)
        } else {
            None
        };
        input.parse::<Token![=>]>()?;
        let targets = Punctuated::<Ident, Token![|]>::parse_separated_nonempty(input)?;
        Ok(RowDef {
            attrs,
            wildcard,
            sources,
            event,
            guard,
            targets: targets.into_iter().collect(),
            via: None,
        })
    }
}

impl Parse for SuperstateDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let members = parse_ident_list(input)?;
        Ok(SuperstateDef { attrs, name, members })
    }
}

impl Parse for TimeoutDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let state = input.parse()?;
        input.parse::<kw::after>()?;
        let after = input.parse()?;
        input.parse::<Token![=>]>()?;
        let event = input.parse()?;
        Ok(TimeoutDef { state, after, event })
    }
}

impl Parse for DeferDef {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let state = input.parse()?;
        input.parse::<Token![:]>()?;
        let events = parse_ident_list(input)?;
        Ok(DeferDef { state, events })
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    #[test]
    fn parses_every_section() {
        let input: Input = parse_quote! {
            /// Docs.
            pub machine Lease<'a, T: Clone> where T: Send {
                context: Cx<'a, T>;
                initial: Idle;
                terminal: [Closed, Gone];
                states { /// Waiting.
                    Idle, Open(Socket), Closed, Gone }
                events { Connect(Addr), Close, TimedOut }
                transitions {
                    Idle + Connect => Open,
                    /// Row docs.
                    [Idle, Open] + Close => Closed | Gone,
                }
                timeouts { Open after cx.limit => TimedOut }
                defer { Open: [Connect] }
            }
        };
        let def = &input.machines[0];
        assert_eq!(def.name, "Lease");
        assert_eq!(def.generics.params.len(), 2);
        assert!(def.generics.where_clause.is_some());
        assert_eq!(def.initial.as_ref().unwrap(), "Idle");
        assert_eq!(def.terminal.as_ref().unwrap().len(), 2);
        let states = def.states.as_ref().unwrap();
        assert_eq!(states.len(), 4);
        assert!(states[1].data.is_some());
        assert_eq!(states[0].attrs.len(), 1);
        let rows = def.transitions.as_ref().unwrap();
        assert_eq!(rows[1].sources.len(), 2);
        assert_eq!(rows[1].targets.len(), 2);
        assert_eq!(rows[1].attrs.len(), 1);
        assert_eq!(def.timeouts.as_ref().unwrap()[0].event, "TimedOut");
        assert_eq!(def.defer.as_ref().unwrap()[0].events[0], "Connect");
    }

    #[test]
    fn single_terminal_without_brackets_and_sections_in_any_order() {
        let input: Input = parse_quote! {
            machine M {
                transitions { A + Go => B }
                terminal: B;
                events { Go }
                states { A, B }
                initial: A
            }
        };
        let def = &input.machines[0];
        assert_eq!(def.terminal.as_ref().unwrap()[0], "B");
        assert!(def.context.is_none());
    }

    #[test]
    fn several_machines_in_one_call() {
        let input: Input = parse_quote! {
            machine A { initial: X; states { X } terminal: [X] }
            machine B { initial: Y; states { Y } terminal: [Y] }
        };
        assert_eq!(input.machines.len(), 2);
    }

    #[test]
    fn the_crate_path_comes_first_and_is_kept_as_tokens() {
        let input: Input = parse_quote! { crate = ::some::path; machine A { initial: X; states { X } } };
        assert_eq!(input.krate.unwrap().to_string(), ":: some :: path");
        assert_eq!(input.machines.len(), 1);
        let input: Input = parse_quote! { machine A { initial: X; states { X } } };
        assert!(input.krate.is_none());
    }

    fn parse_error(tokens: proc_macro2::TokenStream) -> String {
        match syn::parse2::<Input>(tokens) {
            Ok(_) => panic!("expected a syntax error"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn a_section_twice_is_recorded_and_the_parse_goes_on() {
        let input: Input = parse_quote! { machine M { initial: A; initial: B; states { A } } };
        let def = &input.machines[0];
        assert_eq!(def.initial.as_ref().unwrap(), "A");
        assert!(def.states.is_some());
        let messages: Vec<String> = def.syntax_errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages, ["duplicate section `initial`: each section may appear once per machine"]);
    }

    #[test]
    fn two_data_types_are_refused_with_the_fix() {
        let message = parse_error(quote::quote! { machine M { states { A(u8, u16) } } });
        assert!(message.starts_with("one data type per state or event"), "{message}");
    }

    #[test]
    fn an_unknown_section_lists_the_valid_ones() {
        let message = parse_error(quote::quote! { machine M { stats { A } } });
        assert!(message.contains("expected one of"), "{message}");
        assert!(message.contains("`states`"), "{message}");
    }

    #[test]
    fn an_empty_invocation_says_what_to_write() {
        let message = parse_error(quote::quote! {});
        assert!(message.contains("expected a machine: `machine Name {"), "{message}");
    }
}
