#!/usr/bin/env bash
# All tests, with their set-up: Debian's static busybox (for the runtime image the
# engine tests build) and a Docker engine that answers. Idempotent; needs root (or
# sudo) only for what is missing. Extra arguments go to `cargo test`.
#
# The engine tests skip, saying why, where no engine is reachable; with
# PROXY_REQUIRE_DOCKER=1 (as CI sets) a skip is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  as_root apt-get update -qq && as_root apt-get install -y -qq "$@" >/dev/null
}

echo "== set-up: busybox-static (the runtime image's /bin/sh)"
if ! dpkg -s busybox-static >/dev/null 2>&1; then
  apt_install busybox-static
fi

echo "== set-up: a Docker engine"
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  echo "no engine answering: starting dockerd"
  (as_root dockerd >/tmp/dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  if ! docker info >/dev/null 2>&1; then
    echo "dockerd did not come up with bridge networking; retrying without it"
    as_root pkill dockerd || true
    sleep 2
    (as_root dockerd --bridge=none --iptables=false >/tmp/dockerd.log 2>&1 &)
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  fi
fi
docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}' || echo "no engine: the engine tests will say they skipped"

echo "== cargo test --workspace"
cargo test --workspace "$@"
