#!/usr/bin/env bash
# Runs every test of restore-shim on this machine: installs what the host lacks (setup-host.sh),
# then the unit tests and the integration tests against real containerd, runc, CRIU and a
# loopback registry (mvn verify). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup-host.sh
JAVA_HOME="$(bash deploy/find-jdk.sh)"
export JAVA_HOME
exec mvn -B -ntp verify "$@"
