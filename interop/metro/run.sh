#!/usr/bin/env bash
# Runs the metro peer built by interop/java/build.sh:
#   interop/metro/run.sh server --http-port N --https-port N --capture DIR --delivery-log FILE
#   interop/metro/run.sh client --capture DIR (--cells FILE | --cell "name profile url count oneway|rr")...
# --keys and --wsdl-dir default to target/interop/keys and interop/metro/wsdl.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/target/interop/java/metro
mode=$1; shift
exec java -cp "$B/classes:$B/lib/*" dev.wsrx.interop.metro.Main "$mode" --keys "$ROOT/target/interop/keys" \
  --wsdl-dir "$ROOT/interop/metro/wsdl" "$@"
