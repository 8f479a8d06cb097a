#!/usr/bin/env bash
# The restore benchmark: containerd's own CRI restore (stock runc handler, CreateContainer with
# image = archive) beside restore-shim (pod annotation restore-shim.dev/checkpoint) from the same CRI
# checkpoint archive, for each memory size, page cache dropped before each restore. restore-shim runs
# as three handlers, each with its own node daemon and config: restore (the defaults,
# images = "auto": EROFS in place), restore-tmpfs (images staged in tmpfs, cap 3G) and restore-lazy
# (EROFS in place, [criu.defaults] lazy-pages = true); with BENCH_READAHEAD=1 also restore-ra
# (EROFS with readahead of the page images). Prints create+start and visible times, bytes written to
# disk and tmpfs bytes per restore, for the lazy side the time until every page was served,
# restore-shim inspect vs checkpointctl show on the largest archive, and draws
# docs/restore-bench.png (XChart: visible time per side).
# Installs what the host lacks (setup-host.sh), installs restore-shim into
# integration-tests/target/install, then runs dev.restoreshim.it.RestoreBench through Maven (the demo
# profile): a loopback registry, one private containerd with handlers runc and restore, the bench
# app (static C, fills N MiB) checkpointed to an archive in /tmp, restored RUNS times per handler.
# Everything it starts is removed at the end (pods, archives, daemon, containerd), also on failure
# or Ctrl-C. Needs root.
#
# usage: sudo bash deploy/bench-restore.sh [SIZES_MIB...]   (default: 64 512; 2048 optional)
#   BENCH_RUNS=N: restores per handler and size, median reported (default 3)
#   BENCH_CHART=FILE: where the chart goes (default docs/restore-bench.png)
#   BENCH_READAHEAD=1: add the restore-ra side (EROFS + readahead; off by default to keep the run short)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=${*:-64 512}
runs=${BENCH_RUNS:-3} # both checked by run-bench.sh
exec bash deploy/run-bench.sh bench-restore dev.restoreshim.it.RestoreBench -Dbench.sizes="$sizes" \
  -Dbench.runs="$runs" -Dbench.chart="${BENCH_CHART:-$PWD/docs/restore-bench.png}"
