//! A layered layout of a machine's states, for [`MachineMeta::to_svg`]: Sugiyama's
//! method, kept small.
//!
//! 1. Cycles are broken by a depth-first walk from the initial state (then from any
//!    state not reached, in declaration order): an edge back to a state on the walk's
//!    stack is laid out reversed, so the diagram flows from the initial state down.
//! 2. Layers: each state one below its lowest predecessor (longest path), terminal
//!    states on the last layer, where a reader looks for the end.
//! 3. An edge spanning several layers gets a waypoint on each layer between, so that
//!    it bends around the states in its way instead of crossing them.
//! 4. Order within a layer: barycenter sweeps, keeping the order with the fewest
//!    crossings.
//! 5. Horizontal positions: each item moves towards the mean of its neighbours
//!    above or below, as close as the order and the spacing allow (isotonic
//!    regression, pool-adjacent-violators).
//!
//! Every step iterates over vectors in table order and breaks ties by index, so one
//! table always gives the same picture: no hashing, no randomness.
//!
//! [`MachineMeta::to_svg`]: crate::MachineMeta::to_svg

use crate::MachineMeta;

/// The height of a state's box.
pub(crate) const NODE_HEIGHT: f64 = 32.0;
/// The vertical room between two layers, where edges bend and labels sit.
const LAYER_GAP: f64 = 62.0;
/// The least room between two states of a layer.
const NODE_GAP: f64 = 34.0;
/// The least room beside a waypoint.
const WAYPOINT_GAP: f64 = 22.0;
/// Room left around the drawing.
pub(crate) const MARGIN: f64 = 16.0;
/// Room above the first layer for the initial state's marker.
pub(crate) const TOP: f64 = 44.0;
/// The widest spacing of the ends of several edges on one side of a state.
const PORT_STEP: f64 = 12.0;
/// How many barycenter sweeps the ordering tries.
const ORDER_SWEEPS: usize = 16;
/// The most rounds of neighbour swaps after the sweeps.
const TRANSPOSE_ROUNDS: usize = 24;
/// How many rounds the horizontal placement runs.
const PLACE_ROUNDS: usize = 12;

/// Estimated width of `text` in a sans-serif font of `size` px: no font is loaded
/// (the SVG must stand alone), so an average glyph width stands in for metrics.
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.6
}

/// A state's box: `x` is its centre, `y` its top.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeBox<'a> {
    pub(crate) name: &'a str,
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) width: f64,
}

impl NodeBox<'_> {
    pub(crate) fn left(&self) -> f64 {
        self.x - self.width / 2.0
    }
}

/// One edge per distinct (source, target) pair, its events merged.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Edge<'a> {
    pub(crate) source: usize,
    pub(crate) target: usize,
    pub(crate) events: Vec<&'a str>,
    /// From the source's side to the target's side, through the waypoints.
    pub(crate) points: Vec<(f64, f64)>,
}

/// The laid-out machine.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout<'a> {
    /// Every state, in declaration order (then any state only the rows name).
    pub(crate) nodes: Vec<NodeBox<'a>>,
    /// Edges between different states, in row order.
    pub(crate) edges: Vec<Edge<'a>>,
    /// The events each state handles without leaving it, by node index.
    pub(crate) loops: Vec<Vec<&'a str>>,
    /// The index of the initial state.
    pub(crate) initial: usize,
    /// The bottom of the last layer.
    pub(crate) bottom: f64,
    /// The right end of the widest layer (plus the margin).
    pub(crate) width: f64,
}

/// One slot of a layer: a state, or the waypoint of an edge crossing the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Node(usize),
    Waypoint,
}

/// The layered graph: items, their layers, and the segments between adjacent layers.
struct Graph {
    items: Vec<Item>,
    widths: Vec<f64>,
    layer_of: Vec<usize>,
    layers: Vec<Vec<usize>>,
    /// Per item: the items it is joined to on the layer above, and below (an item
    /// joined twice to one neighbour lists it twice).
    above: Vec<Vec<usize>>,
    below: Vec<Vec<usize>>,
    /// Per edge: its items from the upper end to the lower end.
    chains: Vec<Vec<usize>>,
    /// Per edge: whether it runs upwards (laid out reversed).
    reversed: Vec<bool>,
}

