#!/usr/bin/env bash
# How long `proxyctl serve` takes from exec to its first answered API request, without
# prewarms, on the Docker backend: RUNS first starts (fresh data directory and instance:
# the database created and migrated, the guest created, the engine's network created)
# and RUNS restarts (the same directory and instance). Each sample ends at the first
# 200 of GET /api/v1/namespaces/_/actions. Prints the samples, min, median and max in ms,
# and the server's resident memory (VmRSS) once it answers, idle, in MB.
#
#   scripts/proxyctl-ready.sh [RUNS]     (default 10; builds proxyctl in release first)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo build -q --release -p proxyctl
bin=target/release/proxyctl
runtime=target/x86_64-unknown-linux-gnu/release/proxy-runtime
[ -x "$runtime" ] || RUSTFLAGS='-C target-feature=+crt-static' cargo build -q -p proxy-runtime --release --target x86_64-unknown-linux-gnu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One sample: start the server, poll until it answers, stop it (SIGTERM, waited for).
sample() { # dir instance -> ms on stdout
  local dir=$1 instance=$2 out=$1/stdout start port pid auth
  rm -f "$out"  # a restart must not read the previous start's port
  start=$(date +%s%N)
  RUST_LOG=warn "$bin" serve --addr 127.0.0.1:0 --data-dir "$dir" --instance "$instance" \
    --runtime-binary "$runtime" >"$out" 2>"$dir/stderr" &
  pid=$!
  until port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$out" 2>/dev/null | grep -o '[0-9]*$'); do
    kill -0 "$pid" 2>/dev/null || { cat "$dir/stderr" >&2; exit 1; }
    sleep 0.002
  done
  auth=$(cat "$dir/guest.key")
  until curl -sf -o /dev/null -u "$auth" "http://127.0.0.1:$port/api/v1/namespaces/_/actions"; do sleep 0.002; done
  echo $(( ($(date +%s%N) - start) / 1000000 ))
  sleep 0.5  # idle: what it holds once started, not mid-start
  awk '/VmRSS/ {print $2}' "/proc/$pid/status" >>"$work/rss"
  kill -TERM "$pid"; wait "$pid"
}

stats() { sort -n | awk '{a[NR]=$1} END {printf "min %d ms, median %d ms, max %d ms (n=%d)\n", a[1], a[int((NR+1)/2)], a[NR], NR}'; }

first=(); again=()
for i in $(seq "$runs"); do
  dir="$work/d$i"; mkdir -p "$dir"
  first+=("$(sample "$dir" "ready-$$-$i")")
  again+=("$(sample "$dir" "ready-$$-$i")")
done
echo "first start: ${first[*]}"; printf '%s\n' "${first[@]}" | stats
echo "restart:     ${again[*]}"; printf '%s\n' "${again[@]}" | stats
echo "idle resident memory (KB): $(tr '\n' ' ' <"$work/rss")"
sort -n "$work/rss" | awk '{a[NR]=$1} END {printf "idle RSS: min %.1f MB, median %.1f MB, max %.1f MB (n=%d)\n", a[1]/1024, a[int((NR+1)/2)]/1024, a[NR]/1024, NR}'
