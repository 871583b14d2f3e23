#!/bin/sh
# usage: interop/wss4j/oracle.sh sign|verify|psha1|selftest ...   (see WsscOracle.java)
# Builds the oracle first when needed (interop/wss4j/build.sh).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/interop/common.sh"
sh "$HERE/build.sh" >&2
exec java -cp "$PEERS/wss4j/classes:$(sh "$HERE/classpath.sh")" WsscOracle "$@"