/// Lays out `meta`; `node_width` gives the width of each state's box.
pub(crate) fn layout<'a>(meta: &MachineMeta<'a>, node_width: impl Fn(&str, bool) -> f64) -> Layout<'a> {
    let names = state_names(meta);
    let index = |name: &str| names.iter().position(|n| *n == name);
    let (edges, loops) = collect_edges(meta, &names);
    let initial = index(meta.initial).unwrap_or(0);
    let reversed = back_edges(names.len(), initial, &edges);
    let layer = layers(meta, &names, &edges, &reversed);
    let widths: Vec<f64> = names.iter().zip(&loops).map(|(n, l)| node_width(n, !l.is_empty())).collect();
    let mut graph = Graph::new(&layer, &widths, &edges, reversed);
    graph.order();
    let x = graph.place();
    let y_of = |layer: usize| TOP + layer as f64 * (NODE_HEIGHT + LAYER_GAP);

    let nodes: Vec<NodeBox<'a>> = names
        .iter()
        .enumerate()
        .map(|(i, name)| NodeBox { name, x: x[i], y: y_of(layer[i]), width: widths[i] })
        .collect();
    let ports = graph.ports(&x);
    let edges = edges
        .into_iter()
        .enumerate()
        .map(|(e, (source, target, events))| {
            let chain = &graph.chains[e];
            let mut points = Vec::with_capacity(chain.len() * 2);
            for (k, &item) in chain.iter().enumerate() {
                let top = y_of(graph.layer_of[item]);
                match graph.items[item] {
                    Item::Node(_) if k == 0 => points.push((ports[&(e, item)], top + NODE_HEIGHT)),
                    Item::Node(_) => points.push((ports[&(e, item)], top)),
                    // Straight down through the layer's band, bending only in the gaps.
                    Item::Waypoint => points.extend([(x[item], top), (x[item], top + NODE_HEIGHT)]),
                }
            }
            if graph.reversed[e] {
                points.reverse();
            }
            Edge { source, target, events, points }
        })
        .collect();
    let last = layer.iter().copied().max().unwrap_or(0);
    let right = x.iter().zip(&graph.widths).map(|(x, w)| x + w / 2.0).fold(0.0, f64::max);
    Layout { nodes, edges, loops, initial, bottom: y_of(last) + NODE_HEIGHT, width: right + MARGIN }
}

/// The states, in declaration order, then any name only a row or `initial` uses (a
/// table the macro checked has none; a hand-written one may).
fn state_names<'a>(meta: &MachineMeta<'a>) -> Vec<&'a str> {
    let mut names: Vec<&'a str> = meta.states.iter().map(|s| s.name).collect();
    let mentioned = std::iter::once(meta.initial).chain(
        meta.rows.iter().flat_map(|row| std::iter::once(row.source).chain(row.targets.iter().copied())),
    );
    for name in mentioned {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

type EdgeList<'a> = Vec<(usize, usize, Vec<&'a str>)>;

/// The distinct (source, target) pairs of the rows with their events, and each
/// state's self-loops.
fn collect_edges<'a>(meta: &MachineMeta<'a>, names: &[&'a str]) -> (EdgeList<'a>, Vec<Vec<&'a str>>) {
    let index = |name: &str| names.iter().position(|n| *n == name).expect("named by state_names");
    let mut edges: EdgeList<'a> = Vec::new();
    let mut loops: Vec<Vec<&'a str>> = vec![Vec::new(); names.len()];
    let add = |events: &mut Vec<&'a str>, event: &'a str| {
        if !events.contains(&event) {
            events.push(event);
        }
    };
    for row in meta.rows {
        let source = index(row.source);
        for target in row.targets.iter().map(|t| index(t)) {
            if source == target {
                add(&mut loops[source], row.event);
            } else if let Some(edge) = edges.iter_mut().find(|(s, t, _)| (*s, *t) == (source, target)) {
                add(&mut edge.2, row.event);
            } else {
                edges.push((source, target, vec![row.event]));
            }
        }
    }
    (edges, loops)
}

