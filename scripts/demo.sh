#!/usr/bin/env bash
# The main job, in one command: builds proxyctl and the action runtime, starts
# `proxyctl serve` (Docker when an engine answers, else the process backend) on a
# free loopback port with a fresh data directory, creates a shell action through the
# OpenWhisk API with the proxyctl client, invokes it cold and then warm, and prints
# the result, the logs, and the cold and warm times. Then it stops the server
# (SIGTERM: a drain) and removes what it made.
#
# Usage: scripts/demo.sh        (PROXYCTL_BACKEND=process forces the process backend)
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building proxyctl and the action runtime (static, for the runtime image)"
cargo build -q --release -p proxyctl -p proxy-runtime
RUSTFLAGS='-C target-feature=+crt-static' \
  cargo build -q --release -p proxy-runtime --target x86_64-unknown-linux-gnu
proxyctl=target/release/proxyctl

data=$(mktemp -d "${TMPDIR:-/tmp}/proxyctl-demo.XXXXXX")
out="$data/serve.out"
server=
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

echo "== starting proxyctl serve"
RUST_LOG=${RUST_LOG:-warn} "$proxyctl" serve --addr 127.0.0.1:0 --data-dir "$data/data" \
  --instance "demo$$" >"$out" 2>"$data/serve.err" &
server=$!
for _ in $(seq 1 300); do
  grep -q "listening on" "$out" 2>/dev/null && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "proxyctl serve did not start:" >&2
    cat "$data/serve.err" >&2
    exit 1
  fi
  sleep 0.1
done
grep "listening on" "$out"
host=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$out" | head -1)
export PROXYCTL_APIHOST=$host PROXYCTL_AUTH
PROXYCTL_AUTH=$(cat "$data/data/guest.key")

cat >"$data/hello.sh" <<'ACTION'
#!/bin/sh
# The runtime passes the parameters as one JSON argument; the last stdout line is
# the result.
echo "hello from the action, with $1"
name=$(echo "$1" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
echo "{\"greeting\": \"hello ${name:-stranger}\"}"
ACTION

echo "== proxyctl action create hello hello.sh"
"$proxyctl" action create hello "$data/hello.sh"

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
echo "== proxyctl invoke hello -p name world --result   (cold)"
t0=$(date +%s%N)
"$proxyctl" invoke hello -p name world --result
cold_ms=$(ms_since "$t0")
echo "== proxyctl invoke hello -p name again --result   (warm)"
t0=$(date +%s%N)
"$proxyctl" invoke hello -p name again --result
warm_ms=$(ms_since "$t0")

echo "== proxyctl activation logs --last"
"$proxyctl" activation logs --last

echo "== proxyctl activation list   (Start: cold or warm; Duration: the activation's)"
"$proxyctl" activation list

echo "== cold and warm"
echo "as the client saw them (the proxyctl process included): cold ${cold_ms} ms, warm ${warm_ms} ms"
"$proxyctl" --json activation list --full | python3 -c '
import json, sys
for a in reversed(json.load(sys.stdin)):
    notes = {n["key"]: n["value"] for n in a.get("annotations", [])}
    kind = "cold" if "initTime" in notes else "warm"
    print("as recorded, %s: waited %s ms (a cold start creates the container then), init %s ms, ran %s ms"
          % (kind, notes.get("waitTime", 0), notes.get("initTime", 0), a["duration"]))
'
