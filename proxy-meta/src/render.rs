//! Mermaid and Graphviz renderings of a [`MachineMeta`].

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::MachineMeta;

impl MachineMeta<'_> {
    /// The machine as a Mermaid `stateDiagram-v2`.
    ///
    /// Every row becomes an edge per target labelled with its event (and `[guard]`
    /// for a guarded row, `[else]` for the unguarded row after guarded ones); timeouts are
    /// edges labelled `after <duration> / <event>`; the rows between the same two states
    /// share one edge, their labels joined by `<br/>`, in table order; deferred events are
    /// noted on their state; terminal states lead to `[*]`.
    ///
    /// Mermaid cannot take some of Rust's punctuation in a label, which a timeout's
    /// duration expression may hold: `::` is a parse error, `;` ends the statement and
    /// `<..>` is taken for an HTML tag (entities do not help: their `;` ends the label
    /// too). Those are written with look-alikes: `∷`, `;` (U+037E), `‹` and `›`; and a
    /// label that spans lines (a block expression) is put on one.
    pub fn to_mermaid(&self) -> String {
        let mut out = String::from("stateDiagram-v2\n");
        // `writeln!` into a `String` cannot fail.
        let _ = writeln!(out, "    [*] --> {}", self.initial);
        for superstate in self.superstates.iter().filter(|s| s.parent.is_none()) {
            self.write_group(&mut out, superstate.name, 1, false);
        }
        // One edge per (source, target), its rows' labels one per line: Mermaid draws
        // the transitions between two states as one edge and keeps only one label,
        // so a line per row would lose the others in the picture (checked in a browser
        // by `proxy-core/tests/mermaid_render.rs`). Edges in the order of their first
        // row; the index keeps this linear, as the macro renders every table's text
        // for its docs at expansion.
        let mut edges: Vec<(&str, &str, Vec<String>)> = Vec::new();
        let mut index: HashMap<(&str, &str), usize> = HashMap::new();
        for (row, source) in self.drawn_rows() {
            let label = mermaid_label(&self.row_label(row));
            for &target in row.targets {
                let edge = *index.entry((source, target)).or_insert_with(|| {
                    edges.push((source, target, Vec::new()));
                    edges.len() - 1
                });
                edges[edge].2.push(label.clone());
            }
        }
        for (source, target, labels) in edges {
            let _ = writeln!(out, "    {source} --> {target}: {}", labels.join("<br/>"));
        }
        for state in self.states {
            if let Some(actions) = state.actions() {
                let _ = writeln!(out, "    note left of {}: {actions}", state.name);
            }
        }
        for superstate in self.superstates {
            if let Some(actions) = superstate.actions() {
                let _ = writeln!(out, "    note left of {}: {actions}", superstate.name);
            }
        }
        for deferral in self.deferrals {
            let _ =
                writeln!(out, "    note right of {}: defers {}", deferral.state, deferral.events.join(", "));
        }
        for terminal in self.terminal {
            let _ = writeln!(out, "    {terminal} --> [*]");
        }
        out
    }

    /// The machine as a Graphviz `digraph`.
    pub fn to_dot(&self) -> String {
        let mut out = format!("digraph {} {{\n    rankdir=LR;\n", self.name);
        if !self.superstates.is_empty() {
            out.push_str("    compound=true;\n");
        }
        let _ = writeln!(out, "    __start [shape=point];");
        let _ = writeln!(out, "    __start -> {};", self.initial);
        for state in self.states {
            let shape = if self.is_terminal(state.name) { "doublecircle" } else { "circle" };
            match state.actions() {
                Some(actions) => {
                    let _ = writeln!(out, "    {0} [shape={shape}, xlabel=\"{actions}\"];", state.name);
                }
                None => {
                    let _ = writeln!(out, "    {} [shape={shape}];", state.name);
                }
            }
        }
        for superstate in self.superstates.iter().filter(|s| s.parent.is_none()) {
            self.write_group(&mut out, superstate.name, 1, true);
        }
        for (row, source) in self.drawn_rows() {
            // A superstate's row leaves its cluster: drawn from the first state it
            // stands for, its tail clipped at the cluster's border.
            let tail = if source == row.source { String::new() } else { format!(", ltail=cluster_{source}") };
            for target in row.targets {
                let label = self.row_label(row);
                let _ = writeln!(
                    out,
                    "    {} -> {} [label=\"{}\"{tail}];",
                    row.source,
                    target,
                    label.replace('"', "\\\"")
                );
            }
        }
        out.push_str("}\n");
        out
    }

    /// The rows as the diagrams draw them, each with the state its edge leaves: a
    /// superstate's row once, from the superstate, for all the states it stands for;
    /// every other row from its source.
    fn drawn_rows(&self) -> impl Iterator<Item = (&crate::RowMeta<'_>, &str)> + '_ {
        self.rows.iter().enumerate().filter_map(|(i, row)| match row.via {
            Some(group) if group != "_" => {
                let first = !self.rows[..i].iter().any(|r| {
                    r.via == row.via
                        && r.event == row.event
                        && r.guard == row.guard
                        && r.targets == row.targets
                });
                first.then_some((row, group))
            }
            _ => Some((row, row.source)),
        })
    }

    /// A superstate with its states and nested superstates: `state Idle { .. }` in
    /// Mermaid, `subgraph cluster_Idle { label=..; .. }` in DOT.
    fn write_group(&self, out: &mut String, name: &str, depth: usize, dot: bool) {
        let indent = "    ".repeat(depth);
        let group = self.superstates.iter().find(|s| s.name == name);
        if dot {
            let actions = group.and_then(|s| s.actions()).map(|a| format!(" ({a})")).unwrap_or_default();
            let _ = writeln!(out, "{indent}subgraph cluster_{name} {{");
            let _ = writeln!(out, "{indent}    label=\"{name}{actions}\";");
        } else {
            let _ = writeln!(out, "{indent}state {name} {{");
        }
        for state in group.map_or(&[][..], |s| s.states) {
            let _ = writeln!(out, "{indent}    {state}{}", if dot { ";" } else { "" });
        }
        for nested in self.superstates.iter().filter(|s| s.parent == Some(name)) {
            self.write_group(out, nested.name, depth + 1, dot);
        }
        let _ = writeln!(out, "{indent}}}");
    }

    /// The edge label of `row`: its event (see `edge_label`), then `[guard]` for a
    /// guarded row or `[else]` for the fallback of guarded rows, as UML writes guards.
    pub(crate) fn row_label(&self, row: &crate::RowMeta<'_>) -> String {
        let label = self.edge_label(row.source, row.event);
        match row.guard {
            Some(guard) => format!("{label} [{guard}]"),
            None if self.is_fallback(row) => format!("{label} [else]"),
            None => label,
        }
    }

    /// `event`, or `after <duration> / event` when the event is the state's timeout.
    fn edge_label(&self, state: &str, event: &str) -> String {
        match self.timeout(state) {
            Some(timeout) if timeout.event == event => {
                format!("after {} / {}", timeout.after, event)
            }
            _ => event.to_owned(),
        }
    }
}

