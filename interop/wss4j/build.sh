#!/bin/sh
# Compiles WsscOracle.java against Debian's WSS4J 1.6 + Santuario jars into
# ${CARGO_TARGET_DIR:-target}/interop/peers/wss4j/classes (no Maven; nothing downloaded besides
# Debian packages, installed when missing unless WSRX_NO_INSTALL=1: then exit 3).
# Recompiles only when the class is missing or older than the source.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/interop/common.sh"
OUT=$PEERS/wss4j
if ! command -v javac >/dev/null || ! command -v java >/dev/null \
   || [ -n "$(sh "$HERE/classpath.sh" --missing)" ]; then
  need_packages default-jdk-headless libwss4j-java libxml-security-java libcommons-logging-java \
    libcommons-codec-java libslf4j-java libwoodstox-java
  command -v javac >/dev/null || missing_prerequisite "javac"
  gone=$(sh "$HERE/classpath.sh" --missing)
  [ -z "$gone" ] || missing_prerequisite "$gone"
fi
if [ -f "$OUT/classes/WsscOracle.class" ] && [ ! "$HERE/WsscOracle.java" -nt "$OUT/classes/WsscOracle.class" ]; then
  exit 0
fi
# Compile beside the final folder and rename it into place, so that a test binary
# reading the classes never sees a half-written folder.
mkdir -p "$OUT"
tmp=$(mktemp -d "$OUT/classes.XXXXXX")
javac -nowarn -cp "$(sh "$HERE/classpath.sh")" -d "$tmp" "$HERE/WsscOracle.java"
rm -rf "$OUT/classes"
mv "$tmp" "$OUT/classes"
echo "built: $OUT/classes/WsscOracle.class (run: interop/wss4j/oracle.sh selftest)"
