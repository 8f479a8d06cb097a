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
repo=$PWD

log() { printf 'bench-restore: %s\n' "$*" >&2; }
[[ $(id -u) -eq 0 ]] || { log "must run as root (it starts containerd and pods)"; exit 1; }
sizes=${*:-64 512}
for s in $sizes; do
  [[ $s =~ ^[1-9][0-9]*$ ]] || { log "sizes must be positive numbers of MiB, got '$s'"; exit 1; }
done
runs=${BENCH_RUNS:-3}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { log "BENCH_RUNS must be a positive number, got '$runs'"; exit 1; }

bash deploy/setup-host.sh
JAVA_HOME="$(bash deploy/find-jdk.sh)"
export JAVA_HOME
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

prefix=$repo/integration-tests/target/install
log "installing restore-shim into $prefix (deploy/install.sh)"
mkdir -p "$prefix"
bash deploy/install.sh --prefix "$prefix" --sysconfdir "$prefix/etc" >"$prefix.log" 2>&1 \
  || { tail -n 30 "$prefix.log" >&2; log "deploy/install.sh failed (log: $prefix.log)"; exit 1; }

# Maven and the bench JVM run in their own session, so that Ctrl-C reaches only this script (and the
# filter of Maven's colour codes, which ignores it), which then asks the bench JVM to clean up
# (SIGTERM runs its shutdown hook) while containerd and the Podman service it needs are alive.
pidfile=$repo/integration-tests/target/demo.pid
rm -f "$pidfile" "$repo/integration-tests/target/demo.exit"
on_signal() {
  log "stopping (cleanup takes a few seconds)"
  if [[ -s $pidfile ]]; then kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  else kill -TERM "$mvn_pid" 2>/dev/null || true; fi
}
setsid -w mvn -B -q -ntp -Dstyle.color=never -Pdemo -pl proto,integration-tests process-test-classes \
  -Ddemo.main=dev.restoreshim.it.RestoreBench -Dbench.sizes="$sizes" -Dbench.runs="$runs" \
  -Dbench.chart="${BENCH_CHART:-$repo/docs/restore-bench.png}" \
  -Ddemo.shim.prefix="$prefix" -Ddemo.logLevel="${DEMO_LOG_LEVEL:-info}" > >(trap '' INT; exec sed -u 's/\x1b\[[0-9;]*m//g') 2>&1 &
mvn_pid=$!
trap on_signal INT TERM
status=0
while true; do
  wait "$mvn_pid" && { status=0; break; } || status=$?
  # wait returns >128 when a trapped signal interrupted it; the child is still running then.
  kill -0 "$mvn_pid" 2>/dev/null || break
done
trap - INT TERM
# Maven succeeds for the bench's own exit codes (0, 1 failed, 130 interrupted); the code is here.
exitfile=$repo/integration-tests/target/demo.exit
if [[ $status -eq 0 && -s $exitfile ]]; then status=$(<"$exitfile"); fi
exit "$status"
