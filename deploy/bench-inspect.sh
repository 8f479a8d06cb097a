#!/usr/bin/env bash
# Times `restore-shim inspect` against `checkpointctl show` on one synthetic checkpoint archive in the
# containerd CRI layout (docs/archive.md, "inspect against checkpointctl show"). The archive is built
# in a temporary directory with GNU tar (members sorted by name, as containerd writes them):
# checkpoint/ with CRIU images and a pages-1.img of random bytes, config.dump, spec.dump,
# container.log, dump.log, a gzip rootfs-diff.tar (OCI layer with a whiteout), stats-dump, status.
# The page cache is dropped before every run (root needed), each command runs --runs times and
# the median wall-clock time in ms is printed. The archive is deleted at the end.
#
# usage: deploy/bench-inspect.sh [--size MIB] [--runs N] [--warm] [--keep DIR]
#            [--cli 'COMMAND ...']... [--no-checkpointctl]
#   --size   pages-1.img size in MiB (default 2048)
#   --runs   runs per command (default 5)
#   --warm   do not drop the page cache
#   --keep   build the archive in DIR and keep it (default: a temp dir under /tmp, deleted)
#   --cli    a command line that inspects, the archive path is appended; repeatable
#            (default: "restore-shim inspect" and "restore-shim inspect --json" from PATH)
#   --no-checkpointctl  skip checkpointctl show
set -euo pipefail

size=2048
runs=5
warm=false
keep=''
clis=()
ctl=true
while [[ $# -gt 0 ]]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --warm) warm=true; shift ;;
    --keep) keep=$2; shift 2 ;;
    --cli) clis+=("$2"); shift 2 ;;
    --no-checkpointctl) ctl=false; shift ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-inspect: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ ${#clis[@]} -gt 0 ]] || clis=("restore-shim inspect" "restore-shim inspect --json")

if [[ -n $keep ]]; then
  dir=$keep
  mkdir -p "$dir"
else
  dir=$(mktemp -d /tmp/bench-inspect.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
fi
archive=$dir/checkpoint-${size}m.tar

build() {
  local src=$dir/src
  rm -rf "$src"
  mkdir -p "$src/checkpoint" "$src/delta/data" "$src/delta/etc"
  # CRIU inventory image: magic 0x58313116, entry size 2, img_version = 2
  printf '\x16\x11\x31\x58\x02\x00\x00\x00\x08\x02' >"$src/checkpoint/inventory.img"
  for f in pstree core-1 mm-1 pagemap-1 fdinfo-2 files ids-1 fs-1 tty-info seccomp; do
    head -c $((RANDOM % 4000 + 100)) /dev/urandom >"$src/checkpoint/$f.img"
  done
  printf '["/dev/null","pipe:[1]","pipe:[2]"]' >"$src/checkpoint/descriptors.json"
  # random pages: AES-CTR over zeros is much faster than /dev/urandom
  openssl enc -aes-128-ctr -pass pass:bench-inspect -nosalt -pbkdf2 </dev/zero 2>/dev/null \
    | head -c $((size << 20)) >"$src/checkpoint/pages-1.img" || true # openssl ends on SIGPIPE
  [[ $(stat -c %s "$src/checkpoint/pages-1.img") -eq $((size << 20)) ]] || { echo "bench-inspect: could not write pages" >&2; exit 1; }
  printf '(00.000000) Version: 4.1.1 (gitid 0)\n(00.000010) Running on host Linux\n' >"$src/checkpoint/dump.log"
  printf '{"id":"4f1c0de","name":"fill","rootfsImage":"localhost:5000/fill:1","rootfsImageRef":"sha256:aaaa","rootfsImageName":"localhost:5000/fill:1","runtime":"io.containerd.runc.v2","createdTime":"2026-11-23T10:00:00Z","checkpointedTime":"2026-11-23T10:05:00Z"}' >"$src/config.dump"
  printf '{"ociVersion":"1.2.0","process":{"args":["/fill","%s"],"env":["PATH=/bin"],"cwd":"/"},"annotations":{"io.kubernetes.cri.container-name":"fill","io.kubernetes.cri.sandbox-name":"pod-a"}}' "$size" >"$src/spec.dump"
  printf '{"id":"4f1c0de"}' >"$src/status"
  printf 'hello\n' >"$src/container.log"
  head -c 60 /dev/urandom >"$src/stats-dump"
  head -c 4096 /dev/urandom >"$src/delta/data/written.bin"
  : >"$src/delta/etc/.wh.removed"
  tar -C "$src/delta" --sort=name -czf "$src/rootfs-diff.tar" data etc
  rm -rf "$src/delta"
  tar -C "$src" --sort=name --format=gnu -cf "$archive" checkpoint config.dump container.log rootfs-diff.tar spec.dump stats-dump status
  rm -rf "$src"
}

[[ -f $archive ]] || build
echo "archive=$archive bytes=$(stat -c %s "$archive") runs=$runs cache=$($warm && echo warm || echo cold)"

median_ms() { # command words...
  local times=() i t0 t1
  for ((i = 0; i < runs; i++)); do
    if ! $warm; then sync; echo 3 >/proc/sys/vm/drop_caches; fi
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

if $ctl; then
  ctl_ms=$(median_ms checkpointctl show "$archive")
  echo "checkpointctl show: ${ctl_ms} ms"
fi
for c in "${clis[@]}"; do
  # shellcheck disable=SC2086 # the command line splits on spaces on purpose
  ms=$(median_ms $c "$archive")
  if $ctl; then
    echo "$c: ${ms} ms ratio=$(awk -v a="$ctl_ms" -v b="$ms" 'BEGIN { printf "%.1f", a / b }')x"
  else
    echo "$c: ${ms} ms"
  fi
done
