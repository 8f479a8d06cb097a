#!/usr/bin/env bash
# Installs on Debian 12 what restore-shim needs and the machine lacks: CRIU >= 4.1 (trixie),
# containerd 2.1 and runc 1.3 (sid), JDK 25, Maven, the test tool chain (docker-registry, podman,
# buildah, skopeo, busybox-static, gcc, erofs-utils, checkpointctl). Idempotent: a second run
# installs nothing and takes about a second.
set -euo pipefail

log() { printf 'setup-host: %s\n' "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
  log "must run as root (it installs Debian packages)"; exit 1
fi

need_apt=0
have() { command -v "$1" >/dev/null 2>&1; }
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

criu_ok()       { have criu && version_ge "$(criu --version 2>/dev/null | sed -n 's/^Version: //p')" 4.1; }
containerd_ok() { have containerd && version_ge "$(containerd --version | awk '{print $3}' | sed 's/^v//')" 2.1; }
runc_ok()       { have runc && version_ge "$(runc --version | sed -n 's/^runc version //p')" 1.3; }
jdk25()         { for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64; do
                    [[ -x $d/bin/javac ]] && { echo "$d"; return 0; }; done; return 1; }

tools=(mvn gcc podman buildah skopeo busybox docker-registry mkfs.erofs checkpointctl jq curl iptables)
missing=()
for t in "${tools[@]}"; do have "$t" || missing+=("$t"); done
criu_ok || missing+=(criu)
containerd_ok || missing+=(containerd)
runc_ok || missing+=(runc)
jdk25 >/dev/null || missing+=(jdk25)

if [[ ${#missing[@]} -eq 0 ]]; then
  log "everything present"; exit 0
fi
log "installing: ${missing[*]}"

# Newer suites, pinned low so that nothing moves unless asked for by -t.
cat > /etc/apt/sources.list.d/restore-shim-newer.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian
Suites: sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat > /etc/apt/preferences.d/restore-shim-newer <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: *
Pin: release n=sid
Pin-Priority: 50
PIN

export DEBIAN_FRONTEND=noninteractive
# Third-party sources on some machines are unreachable here; their failure must not stop us.
apt-get update -o Acquire::Retries=3 >/dev/null 2>&1 || log "apt-get update reported errors (unreachable extra sources are expected)"

apt-get install -y -q --no-install-recommends \
  maven gcc libc6-dev podman buildah skopeo busybox-static docker-registry jq curl iptables \
  uidmap fuse-overlayfs slirp4netns >/dev/null
criu_ok || apt-get install -y -q --no-install-recommends -t trixie criu >/dev/null
apt-get install -y -q --no-install-recommends -t trixie erofs-utils checkpointctl >/dev/null
containerd_ok && runc_ok || apt-get install -y -q --no-install-recommends -t sid containerd runc >/dev/null
jdk25 >/dev/null || apt-get install -y -q --no-install-recommends -t trixie openjdk-25-jdk-headless >/dev/null

# The distribution's registry service would listen on :5000; tests run their own on loopback.
systemctl disable --now docker-registry >/dev/null 2>&1 || true
# containerd from the package must not run as a node daemon here: tests start private instances.
systemctl disable --now containerd >/dev/null 2>&1 || true

criu_ok || { log "CRIU >= 4.1 not installed"; exit 1; }
containerd_ok || { log "containerd >= 2.1 not installed"; exit 1; }
runc_ok || { log "runc >= 1.3 not installed"; exit 1; }
jdk25 >/dev/null || { log "no JDK 25 found"; exit 1; }
log "done: $(criu --version | head -1), containerd $(containerd --version | awk '{print $3}'), $(runc --version | head -1), JDK $(jdk25)"
