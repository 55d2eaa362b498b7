#!/usr/bin/env bash
# The engine tests twice at once, as two invokers (or two CI jobs) sharing one
# engine would run them: builds proxy-docker's test binaries once, starts two copies
# of the whole set side by side, fails if either copy fails, and then checks that no
# container or network carrying the test label is left on the engine.
#
# Needs what scripts/test.sh sets up (run it first). Extra arguments go to every
# test binary (e.g. a test-name filter).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-$PWD/target}
echo "== build: the static proxy-runtime and proxy-docker's test binaries"
RUSTFLAGS='-C target-feature=+crt-static' \
  cargo build -q -p proxy-runtime --release --target x86_64-unknown-linux-gnu
export PROXY_RUNTIME_BINARY="$target/x86_64-unknown-linux-gnu/release/proxy-runtime"
mapfile -t binaries < <(
  # One JSON message a line; test targets have `"test":true` in their profile.
  cargo test -q -p proxy-docker --no-run --message-format=json 2>/dev/null |
    grep '"reason":"compiler-artifact"' | grep '"test":true' |
    grep -o '"executable":"[^"]*"' | cut -d'"' -f4
)
if [ "${#binaries[@]}" -eq 0 ]; then
  echo "no test binaries built" >&2
  exit 1
fi
printf '   %s\n' "${binaries[@]}"

logs=$(mktemp -d "${TMPDIR:-/tmp}/proxy-parallel-XXXXXX")
trap 'rm -rf "$logs"' EXIT

# One copy: every binary in turn; stops at the first failure.
suite() {
  for binary in "${binaries[@]}"; do
    "$binary" "$@" || return 1
  done
}

echo "== two copies at once"
started=$(date +%s)
suite "$@" >"$logs/a" 2>&1 &
a=$!
suite "$@" >"$logs/b" 2>&1 &
b=$!
status=0
wait "$a" || { status=1; echo "-- copy A failed:"; tail -n 60 "$logs/a"; }
wait "$b" || { status=1; echo "-- copy B failed:"; tail -n 60 "$logs/b"; }
echo "both copies done in $(($(date +%s) - started)) s"
for copy in a b; do
  passed=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^passed/) n += $i } END { print n + 0 }' "$logs/$copy")
  echo "copy $copy: $passed tests passed"
done

echo "== nothing left on the engine"
left=$(docker ps -aq --filter label=proxy.test)
networks=$(docker network ls -q --filter label=proxy.test)
if [ -n "$left" ] || [ -n "$networks" ]; then
  echo "left behind: containers [$left] networks [$networks]" >&2
  docker ps -a --filter label=proxy.test --format '{{.Names}} {{.Status}} {{.Labels}}' >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "$(( ${#binaries[@]} * 2 )) test binaries passed, two at a time, nothing left"
exit "$status"
