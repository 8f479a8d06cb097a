#!/usr/bin/env bash
# Installs restore-shim on this node:
#   PREFIX/lib/restore-shim/restore-shim.jar   the shaded jar (daemon, CLI)
#   PREFIX/lib/restore-shim/restore-shim.aot   JDK 25 AOT cache trained here (daemon start-up time)
#   PREFIX/lib/restore-shim/restore-shim-cli.jar   restore-shim's own classes only (CLI start-up)
#   PREFIX/lib/restore-shim/restore-shim-cli.aot   a second AOT cache, for the CLI (inspect, status)
#   PREFIX/lib/restore-shim/runtime/            a jlink runtime image the daemon and CLI run on (start-up time)
#   PREFIX/lib/restore-shim/native/             the jar's JNI libraries (Netty epoll, zstd), loaded in place
#   PREFIX/bin/containerd-shim-restore-v2      the launcher containerd executes
#   PREFIX/bin/restore-shim                    CLI wrapper (status, version, ...)
#   SYSCONFDIR/restore-shim/config.toml        seeded from deploy/config.toml.example if absent
# Idempotent: files are replaced only when their content changes, the AOT cache is retrained only
# when the jar or the java binary changed, and an existing config.toml is never touched.
#
# usage: deploy/install.sh [--prefix DIR] [--sysconfdir DIR] [--java PATH] [--jar FILE]
#   --prefix      default /usr/local
#   --sysconfdir  default /etc
#   --java        java binary of a JDK/JRE 25 (default: the JDK 25 that setup-host.sh finds)
#   --jar         install this jar instead of building with Maven
set -euo pipefail

log() { printf 'install: %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

prefix=/usr/local
sysconfdir=/etc
java=''
jar=''
while [[ $# -gt 0 ]]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --sysconfdir) sysconfdir=${2:?--sysconfdir needs a directory}; shift 2 ;;
    --sysconfdir=*) sysconfdir=${1#*=}; shift ;;
    --java) java=${2:?--java needs a path}; shift 2 ;;
    --java=*) java=${1#*=}; shift ;;
    --jar) jar=${2:?--jar needs a file}; shift 2 ;;
    --jar=*) jar=${1#*=}; shift ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument $1 (try --help)" ;;
  esac
done
[[ $prefix == /* ]] || fail "--prefix must be absolute, got $prefix"
[[ $sysconfdir == /* ]] || fail "--sysconfdir must be absolute, got $sysconfdir"

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

jdk25() {
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64; do
    [[ -x $d/bin/javac ]] && { echo "$d"; return 0; }
  done
  return 1
}

if [[ -z $java ]]; then
  home=$(jdk25) || fail "no JDK 25 found (run deploy/setup-host.sh, or pass --java)"
  java=$home/bin/java
fi
[[ -x $java ]] || fail "java $java is not executable"
java_version=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')
[[ ${java_version%%[.+-]*} -ge 25 ]] 2>/dev/null || fail "java $java is version '$java_version', need 25 or later"

# --- build ---------------------------------------------------------------------------------------
if [[ -z $jar ]]; then
  command -v mvn >/dev/null || fail "mvn not found (run deploy/setup-host.sh, or pass --jar)"
  [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/javac ]] || JAVA_HOME=$(jdk25) || fail "no JDK 25 to build with"
  export JAVA_HOME
  log "building with Maven (JAVA_HOME=$JAVA_HOME)"
  (cd "$repo" && mvn -q -B -DskipTests -pl shim -am package) || fail "Maven build failed"
  jar=$repo/shim/target/restore-shim.jar
fi
[[ -f $jar ]] || fail "jar $jar not found"

# --- install files (only when the content changed) -----------------------------------------------
changed=()
put() { # mode source-file target
  if [[ -f $3 ]] && cmp -s "$2" "$3"; then return 0; fi
  install -D -m "$1" "$2" "$3.new.$$" && mv -f "$3.new.$$" "$3"
  changed+=("$3")
}

libdir=$prefix/lib/restore-shim
bindir=$prefix/bin
version=$("$java" -jar "$jar" version 2>/dev/null | sed -n 's/^restore-shim //p') || true
version=${version:-unknown}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

upgrade=false
[[ ! -f $libdir/restore-shim.jar ]] || cmp -s "$jar" "$libdir/restore-shim.jar" || upgrade=true
put 0644 "$jar" "$libdir/restore-shim.jar"

# The JNI libraries inside the jar, for this machine, as files of their own in PREFIX/lib/
# restore-shim/native: Netty's epoll transport (META-INF/native/*.so; the launcher and the CLI put
# the directory on java.library.path, where Netty looks first) and zstd-jni's (linux/<arch>/*.so;
# named by -DZstdNativePath). Both libraries otherwise copy themselves out of the jar into
# java.io.tmpdir in every JVM that uses them: 112 KiB written to /tmp at each daemon start and each
# `restore-shim status`, 880 KiB more at the first zstd archive, and no epoll transport at all on a
# host whose /tmp is mounted noexec. Without a jar tool they unpack themselves as before.
jar_tool=$(dirname "$java")/jar
native_dir=$libdir/native
case $(uname -m) in x86_64) zstd_arch=amd64 ;; *) zstd_arch=$(uname -m) ;; esac
if [[ -x $jar_tool ]]; then
  mkdir "$tmp/native"
  (cd "$tmp/native" && "$jar_tool" xf "$libdir/restore-shim.jar" META-INF/native "linux/$zstd_arch") \
    || fail "could not unpack native libraries of $libdir/restore-shim.jar"
  mkdir "$tmp/native/all"
  for so in "$tmp"/native/META-INF/native/*.so "$tmp/native/linux/$zstd_arch"/*.so; do
    if [[ -f $so ]]; then mv "$so" "$tmp/native/all/"; fi
  done
  for so in "$tmp"/native/all/*.so; do
    if [[ -f $so ]]; then put 0644 "$so" "$native_dir/${so##*/}"; fi
  done
  for so in "$native_dir"/*.so; do # a library a newer jar no longer has
    if [[ -f $so && ! -f $tmp/native/all/${so##*/} ]]; then rm -f "$so"; fi
  done
