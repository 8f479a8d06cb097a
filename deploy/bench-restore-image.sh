#!/usr/bin/env bash
# The restore image benchmark: containerd's own CRI restore from a stock checkpoint image (buildah
# from scratch + the CRI checkpoint archive + the org.criu.checkpoint.* annotations, stock runc
# handler) beside restore-shim restoring the restore image built from the same archive (handler
# restore), for each memory size. Pull timed and reported apart, page cache dropped before each
# CreateContainer; also CRIU's own restore time (restore.log) and the bytes written to the block
# devices during each restore. Installs what the host lacks (setup-host.sh), installs restore-shim
# into integration-tests/target/install, then runs dev.restoreshim.it.RestoreImageBench through
# Maven (the demo profile): a loopback registry, one private containerd with handlers runc and
# restore, the bench app (static C, fills N MiB) checkpointed through CRI, both images pushed,
# restored RUNS times per handler. Everything it starts is removed at the end (pods, images,
# archives, daemon, containerd, registry, Podman service), also on failure or Ctrl-C. Needs root.
#
# usage: sudo bash deploy/bench-restore-image.sh [SIZES_MIB...]   (default: 64 512; 2048 optional)
#   BENCH_RUNS=N: restores per handler and size, median reported (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=${*:-64 512}
runs=${BENCH_RUNS:-3} # both checked by run-bench.sh
exec bash deploy/run-bench.sh bench-restore-image dev.restoreshim.it.RestoreImageBench -Dbench.sizes="$sizes" \
  -Dbench.runs="$runs"
