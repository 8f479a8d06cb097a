#!/usr/bin/env bash
# What every benchmark script shares (bench-restore.sh, bench-restore-image.sh, bench-podstart.sh):
# installs what the host lacks (setup-host.sh), installs restore-shim into
# integration-tests/target/install (deploy/install.sh), then runs the benchmark's main class through
# Maven's demo profile in its own session, with Ctrl-C turned into a clean stop, and exits with the
# benchmark's own code (0 done, 1 failed, 130 interrupted). Not meant to be run by hand.
#
# usage: bash deploy/run-bench.sh NAME MAIN_CLASS [-Dproperty=value ...]
# The properties the restore benchmarks share are checked here: -Dbench.sizes (positive numbers of
# MiB) and -Dbench.runs (a positive number, from BENCH_RUNS).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
name=$1 main=$2
shift 2

log() { printf '%s: %s\n' "$name" "$*" >&2; }
for arg in "$@"; do
  case $arg in
  -Dbench.sizes=*)
    for s in ${arg#*=}; do
      [[ $s =~ ^[1-9][0-9]*$ ]] || { log "sizes must be positive numbers of MiB, got '$s'"; exit 1; }
    done ;;
  -Dbench.runs=*)
    [[ ${arg#*=} =~ ^[1-9][0-9]*$ ]] || { log "BENCH_RUNS must be a positive number, got '${arg#*=}'"; exit 1; } ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { log "must run as root (it starts containerd and pods)"; exit 1; }

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
exitfile=$repo/integration-tests/target/demo.exit
rm -f "$pidfile" "$exitfile"
on_signal() {
  log "stopping (cleanup takes a few seconds)"
  if [[ -s $pidfile ]]; then kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  else kill -TERM "$mvn_pid" 2>/dev/null || true; fi
}
setsid -w mvn -B -q -ntp -Dstyle.color=never -Pdemo -pl proto,integration-tests process-test-classes \
  -Ddemo.main="$main" -Ddemo.shim.prefix="$prefix" -Ddemo.logLevel="${DEMO_LOG_LEVEL:-info}" "$@" \
  > >(trap '' INT; exec sed -u 's/\x1b\[[0-9;]*m//g') 2>&1 &
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
if [[ $status -eq 0 && -s $exitfile ]]; then status=$(<"$exitfile"); fi
exit "$status"