else
  rm -rf "$native_dir" # libraries of an older jar must not be loaded with this one's classes
fi

# The runtime the daemon and the CLI run on: a runtime image (jlink, from the JDK above) with only
# the modules the jar uses (jdeps --print-module-deps on the shaded jar, plus java.logging and
# java.management), --strip-debug, and libjvm.so stripped of its symbol table (5 of its 29 MiB,
# never mapped, but read anyway by a host's large readahead on a cold start). It starts faster from
# a cold page cache than the whole JDK: the daemon was ready after 862-1097 ms against 1279-1380 ms,
# `inspect` of a 64 MiB archive took 155-171 ms against 254-302 ms (each with its AOT cache trained
# on that runtime; page cache dropped, 2-CPU VM, 2026-11-23; docs/launcher.md). Rebuilt when the
# JDK or the module list changes, and then the AOT caches are retrained; without jlink, or if it
# fails, everything runs on the JDK itself. A crash report then names no libjvm functions.
runtime_modules=java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,jdk.jfr,jdk.unsupported
runtime_dir=$libdir/runtime
jlink_tool=$(dirname "$java")/jlink
runtime_want="$java $java_version $runtime_modules $(command -v strip >/dev/null && echo stripped)"
rm -rf "$libdir/cli-runtime" "$libdir/cli-runtime.stamp" # its name until 2026-11-23
if [[ -x $jlink_tool ]]; then
  if [[ ! -x $runtime_dir/bin/java || $(cat "$runtime_dir.stamp" 2>/dev/null) != "$runtime_want" ]]; then
    if "$jlink_tool" --add-modules "$runtime_modules" --strip-debug --no-header-files --no-man-pages \
        --output "$tmp/runtime" >"$tmp/jlink.log" 2>&1; then
      if command -v strip >/dev/null; then
        strip --strip-unneeded "$tmp/runtime/lib/server/libjvm.so" || log "strip of the runtime's libjvm.so failed (kept as is)"
      fi
      rm -rf "$runtime_dir" "$runtime_dir.stamp" "$libdir"/restore-shim*.aot "$libdir"/restore-shim*.aot.stamp
      mv "$tmp/runtime" "$runtime_dir"
      printf '%s\n' "$runtime_want" >"$runtime_dir.stamp"
      changed+=("$runtime_dir")
    else
      log "jlink failed, restore-shim runs on $java: $(tail -n 1 "$tmp/jlink.log")"
      rm -rf "$runtime_dir" "$runtime_dir.stamp"
    fi
  fi
