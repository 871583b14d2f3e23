#!/bin/sh
# gSOAP WS-Trust 1.3 RST for a WS-SC SCT against a canned RSTR / RSTRC served
# from loopback (there is no STS in Debian); then cross-check the computed
# key (gSOAP soap_psha1) with WSS4J's P_SHA1.   usage: interop/gsoap/rst/run.sh [PORT]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
. "$ROOT/interop/common.sh"
BIN=$PEERS/gsoap/rst/bin/rst_client
[ -x "$BIN" ] || sh "$HERE/build.sh"
PORT=${1:-8096}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
rc=0
for v in bare collection; do
  echo "== canned response: samples/rstr-$v.xml"
  python3 "$ROOT/interop/tools/canned_http.py" "$PORT" "$HERE/samples/rstr-$v.xml" "$WORK/rst-request-$v.xml" &
  P=$!
  sleep 0.3
  "$BIN" "http://127.0.0.1:$PORT/sts" | tee "$WORK/out-$v.txt" || rc=$?
  wait $P || true
done
CE=$(awk '/client entropy/{print $4}' "$WORK/out-bare.txt")
SE=$(awk '/server entropy/{print $4}' "$WORK/out-bare.txt")
K=$(awk '/computed key/{print $4}' "$WORK/out-bare.txt")
W=$(sh "$ROOT/interop/wss4j/oracle.sh" psha1 --secret "$CE" --label "" --nonce "$SE" --length 32 | awk '/base64/{print $2}')
echo "gSOAP soap_psha1 : $K"
echo "WSS4J P_SHA1     : $W"
[ "$K" = "$W" ] && echo "P_SHA1 agrees"
