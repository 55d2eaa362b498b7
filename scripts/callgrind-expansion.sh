#!/usr/bin/env bash
# Instructions rustc executes to build each crate of the expansion bench
# (tests/benches/expansion.rs), counted by callgrind, with the ratios the bench
# reports in time. Instruction counts do not move with the load of a shared machine,
# which wall and CPU time do by ±20% here; they are the figure to compare two
# versions of the macro by.
#
# Usage: scripts/callgrind-expansion.sh [CRATE ...]   (default: small big bigfewevents)
#   CRATE is a directory of target/expansion-bench/: small, big, bigfewevents,
#   bigfewrows, peer-ours, peer-hand-written, ...
#
# It needs the crates the bench generates: run `cargo bench -p proxy-tests --bench
# expansion` (or with PROXY_EXPANSION_ONLY=...) first. It counts the one `rustc`
# that compiles the crate (debug, CARGO_INCREMENTAL=0, as the bench builds it), the
# proc macro's expansion included; not cargo, not the dependencies. The macro is the
# snapshot the bench copied into target/expansion-bench/proxy-macros when it started.
# About a minute per 1,000 rows (callgrind runs rustc ~50x slower).
set -euo pipefail
cd "$(dirname "$0")/../target/expansion-bench" 2>/dev/null || {
  echo "no target/expansion-bench: run cargo bench -p proxy-tests --bench expansion first" >&2
  exit 1
}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }

crates=("$@")
[ ${#crates[@]} -gt 0 ] || crates=(small big bigfewevents)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

declare -A count
for crate in "${crates[@]}"; do
  [ -f "$crate/Cargo.toml" ] || { echo "no crate $crate in target/expansion-bench" >&2; exit 1; }
  package=$(sed -n 's/^name = "\(.*\)"/\1/p' "$crate/Cargo.toml" | head -n 1)
  # Dependencies up to date, then the exact rustc command cargo runs for the crate.
  CARGO_INCREMENTAL=0 cargo build -q -p "$package" >/dev/null 2>&1
  touch "$crate/src/lib.rs"
  command=$(CARGO_INCREMENTAL=0 cargo build -v -p "$package" 2>&1 |
    sed -n "s/^ *Running \`\(.*--crate-name ${package//-/_} .*\)\`\$/\1/p" | head -n 1)
  [ -n "$command" ] || { echo "could not find the rustc command of $package" >&2; exit 1; }
  valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$out/$crate.%p" \
    bash -c "$command" >/dev/null 2>"$out/$crate.err"
  count[$crate]=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/$crate.err" | sort -n | tail -n 1)
  awk -v c="$crate" -v n="${count[$crate]}" 'BEGIN { printf "%-18s %8.1f M instructions\n", c, n / 1e6 }'
done

ratio() {
  [ -n "${count[$1]:-}" ] && [ -n "${count[$2]:-}" ] || return 0
  awk -v a="$1" -v b="$2" -v x="${count[$1]}" -v y="${count[$2]}" \
    'BEGIN { printf "ratio %s / %s: %.2f\n", a, b, x / y }'
}
ratio big small
ratio big bigfewevents
ratio bigfewevents small
ratio big bigfewrows
ratio peer-ours peer-hand-written
