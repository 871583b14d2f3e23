#!/usr/bin/env bash
# Builds the Java interop peers (Apache CXF, Eclipse Metro) into target/interop/java/{cxf,metro}
# and makes throw-away keys in target/interop/keys. Installs the Debian JDK 17 and Maven when
# missing (apt-get, non-interactive). Dependencies and Maven's plugins come from Maven Central
# (the poms pin every version); the peers run from the copies in target/interop/java/<peer>/lib,
# not from the Maven repository.
#   interop/java/build.sh            (from anywhere; paths are relative to the repository)
#   WSRX_MAVEN_REPO=DIR interop/java/build.sh   use DIR as Maven's local repository (e.g. an
#                                    empty one, to check that Maven Central is all it needs)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
need=""
command -v javac >/dev/null 2>&1 || need="$need openjdk-17-jdk-headless"
command -v mvn >/dev/null 2>&1 || need="$need maven"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
command -v python3 >/dev/null 2>&1 || need="$need python3"   # scripts/interop-java.sh's judge
# interop/java/verify_captures.py (RSA-OAEP and AES-CBC, to recompute the contexts' secrets)
python3 -c 'import cryptography' >/dev/null 2>&1 || need="$need python3-cryptography"
if [ -n "$need" ]; then
  echo "installing:$need"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
command -v keytool >/dev/null 2>&1 || { echo "keytool missing (JDK)" >&2; exit 1; }
for peer in cxf metro; do
  echo "== building the $peer peer"
  (cd "$ROOT/interop/$peer" && mvn -B -q ${WSRX_MAVEN_REPO:+-Dmaven.repo.local="$WSRX_MAVEN_REPO"} \
    -Dinterop.build.dir="$ROOT/target/interop/java/$peer" package)
done
"$ROOT/interop/java/keys.sh" "$ROOT/target/interop/keys" >/dev/null
echo "built: target/interop/java/{cxf,metro}, keys in target/interop/keys"