else
  rm -rf "$runtime_dir" "$runtime_dir.stamp"
fi
run_java=$java
[[ ! -x $runtime_dir/bin/java ]] || run_java=$runtime_dir/bin/java

sed -e "s|^INSTALLED_JAVA='@JAVA@'|INSTALLED_JAVA='$run_java'|" \
    -e "s|^INSTALLED_JAR='@JAR@'|INSTALLED_JAR='$libdir/restore-shim.jar'|" \
    -e "s|^INSTALLED_VERSION='@VERSION@'|INSTALLED_VERSION='$version'|" \
    "$repo/deploy/containerd-shim-restore-v2" >"$tmp/launcher"
grep -q "^INSTALLED_JAR='$libdir/restore-shim.jar'" "$tmp/launcher" || fail "could not substitute paths in the launcher"
put 0755 "$tmp/launcher" "$bindir/containerd-shim-restore-v2"

# The CLI jar: the dev/restoreshim classes of the shaded jar and its manifest, put in front of the
# shaded jar on the CLI's class path. Opening the shaded jar (13,000 entries) costs 20-30 ms, more
# with a cold page cache; inspect and status without a daemon need none of its libraries, so it is
# only opened when a library class is needed. Made with the JDK's jar tool, with a fixed date so that
# an unchanged jar gives an identical file; without a jar tool the CLI uses the shaded jar alone.
cli_jar=$libdir/restore-shim-cli.jar
if [[ -x $jar_tool ]]; then
  mkdir "$tmp/cli-jar"
  (cd "$tmp/cli-jar" && "$jar_tool" xf "$libdir/restore-shim.jar" dev META-INF/MANIFEST.MF) || fail "could not unpack $libdir/restore-shim.jar"
  "$jar_tool" --create --file "$tmp/restore-shim-cli.jar" --manifest "$tmp/cli-jar/META-INF/MANIFEST.MF" \
    --date 2026-01-01T00:00:00Z -C "$tmp/cli-jar" dev || fail "could not write the CLI jar"
  put 0644 "$tmp/restore-shim-cli.jar" "$cli_jar"
else
  log "no jar tool next to $java: the CLI runs from the shaded jar (slower start-up)"
  rm -f "$cli_jar"
fi

# The CLI's JVM options: inspect and status are short-lived and mostly JVM start-up, so they run
# with the serial GC, C1 only and no perf data, from their own AOT cache trained with these options
# and this class path (`train --cli`). Other commands (convert reads and digests whole archives)
# keep the JVM defaults and the daemon's cache.
cli_options='-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:-UsePerfData -Xmx256m'
native_option='' # status connects to the daemon with Netty's epoll; inspect reads zstd archives
if compgen -G "$native_dir/*.so" >/dev/null && [[ $native_dir != *[[:space:]]* ]]; then
  native_option="-Djava.library.path=$native_dir"
  for so in "$native_dir"/libzstd-jni-*.so; do
    if [[ -f $so ]]; then native_option="$native_option -DZstdNativePath=$so"; fi
  done
  cli_options="$cli_options $native_option"
fi
cat >"$tmp/cli" <<EOF
#!/bin/sh
# restore-shim CLI, installed by deploy/install.sh. The AOT caches and the CLI jar only speed up
# start-up; without them the command runs the same, only slower to start.
jar='$libdir/restore-shim.jar'
aot='$libdir/restore-shim.aot'
cli_jar='$cli_jar'
cli_aot='$libdir/restore-shim-cli.aot'
case "\${1:-}" in
inspect | status | version | help)
    if [ -f "\$cli_jar" ] && [ -f "\$cli_aot" ]; then
        exec '$run_java' $cli_options -XX:AOTCache="\$cli_aot" -Xlog:disable -Xlog:all=warning:stderr --sun-misc-unsafe-memory-access=allow -cp "\$cli_jar:\$jar" dev.restoreshim.cli.Main "\$@"
    fi
    exec '$run_java' $cli_options --sun-misc-unsafe-memory-access=allow -jar "\$jar" "\$@"
    ;;
