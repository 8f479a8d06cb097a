#!/usr/bin/env bash
# Prints the home of a JDK 25 on this machine (Temurin or Debian's), or fails with a clear line.
for d in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64; do
  if [[ -n "$d" && -x "$d/bin/javac" ]] && "$d/bin/java" -version 2>&1 | grep -q 'version "25'; then
    echo "$d"; exit 0
  fi
done
echo "find-jdk: no JDK 25 found (run deploy/setup-host.sh)" >&2
exit 1
