#!/usr/bin/env bash
# The delta-layer benchmark: one containerd-style rootfs-diff.tar (a gzip OCI layer of many small
# files and a large one) turned into a cached delta layer both ways the daemon can keep it, a
# directory (restore.delta = "directory") and an EROFS image (the default), with the daemon's own
# code, page cache dropped before each build, median of BENCH_RUNS; also what a restore of the
# cached delta and an eviction cost in each form. Prints a table (docs/restore.md keeps the
# measured one). Works under /var/tmp, removed at the end. Needs root (drop_caches, mount).
#
# usage: sudo bash deploy/bench-delta.sh [FILES [FILE_KIB [BIG_MIB]]]   (default: 20000 4 256)
#   BENCH_RUNS=N: runs per form, median reported (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-20000} kib=${2:-4} big=${3:-256}
for n in "$files" "$kib" "$big"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench-delta: arguments must be positive numbers, got '$n'" >&2; exit 1; }
done
exec bash deploy/run-bench.sh bench-delta dev.restoreshim.it.DeltaBench -Dbench.files="$files" \
  -Dbench.fileKiB="$kib" -Dbench.bigMiB="$big" -Dbench.runs="${BENCH_RUNS:-3}"