/// `label` on one line, with what Mermaid's state diagrams cannot parse or show in
/// an edge label replaced by look-alikes (see [`MachineMeta::to_mermaid`]).
fn mermaid_label(label: &str) -> String {
    // One line: a statement ends at a newline, and a block's text has them.
    let label = label.split_whitespace().collect::<Vec<_>>().join(" ");
    label.replace("::", "\u{2237}").replace(';', "\u{37e}").replace('<', "\u{2039}").replace('>', "\u{203a}")
}

#[cfg(test)]
mod tests {
    use crate::{DeferralMeta, EventMeta, MachineMeta, RowMeta, StateMeta, TimeoutMeta};

    const LEASE: MachineMeta<'static> = MachineMeta {
        name: "Lease",
        doc: "",
        states: &[
            StateMeta::unit("Idle"),
            StateMeta { entry: true, exit: true, ..StateMeta::unit("Connecting") },
            StateMeta::unit("Closed"),
        ],
        events: &[EventMeta::unit("Connect"), EventMeta::unit("TimedOut")],
        rows: &[
            RowMeta { source: "Idle", event: "Connect", targets: &["Connecting"], guard: None, via: None },
            RowMeta {
                source: "Connecting",
                event: "TimedOut",
                targets: &["Idle", "Closed"],
                guard: None,
                via: None,
            },
        ],
        timeouts: &[TimeoutMeta { state: "Connecting", after: "cx.limit", event: "TimedOut" }],
        deferrals: &[DeferralMeta { state: "Connecting", events: &["Connect"] }],
        initial: "Idle",
        terminal: &["Closed"],
        superstates: &[],
    };

    #[test]
    fn mermaid_lists_every_edge_timeout_action_deferral_and_terminal() {
        let expected = "stateDiagram-v2
    [*] --> Idle
    Idle --> Connecting: Connect
    Connecting --> Idle: after cx.limit / TimedOut
    Connecting --> Closed: after cx.limit / TimedOut
    note left of Connecting: entry, exit
    note right of Connecting: defers Connect
    Closed --> [*]
";
        assert_eq!(LEASE.to_mermaid(), expected);
    }

    #[test]
    fn mermaid_puts_the_rows_between_two_states_on_one_edge() {
        // Mermaid keeps one label per pair of states: two lines would draw one event.
        const TWO: MachineMeta<'static> = MachineMeta {
            name: "Two",
            doc: "",
            states: &[StateMeta::unit("A"), StateMeta::unit("B")],
            events: &[EventMeta::unit("X"), EventMeta::unit("Y")],
            rows: &[
                RowMeta { source: "A", event: "X", targets: &["B"], guard: None, via: None },
                RowMeta { source: "B", event: "X", targets: &["A"], guard: None, via: None },
                RowMeta { source: "A", event: "Y", targets: &["B", "A"], guard: None, via: None },
            ],
            timeouts: &[],
            deferrals: &[],
            initial: "A",
            terminal: &[],
            superstates: &[],
        };
        let mermaid = TWO.to_mermaid();
        let edges: Vec<&str> = mermaid.lines().filter(|l| l.contains("-->") && !l.contains("[*]")).collect();
        assert_eq!(edges, ["    A --> B: X<br/>Y", "    B --> A: X", "    A --> A: Y"], "{mermaid}");
        // DOT draws parallel edges apart: one per row and target there.
        assert_eq!(TWO.to_dot().matches(" -> ").count(), 1 + 4);
    }

    #[test]
    fn mermaid_labels_replace_what_mermaid_cannot_parse() {
        assert_eq!(
            super::mermaid_label("after Duration::from_secs(1) / Tick"),
            "after Duration\u{2237}from_secs(1) / Tick"
        );
        assert_eq!(
            super::mermaid_label("{ let n = <u64>::from(*cx); n }"),
            "{ let n = \u{2039}u64\u{203a}\u{2237}from(*cx)\u{37e} n }"
        );
        assert_eq!(super::mermaid_label("Run [fits]"), "Run [fits]");
        assert_eq!(super::mermaid_label("after {\n    f(cx)\n} / T"), "after { f(cx) } / T");
    }

    #[test]
    fn dot_marks_terminal_states_actions_and_escapes_labels() {
        let dot = LEASE.to_dot();
        assert!(dot.starts_with("digraph Lease {"));
        assert!(dot.contains("Closed [shape=doublecircle];"));
        assert!(dot.contains("Connecting [shape=circle, xlabel=\"entry, exit\"];"));
        assert!(dot.contains("Idle -> Connecting [label=\"Connect\"];"));
        assert!(dot.ends_with("}\n"));
    }

    #[test]
    fn lookups_follow_the_rows() {
        assert_eq!(LEASE.targets("Idle", "Connect"), Some(&["Connecting"][..]));
        assert_eq!(LEASE.targets("Idle", "TimedOut"), None);
        assert_eq!(LEASE.accepted("Connecting").collect::<Vec<_>>(), ["TimedOut"]);
        assert!(LEASE.defers("Connecting", "Connect"));
        assert!(LEASE.is_terminal("Closed"));
    }

    const GATE: MachineMeta<'static> = MachineMeta {
        name: "Gate",
        doc: "",
        states: &[StateMeta::unit("Shut"), StateMeta::unit("Open"), StateMeta::unit("Jammed")],
        events: &[EventMeta::unit("Key")],
        rows: &[
            RowMeta { source: "Shut", event: "Key", targets: &["Open"], guard: Some("fits"), via: None },
            RowMeta { source: "Shut", event: "Key", targets: &["Jammed"], guard: Some("stuck"), via: None },
            RowMeta { source: "Shut", event: "Key", targets: &["Shut"], guard: None, via: None },
            RowMeta { source: "Open", event: "Key", targets: &["Shut"], guard: None, via: None },
            RowMeta { source: "Jammed", event: "Key", targets: &["Shut"], guard: None, via: None },
        ],
        timeouts: &[],
        deferrals: &[],
        initial: "Shut",
        terminal: &[],
        superstates: &[],
    };

    #[test]
    fn guarded_rows_are_labelled_with_their_guards_and_the_fallback_with_else() {
        let mermaid = GATE.to_mermaid();
        assert!(mermaid.contains("    Shut --> Open: Key [fits]\n"), "{mermaid}");
        assert!(mermaid.contains("    Shut --> Jammed: Key [stuck]\n"), "{mermaid}");
        assert!(mermaid.contains("    Shut --> Shut: Key [else]\n"), "{mermaid}");
        assert!(mermaid.contains("    Open --> Shut: Key\n"), "{mermaid}");
        assert!(GATE.to_dot().contains("Shut -> Open [label=\"Key [fits]\"];"));
        let svg = GATE.to_svg();
        assert!(svg.contains("Shut → Open: Key [fits]"), "{svg}");
        assert!(svg.contains("Shut: Key [else]"), "the self-loop's legend: {svg}");
    }

    #[test]
    fn lookups_of_a_guarded_pair() {
        let guards: Vec<Option<&str>> = GATE.rows_for("Shut", "Key").map(|r| r.guard).collect();
        assert_eq!(guards, [Some("fits"), Some("stuck"), None]);
        assert_eq!(GATE.targets("Shut", "Key"), Some(&["Shut"][..]), "the fallback's");
        assert_eq!(GATE.accepted("Shut").collect::<Vec<_>>(), ["Key"], "each event once");
        assert!(GATE.is_fallback(&GATE.rows[2]));
        assert!(!GATE.is_fallback(&GATE.rows[3]));
    }
}
