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
repo=$PWD

log() { printf 'bench-podstart: %s\n' "$*" >&2; }
[[ $(id -u) -eq 0 ]] || { log "must run as root (it starts containerd and pods)"; exit 1; }
pods=${1:-5}
[[ $pods =~ ^[1-9][0-9]*$ ]] || { log "PODS must be a positive number, got '$pods'"; exit 1; }

bash deploy/setup-host.sh
JAVA_HOME="$(bash deploy/find-jdk.sh)"
export JAVA_HOME
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"

prefix=$repo/integration-tests/target/install
log "installing restore-shim into $prefix (deploy/install.sh)"
mkdir -p "$prefix"
bash deploy/install.sh --prefix "$prefix" --sysconfdir "$prefix/etc" >"$prefix.log" 2>&1 \
  || { tail -n 30 "$prefix.log" >&2; log "deploy/install.sh failed (log: $prefix.log)"; exit 1; }

# Maven and the demo JVM run in their own session, so that Ctrl-C reaches only this script (and the
# filter of Maven's colour codes, which ignores it), which then asks the demo JVM to clean up
# (SIGTERM runs its shutdown hook) while containerd and the Podman service it needs are alive.
pidfile=$repo/integration-tests/target/demo.pid
rm -f "$pidfile" "$repo/integration-tests/target/demo.exit"
on_signal() {
  log "stopping (cleanup takes a few seconds)"
  if [[ -s $pidfile ]]; then kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  else kill -TERM "$mvn_pid" 2>/dev/null || true; fi
}
setsid -w mvn -B -q -ntp -Dstyle.color=never -Pdemo -pl proto,integration-tests process-test-classes \
  -Ddemo.pods="$pods" -Ddemo.shim.prefix="$prefix" -Ddemo.logLevel="${DEMO_LOG_LEVEL:-info}" > >(trap '' INT; exec sed -u 's/\x1b\[[0-9;]*m//g') 2>&1 &
mvn_pid=$!
trap on_signal INT TERM
status=0
while true; do
  wait "$mvn_pid" && { status=0; break; } || status=$?
  # wait returns >128 when a trapped signal interrupted it; the child is still running then.
  kill -0 "$mvn_pid" 2>/dev/null || break
done
trap - INT TERM
# Maven succeeds for the demo's own exit codes (0, 1 failed, 130 interrupted); the code is here.
exitfile=$repo/integration-tests/target/demo.exit
if [[ $status -eq 0 && -s $exitfile ]]; then status=$(<"$exitfile"); fi
exit "$status"
