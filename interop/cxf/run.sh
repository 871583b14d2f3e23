#!/usr/bin/env bash
# Runs the cxf peer built by interop/java/build.sh:
#   interop/cxf/run.sh server --http-port N --https-port N --capture DIR --delivery-log FILE
#   interop/cxf/run.sh client --capture DIR (--cells FILE | --cell "name profile url count oneway|rr")...
# --keys and --wsdl-dir default to target/interop/keys and interop/cxf/wsdl.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/target/interop/java/cxf
mode=$1; shift
exec java -cp "$B/classes:$B/lib/*" dev.wsrx.interop.cxf.Main "$mode" --keys "$ROOT/target/interop/keys" \
  --wsdl-dir "$ROOT/interop/cxf/wsdl" "$@"
