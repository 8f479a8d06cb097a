#!/usr/bin/env bash
# The delta-layer benchmark: one containerd-style rootfs-diff.tar (a gzip OCI layer of many small
# files and a large one) turned into a cached delta layer both ways the daemon can keep it, a
# directory (restore.delta = "directory") and an EROFS image (the default), with the daemon's own
# classes (dev.restoreshim.overlay.DeltaBench, a test source of the shim module), page cache
# dropped before each build, median of BENCH_RUNS; also what a restore of the cached delta and an
# eviction cost in each form. Prints a table (docs/restore.md keeps the measured one). Works in a
# directory under /var/tmp (on disk, like the cache), removed at the end, also on Ctrl-C.
#
# usage: sudo bash deploy/bench-delta.sh [FILES [FILE_KIB [BIG_MIB]]]   (default: 20000 4 256)
#   BENCH_RUNS=N: runs per form, median reported (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-20000} kib=${2:-4} big=${3:-256} runs=${BENCH_RUNS:-3}
for n in "$files" "$kib" "$big" "$runs"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench-delta: arguments and BENCH_RUNS must be positive numbers, got '$n'" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "bench-delta: must run as root (drops the page cache, mounts)" >&2; exit 1; }
bash deploy/setup-host.sh
JAVA_HOME="$(bash deploy/find-jdk.sh)"
export JAVA_HOME
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
echo "bench-delta: building the shim and its test classes" >&2
mvn -B -q -ntp -pl proto,criu-bridge,shim -am package -DskipTests
mvn -B -q -ntp -pl shim test-compile
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dbench.files="$files" -Dbench.fileKiB="$kib" \
  -Dbench.bigMiB="$big" -Dbench.runs="$runs" -cp shim/target/restore-shim.jar:shim/target/test-classes \
  dev.restoreshim.overlay.DeltaBench
