#!/usr/bin/env bash
# All tests, with their set-up: Debian's static busybox (for the runtime image the
# engine tests build), Debian's chromium (for the live view's headless browser
# test and the Mermaid rendering test), Mermaid's script (from PyPI) and a Docker
# engine that answers. Idempotent; needs root (or
# sudo) only for what is missing. Extra arguments go to `cargo test` (default:
# `--workspace`).
#
# The engine tests skip, saying why, where no engine is reachable; with
# PROXY_REQUIRE_DOCKER=1 (as CI sets) a skip is a failure. The browser test skips
# without chromium; with CI=true or PROXY_REQUIRE_DOCKER=1 this script sets
# PROXY_REQUIRE_BROWSER=1, so that there too a skip is a failure.
#
# Safe to run twice at once (two clones, or two CI steps): the set-up runs under a
# machine-wide lock, so one copy installs and starts the engine while the other waits
# and then finds it; the tests name their containers, networks and temp files by
# process, so the suites do not meet on the engine.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  as_root apt-get update -qq && as_root apt-get install -y -qq "$@" >/dev/null
}

# One set-up at a time on this machine: apt holds its own lock and fails rather
# than waits, and two copies starting dockerd would fight over its pid file.
SETUP_LOCK=${PROXY_SETUP_LOCK:-/tmp/proxy-test-setup.lock}
exec 9>>"$SETUP_LOCK"
if ! flock -w 600 9; then
  echo "another copy has held the set-up lock $SETUP_LOCK for 10 minutes" >&2
  exit 1
fi

echo "== set-up: busybox-static (the runtime image's /bin/sh)"
if ! dpkg -s busybox-static >/dev/null 2>&1; then
  apt_install busybox-static
fi

echo "== set-up: chromium (the live view's headless browser test)"
if ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium
fi

# Mermaid's own renderer for proxy-core/tests/mermaid_render.rs: the `mermaid.min.js`
# that PyPI's artoo-mermaid wheel ships (pinned), unpacked into target/ once. The
# wheel is a file of assets (it says Python 3.12 only for its loader, which is not
# used), so it is downloaded, not installed.
MERMAID_VERSION=11.16.0
MERMAID_DIR=target/test-artefacts/mermaid
echo "== set-up: Mermaid $MERMAID_VERSION's script (the diagram test's renderer)"
if [ ! -s "$MERMAID_DIR/mermaid-$MERMAID_VERSION.min.js" ]; then
  wheel_dir=$(mktemp -d)
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    -d "$wheel_dir" "artoo-mermaid==$MERMAID_VERSION"
  python3 -m zipfile -e "$wheel_dir"/artoo_mermaid-*.whl "$wheel_dir/unpacked"
  mkdir -p "$MERMAID_DIR"
  cp "$wheel_dir/unpacked/artoo_mermaid/assets/mermaid.min.js" "$MERMAID_DIR/mermaid-$MERMAID_VERSION.min.js"
  rm -rf "$wheel_dir"
fi
export PROXY_MERMAID_JS="$PWD/$MERMAID_DIR/mermaid-$MERMAID_VERSION.min.js"

wait_for_engine() {
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return 0; sleep 1; done
  return 1
}

echo "== set-up: a Docker engine"
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  echo "no engine answering: starting dockerd (log: /tmp/dockerd.log)"
  # Detached, so that it outlives this script; its pid file names exactly it.
  pidfile=/tmp/proxy-dockerd.pid
  (as_root dockerd --pidfile "$pidfile" >>/tmp/dockerd.log 2>&1 &)
  if ! wait_for_engine; then
    # Only the dockerd started here is stopped, never another one.
    echo "dockerd did not come up with bridge networking; retrying without it"
    echo "(containers can then reach each other's runtimes: only the token guards them)"
    if [ -s "$pidfile" ]; then as_root kill "$(cat "$pidfile")" 2>/dev/null || true; fi
    for _ in $(seq 1 20); do [ -s "$pidfile" ] || break; sleep 0.5; done
    (as_root dockerd --pidfile "$pidfile" --bridge=none --iptables=false >>/tmp/dockerd.log 2>&1 &)
    wait_for_engine || true
  fi
fi
docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}' || echo "no engine: the engine tests will say they skipped"
flock -u 9
exec 9>&-

if [ "${CI:-}" = "true" ] || [ "${PROXY_REQUIRE_DOCKER:-}" = "1" ]; then
  export PROXY_REQUIRE_BROWSER=1
fi

# The whole workspace unless packages are named.
case " $* " in
  *" -p "* | *" --package "* | *" --package="* | *" --workspace "*) ;;
  *) set -- --workspace "$@" ;;
esac
echo "== cargo test $*"
cargo test "$@"

# Alone, so that no other package's features reach proxy-machine: it builds without
# `std`, and the `#![no_std]` crate proves the generated code needs none either.
echo "== no_std: cargo build -p proxy-no-std (proxy-machine without default features)"
cargo build -p proxy-no-std