/// Which edges close a cycle: those reaching a state on the stack of a depth-first
/// walk from `initial` (then from each state not reached yet, in order).
fn back_edges(count: usize, initial: usize, edges: &EdgeList<'_>) -> Vec<bool> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    fn visit(node: usize, edges: &EdgeList<'_>, marks: &mut [Mark], back: &mut [bool]) {
        marks[node] = Mark::OnStack;
        for (e, (source, target, _)) in edges.iter().enumerate() {
            if *source != node {
                continue;
            }
            match marks[*target] {
                Mark::New => visit(*target, edges, marks, back),
                Mark::OnStack => back[e] = true,
                Mark::Done => {}
            }
        }
        marks[node] = Mark::Done;
    }
    let mut marks = vec![Mark::New; count];
    let mut back = vec![false; edges.len()];
    for start in std::iter::once(initial).chain(0..count) {
        if marks[start] == Mark::New {
            visit(start, edges, &mut marks, &mut back);
        }
    }
    back
}

/// Each state's layer: one below its lowest predecessor along the acyclic
/// orientation; terminal states on the last layer.
fn layers(meta: &MachineMeta<'_>, names: &[&str], edges: &EdgeList<'_>, reversed: &[bool]) -> Vec<usize> {
    let oriented: Vec<(usize, usize)> =
        edges.iter().zip(reversed).map(|((s, t, _), &r)| if r { (*t, *s) } else { (*s, *t) }).collect();
    let mut layer = vec![0usize; names.len()];
    // The orientation is acyclic, so relaxing every edge `count` times settles the
    // longest paths (Bellman-Ford on a DAG; tables are small).
    for _ in 0..names.len() {
        let mut changed = false;
        for &(s, t) in &oriented {
            if layer[t] < layer[s] + 1 {
                layer[t] = layer[s] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let last = layer.iter().copied().max().unwrap_or(0);
    for (i, name) in names.iter().enumerate() {
        let sink = !oriented.iter().any(|&(s, _)| s == i);
        if meta.is_terminal(name) && sink {
            layer[i] = last;
        }
    }
    layer
}

impl Graph {
    fn new(layer: &[usize], widths: &[f64], edges: &EdgeList<'_>, reversed: Vec<bool>) -> Graph {
        let mut items: Vec<Item> = (0..layer.len()).map(Item::Node).collect();
        let mut item_widths = widths.to_vec();
        let mut layer_of = layer.to_vec();
        let mut segments: Vec<(usize, usize)> = Vec::new();
        let mut chains = Vec::new();
        for ((s, t, _), &r) in edges.iter().zip(&reversed) {
            let (upper, lower) = if r { (*t, *s) } else { (*s, *t) };
            let mut chain = vec![upper];
            for l in layer[upper] + 1..layer[lower] {
                items.push(Item::Waypoint);
                item_widths.push(0.0);
                layer_of.push(l);
                chain.push(items.len() - 1);
            }
            chain.push(lower);
            segments.extend(chain.windows(2).map(|w| (w[0], w[1])));
            chains.push(chain);
        }
        let count = layer_of.iter().copied().max().map_or(0, |m| m + 1);
        let mut layers = vec![Vec::new(); count];
        for (item, &l) in layer_of.iter().enumerate() {
            layers[l].push(item);
        }
        let mut above = vec![Vec::new(); items.len()];
        let mut below = vec![Vec::new(); items.len()];
        for (upper, lower) in segments {
            below[upper].push(lower);
            above[lower].push(upper);
        }
        Graph { items, widths: item_widths, layer_of, layers, above, below, chains, reversed }
    }

    /// Items adjacent to `item` on the layer above (`up`) or below.
    fn neighbours(&self, item: usize, up: bool) -> impl Iterator<Item = usize> + '_ {
        if up { &self.above[item] } else { &self.below[item] }.iter().copied()
    }

    fn positions(&self) -> Vec<usize> {
        let mut pos = vec![0; self.items.len()];
        for layer in &self.layers {
            for (i, &item) in layer.iter().enumerate() {
                pos[item] = i;
            }
        }
        pos
    }

    /// How many pairs of segments cross, over all pairs of adjacent layers.
    fn crossings(&self) -> usize {
        let positions = self.positions();
        let pos = &positions;
        let mut count = 0;
        for (l, layer) in self.layers.iter().enumerate().take(self.layers.len().saturating_sub(1)) {
            let mut ends: Vec<(usize, usize)> =
                layer.iter().flat_map(|&a| self.below[a].iter().map(move |&b| (pos[a], pos[b]))).collect();
            // Sorted by upper end, then lower: a pair crosses when a later segment
            // ends strictly left of an earlier one (Fenwick-tree inversion count).
            ends.sort_unstable();
            let width = self.layers[l + 1].len();
            let mut tree = vec![0usize; width + 1];
            for (seen, &(_, lower)) in ends.iter().enumerate() {
                let mut at_or_left = 0;
                let mut i = lower + 1;
                while i > 0 {
                    at_or_left += tree[i];
                    i -= i & i.wrapping_neg();
                }
                count += seen - at_or_left;
                let mut i = lower + 1;
                while i <= width {
                    tree[i] += 1;
                    i += i & i.wrapping_neg();
                }
            }
        }
        count
    }

    /// The crossings between the segments of `u` and those of `v` when `u` stands
    /// left of `v` in their layer: swapping two neighbours changes only these.
    fn pair_crossings(&self, u: usize, v: usize, pos: &[usize]) -> usize {
        let side = |a: &[usize], b: &[usize]| {
            a.iter().map(|&p| b.iter().filter(|&&q| pos[q] < pos[p]).count()).sum::<usize>()
        };
        side(&self.above[u], &self.above[v]) + side(&self.below[u], &self.below[v])
    }

    /// Reorders each layer by the barycenters of its neighbours, sweeping down and
    /// up, and keeps the best order seen.
    fn order(&mut self) {
        let mut best = (self.crossings(), self.layers.clone());
        for sweep in 0..ORDER_SWEEPS {
            let up = sweep % 2 == 0;
            let layer_ids: Vec<usize> = if up {
                (1..self.layers.len()).collect()
            } else {
                (0..self.layers.len()).rev().skip(1).collect()
            };
            let mut pos = self.positions();
            for l in layer_ids {
                let mut keyed: Vec<(f64, usize, usize)> = self.layers[l]
                    .iter()
                    .map(|&item| {
                        let around: Vec<usize> = self.neighbours(item, up).map(|n| pos[n]).collect();
                        let key = if around.is_empty() {
                            pos[item] as f64
                        } else {
                            around.iter().sum::<usize>() as f64 / around.len() as f64
                        };
                        (key, pos[item], item)
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                self.layers[l] = keyed.into_iter().map(|(_, _, item)| item).collect();
                for (i, &item) in self.layers[l].iter().enumerate() {
                    pos[item] = i;
                }
            }
            let crossings = self.crossings();
            if crossings < best.0 {
                best = (crossings, self.layers.clone());
            }
        }
        self.layers = best.1;
        self.transpose();
    }

    /// Swaps neighbours within a layer while a swap removes crossings (the
    /// sweeps move items by averages and miss such local fixes). Each swap strictly
    /// lowers the count, so this ends; the rounds are bounded all the same.
    fn transpose(&mut self) {
        let mut pos = self.positions();
        for _ in 0..TRANSPOSE_ROUNDS {
            let mut improved = false;
            for l in 0..self.layers.len() {
                for i in 1..self.layers[l].len() {
                    let (u, v) = (self.layers[l][i - 1], self.layers[l][i]);
                    if self.pair_crossings(v, u, &pos) < self.pair_crossings(u, v, &pos) {
                        self.layers[l].swap(i - 1, i);
                        pos.swap(u, v);
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
    }

    /// The least distance between the centres of neighbours `a` and `b` of a layer.
    fn spacing(&self, a: usize, b: usize) -> f64 {
        let gap = match (self.items[a], self.items[b]) {
            (Item::Node(_), Item::Node(_)) => NODE_GAP,
            _ => WAYPOINT_GAP,
        };
        (self.widths[a] + self.widths[b]) / 2.0 + gap
    }

    /// The centre of every item, the leftmost edge at [`MARGIN`].
    fn place(&self) -> Vec<f64> {
        let mut x = vec![0.0; self.items.len()];
        for layer in &self.layers {
            let mut at = 0.0;
            for (i, &item) in layer.iter().enumerate() {
                if i > 0 {
                    at += self.spacing(layer[i - 1], item);
                }
                x[item] = at;
            }
            let shift = at / 2.0;
            for &item in layer {
                x[item] -= shift;
            }
        }
        let all = 0..self.layers.len();
        for _ in 0..PLACE_ROUNDS {
            for l in all.clone().skip(1) {
                self.pull(l, &mut x, Some(true));
            }
            for l in all.clone().rev().skip(1) {
                self.pull(l, &mut x, Some(false));
            }
        }
        for l in all {
            self.pull(l, &mut x, None);
        }
        let left = (0..self.items.len()).map(|i| x[i] - self.widths[i] / 2.0).fold(f64::INFINITY, f64::min);
        x.iter().map(|v| v - left + MARGIN).collect()
    }

    /// Moves layer `l`'s items towards their neighbours above (`Some(true)`), below,
    /// or both (`None`), keeping order and spacing.
    fn pull(&self, l: usize, x: &mut [f64], up: Option<bool>) {
        let layer = &self.layers[l];
        if layer.is_empty() {
            return;
        }
        let mut offsets = Vec::with_capacity(layer.len());
        let mut offset = 0.0;
        for (i, &item) in layer.iter().enumerate() {
            if i > 0 {
                offset += self.spacing(layer[i - 1], item);
            }
            offsets.push(offset);
        }
        let targets: Vec<(f64, f64)> = layer
            .iter()
            .zip(&offsets)
            .map(|(&item, off)| {
                let around: Vec<f64> = match up {
                    Some(up) => self.neighbours(item, up).map(|n| x[n]).collect(),
                    None => self
                        .neighbours(item, true)
                        .chain(self.neighbours(item, false))
                        .map(|n| x[n])
                        .collect(),
                };
                // Waypoints weigh more: long edges stay straight, states move instead.
                let weight = if self.items[item] == Item::Waypoint { 4.0 } else { 1.0 };
                match around.len() {
                    0 => (x[item] - off, 0.1),
                    n => (around.iter().sum::<f64>() / n as f64 - off, weight),
                }
            })
            .collect();
        for (item, (value, off)) in layer.iter().zip(isotonic(&targets).into_iter().zip(&offsets)) {
            x[*item] = value + off;
        }
    }

    /// Where each edge meets each of its two states: the ends on one side of a state
    /// spread along it in the order of where they go, so that they do not cross there.
    fn ports(&self, x: &[f64]) -> std::collections::BTreeMap<(usize, usize), f64> {
        let mut sides: std::collections::BTreeMap<(usize, bool), Vec<(f64, usize)>> = Default::default();
        for (e, chain) in self.chains.iter().enumerate() {
            let (first, last) = (chain[0], chain[chain.len() - 1]);
            // The upper end leaves by its bottom side, the lower end enters by its top.
            sides.entry((first, false)).or_default().push((x[chain[1]], e));
            sides.entry((last, true)).or_default().push((x[chain[chain.len() - 2]], e));
        }
        let mut ports = std::collections::BTreeMap::new();
        for ((item, _), mut ends) in sides {
            ends.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let n = ends.len() as f64;
            let step = PORT_STEP.min(self.widths[item] * 0.8 / n);
            for (k, (_, e)) in ends.into_iter().enumerate() {
                ports.insert((e, item), x[item] + (k as f64 - (n - 1.0) / 2.0) * step);
            }
        }
        ports
    }
}

/// The non-decreasing sequence closest to `values` (value, weight) in weighted
/// least squares: pool adjacent violators.
fn isotonic(values: &[(f64, f64)]) -> Vec<f64> {
    // Blocks of (mean, weight, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::with_capacity(values.len());
    for &(value, weight) in values {
        blocks.push((value, weight, 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
            let (m2, w2, c2) = blocks.pop().expect("two blocks");
            let (m1, w1, c1) = blocks.pop().expect("two blocks");
            blocks.push(((m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2));
        }
    }
    blocks.into_iter().flat_map(|(mean, _, count)| std::iter::repeat_n(mean, count)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_pools_violators_by_weight() {
        assert_eq!(isotonic(&[(1.0, 1.0), (3.0, 1.0), (2.0, 1.0)]), [1.0, 2.5, 2.5]);
        assert_eq!(isotonic(&[(4.0, 3.0), (0.0, 1.0)]), [3.0, 3.0]);
        assert_eq!(isotonic(&[]), Vec::<f64>::new());
    }
}