esac
if [ -f "\$aot" ]; then
    exec '$run_java' $native_option -XX:AOTCache="\$aot" -Xlog:disable -Xlog:all=warning:stderr --sun-misc-unsafe-memory-access=allow -jar "\$jar" "\$@"
fi
exec '$run_java' $native_option --sun-misc-unsafe-memory-access=allow -jar "\$jar" "\$@"
EOF
put 0755 "$tmp/cli" "$bindir/restore-shim"

# --- JDK 25 AOT caches (JEP 483/514): retrain when the jar, the JVM or the options changed ---------
# usage: train_cache CACHE "JVM OPTIONS" JAVA-ARGS... (class path, main class and the train command)
# The stamp holds the digests of every installed jar: a cache is only valid with the jars (and their
# modification times) it was trained with.
train_cache() {
  local cache=$1 options=$2 stamp=$1.stamp want
  shift 2
  want="$(cat "$libdir"/*.jar | sha256sum | cut -c1-64) $run_java $java_version $options $*"
  if [[ -f $cache && -f $stamp && $(cat "$stamp") == "$want" ]]; then
    return 0
  fi
  log "training $(basename "$cache") ($*, $options)"
  rm -f "$cache.tmp"
  # shellcheck disable=SC2086 # options split on spaces on purpose
  if (cd "$tmp" && "$run_java" $options -XX:AOTCacheOutput="$cache.tmp" --sun-misc-unsafe-memory-access=allow "$@" \
        >"$tmp/train.log" 2>&1) && [[ -f $cache.tmp ]]; then
    mv -f "$cache.tmp" "$cache"
    printf '%s\n' "$want" >"$stamp"
    changed+=("$cache")
  else
    rm -f "$cache.tmp"
    log "AOT training of $(basename "$cache") failed (start-up will be slower; details follow)"
    tail -n 5 "$tmp/train.log" >&2 || true
  fi
}

daemon_options=$(sed -n "s/^DEFAULT_JAVA_OPTIONS='\(.*\)'\$/\1/p" "$repo/deploy/containerd-shim-restore-v2")
help=$("$java" -jar "$libdir/restore-shim.jar" help 2>/dev/null || true)
# The daemon's cache is trained with the daemon's default JVM options (the launcher's
# DEFAULT_JAVA_OPTIONS), so that it matches the JVM configuration (GC, compiler) it is used with.
# `train` drives the TTRPC path only: the JVM loads every cached class at start-up, and gRPC's client
# side (`train --grpc`) would add about 6 MiB to the daemon's RSS.
if grep -q '^  train ' <<<"$help"; then
  train_cache "$libdir/restore-shim.aot" "$daemon_options" -jar "$libdir/restore-shim.jar" train
else
  train_cache "$libdir/restore-shim.aot" "$daemon_options" -jar "$libdir/restore-shim.jar" version
fi
# The CLI's cache: its own workload (inspect, status; no daemon) with the CLI wrapper's options and
# class path.
if [[ -f $cli_jar ]] && grep -q -- '--cli runs' <<<"$help"; then
  train_cache "$libdir/restore-shim-cli.aot" "$cli_options" -cp "$cli_jar:$libdir/restore-shim.jar" \
    dev.restoreshim.cli.Main train --cli
else
  rm -f "$libdir/restore-shim-cli.aot" "$libdir/restore-shim-cli.aot.stamp"
fi

# --- config ---------------------------------------------------------------------------------------
config=$sysconfdir/restore-shim/config.toml
if [[ ! -e $config ]]; then
  install -D -m 0644 "$repo/deploy/config.toml.example" "$config"
  changed+=("$config")
fi

if [[ ${#changed[@]} -eq 0 ]]; then
  log "restore-shim $version already installed in $prefix"
else
  log "restore-shim $version installed: ${changed[*]}"
  if [[ $upgrade == true ]]; then
    log "a node daemon started before this install keeps serving its pods with the old version; the launcher" \
      "replaces it at the first pod start that finds it without tasks (drain the node to upgrade at once)"
  fi
fi
log "register the handler: deploy/containerd/restore-shim.toml (containerd) or deploy/crio/10-restore-shim.conf (CRI-O)"
