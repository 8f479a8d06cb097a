#!/usr/bin/env bash
# The pod-start benchmark: pod start through restore-shim beside containerd's own runc shim, measured
# in one run (issue 2's targets; the restore demo is deploy/demo.sh).
# Installs what the host lacks (setup-host.sh), installs restore-shim into
# integration-tests/target/install, then runs dev.restoreshim.it.PodStartDemo through Maven: a
# loopback registry, one private containerd with handlers runc and restore, 1 cold + PODS warm pods
# per handler driven through CRI like the kubelet, and a table of per-call timings.
# Everything it starts is removed at the end, also on failure or Ctrl-C. Needs root.
#
# usage: sudo bash deploy/bench-podstart.sh [PODS]      (PODS: warm pods per handler, default 5)
#   DEMO_LOG_LEVEL=debug: the daemon logs per-call timings (TTRPC call, runc command, event delivery)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'bench-podstart: %s\n' "$*" >&2; }
pods=${1:-5}
[[ $pods =~ ^[1-9][0-9]*$ ]] || { log "PODS must be a positive number, got '$pods'"; exit 1; }

exec bash deploy/run-bench.sh bench-podstart dev.restoreshim.it.PodStartDemo -Ddemo.pods="$pods"
