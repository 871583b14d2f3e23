#!/usr/bin/env bash
# Builds the Java interop peers (Apache CXF, Eclipse Metro) into target/interop/java/{cxf,metro}
# and makes throw-away keys in target/interop/keys. Installs the Debian JDK 17 and Maven when
# missing (apt-get, non-interactive). Dependencies come from Maven Central.
#   interop/java/build.sh            (from anywhere; paths are relative to the repository)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
need=""
command -v javac >/dev/null 2>&1 || need="$need openjdk-17-jdk-headless"
command -v mvn >/dev/null 2>&1 || need="$need maven"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
if [ -n "$need" ]; then
  echo "installing:$need"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
command -v keytool >/dev/null 2>&1 || { echo "keytool missing (JDK)" >&2; exit 1; }
for peer in cxf metro; do
  echo "== building the $peer peer"
  (cd "$ROOT/interop/$peer" && mvn -B -q -Dinterop.build.dir="$ROOT/target/interop/java/$peer" package)
done
"$ROOT/interop/java/keys.sh" "$ROOT/target/interop/keys" >/dev/null
echo "built: target/interop/java/{cxf,metro}, keys in target/interop/keys"
