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
repo=$PWD

log() { printf 'bench-restore-image: %s\n' "$*" >&2; }
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
  -Ddemo.main=dev.restoreshim.it.RestoreImageBench -Dbench.sizes="$sizes" -Dbench.runs="$runs" \
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
