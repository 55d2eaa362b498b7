//! The SVG rendering of a [`MachineMeta`]: a standalone picture (no fonts, scripts
//! or styles from elsewhere) of the layout in [`layout`](crate::layout), meant to be
//! inlined in a page and styled there.
//!
//! What a page can rely on:
//! - each state is a `<g class="state" id="state-<Name>" data-state="<Name>">` holding
//!   its `<rect>` and `<text>` (the initial state also has class `initial`, terminal
//!   ones `terminal`); its `<title>` is the state's doc, data, timeout and deferrals;
//! - each distinct (source, target) pair is one `<g class="edge" id="edge-<S>-<T>"
//!   data-source data-target>` with one `<path>` and its label, the events of every
//!   row between the two joined by `, `;
//! - colours are presentation attributes, so any CSS rule of the page overrides them.
//!
//! Self-loops are not drawn. A row that stays in its state is no move on the
//! diagram; in the container table three states have five such events each, whose
//! loops and labels would crowd the neighbouring states more than any other edge.
//! A state that has them carries a `↻` (its `<title>` lists them), and a legend under
//! the diagram lists them per state, so nothing of the table is left out.

use std::fmt::Write as _;

use crate::layout::{self, text_width, Layout, NodeBox, MARGIN, NODE_HEIGHT};
use crate::{MachineMeta, StateMeta};

const STATE_FONT: f64 = 13.0;
const LABEL_FONT: f64 = 11.0;
const LABEL_HEIGHT: f64 = 14.0;
/// How many of an edge's gaps between layers its label may try.
const LABEL_GAPS: usize = 5;
const LEGEND_LINE: f64 = 16.0;
const LEGEND_INDENT: f64 = 12.0;
const LEGEND_HEAD: &str = "↻ events handled without leaving the state:";
const SUPERSTATES_HEAD: &str = "superstates (the bars under each state, innermost first):";
/// The height of one superstate's bar under a state.
const GROUP_BAR: f64 = 3.0;

/// One line of the legend under the diagram.
struct LegendLine {
    text: String,
    indent: bool,
    /// The colour of a superstate's bar, drawn before the text.
    swatch: Option<&'static str>,
}

/// The colour of the `index`-th superstate's bars.
fn group_colour(index: usize) -> &'static str {
    const PALETTE: [&str; 6] = ["#0969da", "#1a7f37", "#9a6700", "#8250df", "#cf222e", "#bf3989"];
    PALETTE[index % PALETTE.len()]
}
/// Room a state's name gets on either side inside its box.
const NODE_PADDING: f64 = 14.0;
/// Room for the `↻` of a state with self-loops.
const LOOP_MARK: f64 = 14.0;

const INK: &str = "#24292f";
const MUTED: &str = "#57606a";
const LINE: &str = "#8c959f";
const PAPER: &str = "#f6f8fa";

/// `text` with XML's five special characters escaped, for text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with one decimal, `-0.0` written as `0`: the output is compared byte
/// for byte across runs.
struct N(f64);

impl std::fmt::Display for N {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rounded = (self.0 * 10.0).round() / 10.0;
        if rounded == 0.0 {
            f.write_str("0")
        } else if rounded.fract() == 0.0 {
            write!(f, "{rounded:.0}")
        } else {
            write!(f, "{rounded:.1}")
        }
    }
}

/// An axis-aligned box: left, top, right, bottom.
#[derive(Debug, Clone, Copy)]
struct Rect(f64, f64, f64, f64);

impl Rect {
    fn centred(x: f64, y: f64, width: f64, height: f64) -> Rect {
        Rect(x - width / 2.0, y - height / 2.0, x + width / 2.0, y + height / 2.0)
    }

    fn overlap(&self, other: &Rect) -> f64 {
        let w = self.2.min(other.2) - self.0.max(other.0);
        let h = self.3.min(other.3) - self.1.max(other.1);
        if w > 0.0 && h > 0.0 {
            w * h
        } else {
            0.0
        }
    }
}

