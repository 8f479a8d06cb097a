#!/usr/bin/env bash
# The demo: restore a real checkpoint through containerd, with restore-shim and with stock
# containerd, and print the timings side by side. It is the restore benchmark
# (deploy/bench-restore.sh) at the sizes given, by default 64 and 512 MiB: a bench app that fills
# that much memory runs on the stock runc handler, is checkpointed through CRI CheckpointContainer,
# and the archive is restored into new pods both ways, page cache dropped before each restore.
# Installs what the host lacks first; removes everything it started at the end. Needs root.
#
# usage: sudo bash deploy/demo.sh [SIZES_MIB...]   (default: 64 512; add 2048 for the large case)
#   BENCH_RUNS=N: restores per side and size (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -eq 0 ]]; then set -- 64 512; fi
exec bash deploy/bench-restore.sh "$@"
