#!/usr/bin/env bash
# Instructions per event of each way of tests/peers/benches/peers.rs (hand-written enum +
# match, ours, statig, smlang, rust-fsm, finny) on the same event sequence, counted
# by callgrind, with the ratio to the hand-written machine. Instruction counts do not
# move with the load of a shared machine, which wall time does.
#
# Usage: scripts/callgrind-peers.sh [EVENTS]   (default 100000)
#
# It builds the bench binary (release, as `cargo bench` does), runs it once per way
# as `peers callgrind <way> <events>` under `valgrind --tool=callgrind`, and counts
# only the instructions inside that way's `run_*` function and what it calls
# (`--toggle-collect`): the machine's creation, the loop and the dispatch, not
# making the event sequence.
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${1:-100000}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }

# The executable cargo reports for the `peers` bench target.
bin=$(cargo bench -p proxy-peers --bench peers --no-run --message-format=json 2>/dev/null |
  jq -r 'select(.reason == "compiler-artifact" and .target.name == "peers" and .executable != null) | .executable' |
  tail -n 1)
[ -x "$bin" ] || { echo "could not find the peers bench binary" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# way name (as the binary takes it) : its run function
ways="hand_written:run_hand ours:run_ours statig:run_statig smlang:run_smlang rust_fsm:run_rust_fsm finny:run_finny"

printf '%-13s %14s %12s %10s\n' way instructions per_event ratio
base=""
for entry in $ways; do
  way=${entry%%:*} run=${entry#*:}
  valgrind --tool=callgrind --callgrind-out-file="$out/$way.cg" --toggle-collect="peers::$run" \
    "$bin" callgrind "$way" "$EVENTS" >"$out/$way.stdout" 2>"$out/$way.stderr" || {
    cat "$out/$way.stderr" >&2
    exit 1
  }
  total=$(awk '/^totals:/ { print $2 }' "$out/$way.cg")
  [ -n "$base" ] || base=$total
  awk -v w="$way" -v t="$total" -v n="$EVENTS" -v b="$base" \
    'BEGIN { printf "%-13s %14d %12.2f %9.2fx\n", w, t, t / n, t / b }'
done
echo "(${EVENTS} events, the same sequence for every way; $(sed -n 1p "$out/hand_written.stdout"))"