/// The point at `t` of the curve from `a` to `b` as drawn: a cubic leaving and
/// entering vertically.
fn curve_point(a: (f64, f64), b: (f64, f64), t: f64) -> (f64, f64) {
    let mid = (a.1 + b.1) / 2.0;
    let (c0, c1) = ((a.0, mid), (b.0, mid));
    let u = 1.0 - t;
    let at = |p: f64, q: f64, r: f64, s: f64| {
        u * u * u * p + 3.0 * u * u * t * q + 3.0 * u * t * t * r + t * t * t * s
    };
    (at(a.0, c0.0, c1.0, b.0), at(a.1, c0.1, c1.1, b.1))
}

/// Where each edge's label goes: the first spot along the edge (its gaps between
/// layers, from the middle one outwards; the middle of each first) that covers no state and
/// no label placed before, else the spot that covers least.
fn place_labels(layout: &Layout<'_>, texts: &[String]) -> Vec<(f64, f64)> {
    let mut taken: Vec<Rect> = layout
        .nodes
        .iter()
        .map(|n| Rect(n.left() - 4.0, n.y - 4.0, n.left() + n.width + 4.0, n.y + NODE_HEIGHT + 4.0))
        .collect();
    let mut spots = Vec::with_capacity(texts.len());
    for (edge, text) in layout.edges.iter().zip(texts) {
        let width = text_width(text, LABEL_FONT) + 6.0;
        let mut best: Option<(f64, (f64, f64), Rect)> = None;
        let gaps: Vec<&[(f64, f64)]> = edge.points.chunks_exact(2).collect();
        // The middle gap first, then outwards: a label halfway reads as the edge's.
        let middle = (gaps.len() - 1) / 2;
        let mut order: Vec<usize> = (0..gaps.len()).collect();
        order.sort_by_key(|&g| (g.abs_diff(middle), g));
        // A few gaps suffice; trying every gap of a long edge against every label
        // placed would make big tables slow for no better picture.
        'gaps: for gap in order.into_iter().take(LABEL_GAPS).map(|g| gaps[g]) {
            for t in [0.5, 0.35, 0.65, 0.2, 0.8] {
                let (x, y) = curve_point(gap[0], gap[1], t);
                let rect = Rect::centred(x, y, width, LABEL_HEIGHT);
                let covered: f64 = taken.iter().map(|r| r.overlap(&rect)).sum();
                if best.as_ref().is_none_or(|b| covered < b.0) {
                    best = Some((covered, (x, y), rect));
                }
                if covered == 0.0 {
                    break 'gaps;
                }
            }
        }
        let (_, spot, rect) = best.expect("an edge has at least one gap");
        taken.push(rect);
        spots.push(spot);
    }
    spots
}

impl MachineMeta<'_> {
    /// The machine as a standalone SVG document: states as rounded boxes in layers
    /// from the initial state down (laid out from the table alone, the same picture
    /// for the same table), edges with arrowheads labelled with their events. See the
    /// module docs for the ids and classes a page can style.
    ///
    /// ```
    /// use proxy_meta::{MachineMeta, RowMeta, StateMeta, EventMeta};
    ///
    /// const DOOR: MachineMeta<'static> = MachineMeta {
    ///     name: "Door",
    ///     doc: "",
    ///     states: &[StateMeta::unit("Open"), StateMeta::unit("Shut")],
    ///     events: &[EventMeta::unit("Push")],
    ///     rows: &[
    ///         RowMeta { source: "Open", event: "Push", targets: &["Shut"], guard: None, via: None },
    ///         RowMeta { source: "Shut", event: "Push", targets: &["Open"], guard: None, via: None },
    ///     ],
    ///     timeouts: &[],
    ///     deferrals: &[],
    ///     initial: "Open",
    ///     terminal: &[],
    ///     superstates: &[],
    /// };
    /// let svg = DOOR.to_svg();
    /// assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    /// assert!(svg.contains("id=\"state-Shut\""));
    /// assert!(svg.contains("id=\"edge-Shut-Open\""));
    /// ```
    pub fn to_svg(&self) -> String {
        let layout = layout::layout(self, |name, loops| {
            text_width(name, STATE_FONT) + 2.0 * NODE_PADDING + if loops { LOOP_MARK } else { 0.0 }
        });
        let texts: Vec<String> = layout
            .edges
            .iter()
            .map(|e| self.guarded_events(layout.nodes[e.source].name, layout.nodes[e.target].name, &e.events))
            .collect();
        let spots = place_labels(&layout, &texts);
        let mut legend: Vec<LegendLine> = Vec::new();
        if !self.superstates.is_empty() {
            legend.push(LegendLine { text: SUPERSTATES_HEAD.to_owned(), indent: false, swatch: None });
            for (i, superstate) in self.superstates.iter().enumerate() {
                let mut members: Vec<&str> = superstate.states.to_vec();
                members.extend(
                    self.superstates.iter().filter(|s| s.parent == Some(superstate.name)).map(|s| s.name),
                );
                let actions = superstate.actions().map(|a| format!(" ({a} action)")).unwrap_or_default();
                legend.push(LegendLine {
                    text: format!("{}: {}{actions}", superstate.name, members.join(", ")),
                    indent: true,
                    swatch: Some(group_colour(i)),
                });
            }
        }
        let loop_lines: Vec<LegendLine> = layout
            .nodes
            .iter()
            .zip(&layout.loops)
            .filter(|(_, events)| !events.is_empty())
            .map(|(node, events)| LegendLine {
                text: format!("{}: {}", node.name, self.guarded_events(node.name, node.name, events)),
                indent: true,
                swatch: None,
            })
            .collect();
        if !loop_lines.is_empty() {
            legend.push(LegendLine { text: LEGEND_HEAD.to_owned(), indent: false, swatch: None });
            legend.extend(loop_lines);
        }
        let legend_top = layout.bottom + 24.0;
        let height = if legend.is_empty() {
            layout.bottom + MARGIN
        } else {
            legend_top + LEGEND_LINE * legend.len() as f64 + MARGIN
        };
        let legend_width = legend
            .iter()
            .map(|l| text_width(&l.text, LABEL_FONT) + if l.indent { LEGEND_INDENT } else { 0.0 })
            .fold(0.0, f64::max)
            + 2.0 * MARGIN;
        let label_right = spots
            .iter()
            .zip(&texts)
            .map(|(s, t)| s.0 + text_width(t, LABEL_FONT) / 2.0 + MARGIN)
            .fold(0.0, f64::max);
        let width = layout.width.max(legend_width).max(label_right);

        // `write!` into a `String` cannot fail.
        let mut out = String::new();
        let name = escape(self.name);
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
             class=\"machine\" data-machine=\"{name}\" role=\"img\" \
             font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\">",
            w = N(width.ceil()),
            h = N(height.ceil()),
        );
        let _ = writeln!(out, "<title>{name}</title>");
        let _ = writeln!(
            out,
            "<defs><marker id=\"arrow-{name}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"9\" \
             markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M0,1 L10,5 L0,9 z\" fill=\"{LINE}\"/></marker></defs>"
        );
        self.write_edges(&mut out, &layout, &texts, &spots);
        self.write_initial_marker(&mut out, &layout.nodes[layout.initial]);
        let _ = writeln!(out, "<g class=\"states\">");
        for (node, loops) in layout.nodes.iter().zip(&layout.loops) {
            self.write_state(&mut out, node, loops, node.name == layout.nodes[layout.initial].name);
        }
        let _ = writeln!(out, "</g>");
        if !legend.is_empty() {
            let _ = writeln!(out, "<g class=\"legend\" font-size=\"{}\" fill=\"{MUTED}\">", N(LABEL_FONT));
            for (i, line) in legend.iter().enumerate() {
                let y = legend_top + LEGEND_LINE * i as f64;
                let x = MARGIN + if line.indent { LEGEND_INDENT } else { 0.0 };
                if let Some(colour) = line.swatch {
                    let _ = writeln!(
                        out,
                        "<rect x=\"{}\" y=\"{}\" width=\"8\" height=\"{}\" fill=\"{colour}\"/>",
                        N(x - 11.0),
                        N(y - 7.0),
                        N(GROUP_BAR + 4.0)
                    );
                }
                let _ = writeln!(out, "<text x=\"{}\" y=\"{}\">{}</text>", N(x), N(y), escape(&line.text));
            }
            let _ = writeln!(out, "</g>");
        }
        out.push_str("</svg>\n");
        out
    }

    fn write_edges(&self, out: &mut String, layout: &Layout<'_>, texts: &[String], spots: &[(f64, f64)]) {
        let name = escape(self.name);
        let _ = writeln!(out, "<g class=\"edges\">");
        for ((edge, text), spot) in layout.edges.iter().zip(texts).zip(spots) {
            let (source, target) =
                (escape(layout.nodes[edge.source].name), escape(layout.nodes[edge.target].name));
            let mut d = String::new();
            let first = edge.points[0];
            let _ = write!(d, "M{},{}", N(first.0), N(first.1));
            for pair in edge.points.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let mid = (a.1 + b.1) / 2.0;
                let _ = write!(d, " C{},{} {},{} {},{}", N(a.0), N(mid), N(b.0), N(mid), N(b.0), N(b.1));
            }
            let title =
                self.edge_title(layout.nodes[edge.source].name, layout.nodes[edge.target].name, &edge.events);
            let _ = writeln!(
                out,
                "<g class=\"edge\" id=\"edge-{source}-{target}\" data-source=\"{source}\" data-target=\"{target}\">\
                 <title>{}</title>\
                 <path d=\"{d}\" fill=\"none\" stroke=\"{LINE}\" stroke-width=\"1.3\" marker-end=\"url(#arrow-{name})\"/>\
                 <text class=\"edge-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" dominant-baseline=\"central\" \
                 font-size=\"{}\" fill=\"{MUTED}\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" \
                 paint-order=\"stroke\">{}</text></g>",
                escape(&title),
                N(spot.0),
                N(spot.1),
                N(LABEL_FONT),
                escape(text),
            );
        }
        let _ = writeln!(out, "</g>");
    }

    /// The rows from `source` to `target` for `event` in guard notation, joined:
    /// `Run [fits]`, `Run [else]`, or `Run` when the pair has no guards.
    fn event_with_guards(&self, source: &str, target: &str, event: &str) -> Vec<String> {
        let mut labels: Vec<String> = Vec::new();
        for row in self.rows_for(source, event).filter(|r| r.targets.contains(&target)) {
            let label = match row.guard {
                Some(guard) => format!("{event} [{guard}]"),
                None if self.is_fallback(row) => format!("{event} [else]"),
                None => event.to_owned(),
            };
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        if labels.is_empty() {
            labels.push(event.to_owned());
        }
        labels
    }

    /// The label of an edge or self-loop: its events, each with its guards.
    fn guarded_events(&self, source: &str, target: &str, events: &[&str]) -> String {
        let labels: Vec<String> =
            events.iter().flat_map(|event| self.event_with_guards(source, target, event)).collect();
        labels.join(", ")
    }

    /// `Source → Target: Event, ..`, each timeout event with its duration, each
    /// guarded row with its guard.
    fn edge_title(&self, source: &str, target: &str, events: &[&str]) -> String {
        let events: Vec<String> = events
            .iter()
            .flat_map(|event| {
                let after = match self.timeout(source) {
                    Some(timeout) if timeout.event == *event => format!(" (after {})", timeout.after),
                    _ => String::new(),
                };
                self.event_with_guards(source, target, event)
                    .into_iter()
                    .map(move |label| format!("{label}{after}"))
            })
            .collect();
        format!("{source} → {target}: {}", events.join(", "))
    }

    fn write_initial_marker(&self, out: &mut String, initial: &NodeBox<'_>) {
        let (x, top) = (initial.x, initial.y);
        let _ = writeln!(
            out,
            "<g class=\"initial-marker\"><circle cx=\"{}\" cy=\"{}\" r=\"6\" fill=\"{INK}\"/>\
             <path d=\"M{},{} L{},{}\" stroke=\"{LINE}\" stroke-width=\"1.3\" marker-end=\"url(#arrow-{})\"/></g>",
            N(x),
            N(top - 28.0),
            N(x),
            N(top - 22.0),
            N(x),
            N(top),
            escape(self.name),
        );
    }

    fn write_state(&self, out: &mut String, node: &NodeBox<'_>, loops: &[&str], initial: bool) {
        let name = escape(node.name);
        let terminal = self.is_terminal(node.name);
        let mut class = String::from("state");
        let actions = self.states.iter().find(|s| s.name == node.name);
        for (flag, name) in [
            (initial, " initial"),
            (terminal, " terminal"),
            (actions.is_some_and(|s| s.entry), " entry"),
            (actions.is_some_and(|s| s.exit), " exit"),
        ] {
            if flag {
                class.push_str(name);
            }
        }
        let groups: Vec<&str> = self.superstates_of(node.name).collect();
        for group in &groups {
            class.push_str(" in-");
            class.push_str(&escape(group));
        }
        let data_groups = if groups.is_empty() {
            String::new()
        } else {
            format!(" data-superstates=\"{}\"", escape(&groups.join(" ")))
        };
        let (left, top, w) = (node.left(), node.y, node.width);
        let _ = write!(
            out,
            "<g class=\"{class}\" id=\"state-{name}\" data-state=\"{name}\"{data_groups}><title>{}</title>\
             <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"{PAPER}\" stroke=\"{MUTED}\" stroke-width=\"1.5\"/>",
            escape(&self.state_title(node.name, loops)),
            N(left),
            N(top),
            N(w),
            N(NODE_HEIGHT),
        );
        if terminal {
            let _ = write!(
                out,
                "<rect class=\"inner\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"none\" stroke=\"{MUTED}\"/>",
                N(left + 3.0),
                N(top + 3.0),
                N(w - 6.0),
                N(NODE_HEIGHT - 6.0),
            );
        }
        // One bar per superstate along the box's bottom edge, innermost lowest.
        for (level, group) in groups.iter().enumerate() {
            let index = self.superstates.iter().position(|s| s.name == *group).unwrap_or(0);
            let _ = write!(
                out,
                "<rect class=\"superstate-bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>",
                N(left + 6.0),
                N(top + NODE_HEIGHT - 4.0 - (level as f64 + 1.0) * (GROUP_BAR + 1.0)),
                N(w - 12.0),
                N(GROUP_BAR),
                group_colour(index),
                escape(group),
            );
        }
        let text_x = if loops.is_empty() { node.x } else { node.x - LOOP_MARK / 2.0 };
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" dominant-baseline=\"central\" font-size=\"{}\" \
             font-weight=\"600\" fill=\"{INK}\">{name}</text>",
            N(text_x),
            N(top + NODE_HEIGHT / 2.0),
            N(STATE_FONT),
        );
        if !loops.is_empty() {
            let _ = write!(
                out,
                "<text class=\"loops\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" dominant-baseline=\"central\" \
                 font-size=\"12\" fill=\"{MUTED}\">↻</text>",
                N(left + w - NODE_PADDING),
                N(top + NODE_HEIGHT / 2.0),
            );
        }
        out.push_str("</g>\n");
    }

    /// The state's doc, data, timeout, deferrals and self-loops, one per line.
    fn state_title(&self, name: &str, loops: &[&str]) -> String {
        let state = self.states.iter().find(|s| s.name == name);
        let mut lines = vec![match state.and_then(|s| s.data) {
            Some(data) => format!("{name}({data})"),
            None => name.to_owned(),
        }];
        if let Some(doc) = state.map(|s| s.doc).filter(|d| !d.is_empty()) {
            lines.push(doc.to_owned());
        }
        if let Some(actions) = state.and_then(StateMeta::actions) {
            lines.push(format!("{actions} action"));
        }
        let groups: Vec<&str> = self.superstates_of(name).collect();
        if !groups.is_empty() {
            lines.push(format!("in {}", groups.join(" in ")));
        }
        if let Some(timeout) = self.timeout(name) {
            lines.push(format!("after {} => {}", timeout.after, timeout.event));
        }
        if let Some(deferral) = self.deferrals.iter().find(|d| d.state == name) {
            lines.push(format!("defers {}", deferral.events.join(", ")));
        }
        if !loops.is_empty() {
            lines.push(format!("stays on {}", loops.join(", ")));
        }
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use crate::layout::{layout, NODE_HEIGHT};
    use crate::{DeferralMeta, EventMeta, MachineMeta, RowMeta, StateMeta, TimeoutMeta};

    /// A cycle (Busy -> Idle -> Busy), a row with three targets, a self-loop, parallel
    /// rows between one pair, a timeout, a deferral and a terminal state.
    const JOB: MachineMeta<'static> = MachineMeta {
        name: "Job",
        doc: "",
        states: &[
            StateMeta { name: "Idle", data: None, doc: "Waiting for work.", entry: true, exit: false },
            StateMeta { name: "Busy", data: Some("Task"), doc: "", entry: false, exit: true },
            StateMeta::unit("Paused"),
            StateMeta::unit("Done"),
        ],
        events: &[EventMeta::unit("Go"), EventMeta::unit("Tick"), EventMeta::unit("Stop")],
        rows: &[
            RowMeta { source: "Idle", event: "Go", targets: &["Busy"], guard: None, via: None },
            RowMeta { source: "Idle", event: "Stop", targets: &["Done"], guard: None, via: None },
            RowMeta {
                source: "Busy",
                event: "Tick",
                targets: &["Busy", "Idle", "Paused"],
                guard: None,
                via: None,
            },
            RowMeta { source: "Busy", event: "Stop", targets: &["Done"], guard: None, via: None },
            RowMeta { source: "Paused", event: "Go", targets: &["Busy"], guard: None, via: None },
            RowMeta { source: "Paused", event: "Stop", targets: &["Done"], guard: None, via: None },
            RowMeta { source: "Paused", event: "Tick", targets: &["Done"], guard: None, via: None },
        ],
        timeouts: &[TimeoutMeta { state: "Paused", after: "cx.ttl", event: "Tick" }],
        deferrals: &[DeferralMeta { state: "Busy", events: &["Go"] }],
        initial: "Idle",
        terminal: &["Done"],
        superstates: &[],
    };

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{svg}"))
    }

    fn with_id<'a>(doc: &'a roxmltree::Document<'a>, id: &str) -> Vec<roxmltree::Node<'a, 'a>> {
        doc.descendants().filter(|n| n.attribute("id") == Some(id)).collect()
    }

    #[test]
    fn every_state_and_every_distinct_edge_appears_once() {
        let svg = JOB.to_svg();
        let doc = parse(&svg);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.tag_name().namespace(), Some("http://www.w3.org/2000/svg"));
        for state in JOB.states {
            let found = with_id(&doc, &format!("state-{}", state.name));
            assert_eq!(found.len(), 1, "state {}", state.name);
            assert_eq!(found[0].attribute("data-state"), Some(state.name));
            assert!(
                found[0].descendants().any(|n| n.text() == Some(state.name)),
                "{} is written",
                state.name
            );
        }
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for row in JOB.rows {
            for target in row.targets.iter().filter(|t| **t != row.source) {
                if !pairs.contains(&(row.source, target)) {
                    pairs.push((row.source, target));
                }
            }
        }
        assert_eq!(pairs.len(), 7);
        for (source, target) in &pairs {
            let found = with_id(&doc, &format!("edge-{source}-{target}"));
            assert_eq!(found.len(), 1, "edge {source} -> {target}");
            assert!(found[0].descendants().any(|n| n.tag_name().name() == "path"));
        }
        let edges = doc.descendants().filter(|n| n.attribute("class") == Some("edge")).count();
        assert_eq!(edges, pairs.len(), "no edge beyond the distinct pairs (self-loops are not drawn)");
    }

    #[test]
    fn parallel_rows_share_one_label_and_self_loops_go_to_the_legend() {
        let svg = JOB.to_svg();
        let doc = parse(&svg);
        let label = |id: &str| {
            let edge = with_id(&doc, id).pop().expect(id);
            edge.descendants().find(|n| n.attribute("class") == Some("edge-label")).and_then(|n| n.text())
        };
        assert_eq!(label("edge-Paused-Done"), Some("Stop, Tick"));
        assert_eq!(label("edge-Busy-Idle"), Some("Tick"));
        let title = with_id(&doc, "edge-Paused-Done")[0].first_element_child().and_then(|t| t.text());
        assert_eq!(title, Some("Paused → Done: Stop, Tick (after cx.ttl)"));
        let legend: Vec<&str> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("legend"))
            .flat_map(|g| g.children().filter(|t| t.is_element()).filter_map(|t| t.text()))
            .collect();
        assert_eq!(legend, ["↻ events handled without leaving the state:", "Busy: Tick"]);
        let busy = with_id(&doc, "state-Busy")[0];
        assert!(busy.descendants().any(|n| n.attribute("class") == Some("loops")));
        let busy_title = busy.first_element_child().and_then(|t| t.text()).unwrap();
        assert_eq!(busy_title, "Busy(Task)\nexit action\ndefers Go\nstays on Tick");
        assert_eq!(busy.attribute("class"), Some("state exit"));
        assert_eq!(with_id(&doc, "state-Idle")[0].attribute("class"), Some("state initial entry"));
        assert!(with_id(&doc, "state-Done")[0].attribute("class").unwrap().contains("terminal"));
    }

    #[test]
    fn names_are_escaped() {
        const ODD: MachineMeta<'static> = MachineMeta {
            name: "A&B",
            doc: "",
            states: &[
                StateMeta {
                    name: "<Start>",
                    data: None,
                    doc: "say \"hi\" & 'bye'",
                    entry: false,
                    exit: false,
                },
                StateMeta::unit("End&"),
            ],
            events: &[EventMeta::unit("go<")],
            rows: &[RowMeta { source: "<Start>", event: "go<", targets: &["End&"], guard: None, via: None }],
            timeouts: &[],
            deferrals: &[],
            initial: "<Start>",
            terminal: &["End&"],
            superstates: &[],
        };
        let svg = ODD.to_svg();
        let doc = parse(&svg);
        assert_eq!(doc.root_element().attribute("data-machine"), Some("A&B"));
        assert_eq!(with_id(&doc, "state-<Start>").len(), 1);
        assert_eq!(with_id(&doc, "edge-<Start>-End&").len(), 1);
        let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
        assert!(texts.contains(&"go<"), "{texts:?}");
        assert!(texts.iter().any(|t| t.contains("say \"hi\" & 'bye'")), "{texts:?}");
        assert!(!svg.contains("<Start>") && !svg.contains("End&\""), "raw names in {svg}");
    }

    #[test]
    fn the_same_table_gives_the_same_bytes() {
        let first = JOB.to_svg();
        // A copy at another address, so nothing may depend on where the table lives.
        let rows = JOB.rows.to_vec();
        let states = JOB.states.to_vec();
        let copy = MachineMeta { rows: &rows, states: &states, ..JOB };
        for _ in 0..3 {
            assert_eq!(copy.to_svg(), first);
        }
    }

    #[test]
    fn a_big_tangled_table_still_gives_every_state_and_edge() {
        // 60 states, 300 rows between states picked by a fixed LCG: long edges,
        // cycles, parallel rows; the kind of table that makes naive layouts slow.
        let names: Vec<String> = (0..60).map(|i| format!("S{i}")).collect();
        let events: Vec<String> = (0..20).map(|i| format!("E{i}")).collect();
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let picks: Vec<(usize, usize, usize)> = (0..300).map(|_| (next(60), next(20), next(60))).collect();
        let targets: Vec<[&str; 1]> = picks.iter().map(|&(_, _, t)| [names[t].as_str()]).collect();
        let rows: Vec<RowMeta<'_>> = picks
            .iter()
            .zip(&targets)
            .map(|(&(s, e, _), t)| RowMeta {
                source: &names[s],
                event: &events[e],
                targets: t,
                guard: None,
                via: None,
            })
            .collect();
        let states: Vec<StateMeta<'_>> = names.iter().map(|n| StateMeta::unit(n)).collect();
        let big =
            MachineMeta { name: "Big", states: &states, rows: &rows, initial: "S0", terminal: &[], ..JOB };
        let svg = big.to_svg();
        let doc = parse(&svg);
        for name in &names {
            assert_eq!(with_id(&doc, &format!("state-{name}")).len(), 1, "{name}");
        }
        for row in &rows {
            if row.source != row.targets[0] {
                let id = format!("edge-{}-{}", row.source, row.targets[0]);
                assert_eq!(with_id(&doc, &id).len(), 1, "{id}");
            }
        }
        assert_eq!(big.to_svg(), svg);
    }

    #[test]
    fn the_layout_flows_down_without_overlapping_states() {
        let laid = layout(&JOB, |name, _| name.len() as f64 * 8.0 + 20.0);
        let top = |name: &str| laid.nodes.iter().find(|n| n.name == name).unwrap().y;
        assert!(top("Idle") < top("Busy") && top("Busy") < top("Paused") && top("Paused") < top("Done"));
        for (i, a) in laid.nodes.iter().enumerate() {
            for b in &laid.nodes[i + 1..] {
                let apart = a.y != b.y || a.left() + a.width <= b.left() || b.left() + b.width <= a.left();
                assert!(apart, "{} and {} overlap", a.name, b.name);
            }
        }
        for edge in &laid.edges {
            let (source, target) = (&laid.nodes[edge.source], &laid.nodes[edge.target]);
            let (start, end) = (edge.points[0], edge.points[edge.points.len() - 1]);
            // Each end sits on its state's bottom or top side, inside the box.
            let on = |n: &super::NodeBox<'_>, p: (f64, f64)| {
                (p.1 == n.y || p.1 == n.y + NODE_HEIGHT) && p.0 >= n.left() && p.0 <= n.left() + n.width
            };
            assert!(
                on(source, start) && on(target, end),
                "{} -> {}: {:?}",
                source.name,
                target.name,
                edge.points
            );
        }
        // The cycle's closing edge (Busy -> Idle) runs upwards; everything else down.
        let upwards: Vec<(&str, &str)> = laid
            .edges
            .iter()
            .filter(|e| e.points[0].1 > e.points[e.points.len() - 1].1)
            .map(|e| (laid.nodes[e.source].name, laid.nodes[e.target].name))
            .collect();
        assert_eq!(upwards, [("Busy", "Idle"), ("Paused", "Busy")]);
    }
}
