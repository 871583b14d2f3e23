#!/bin/sh
# Live loopback run: gSOAP WS-RM client <-> gSOAP WS-RM server, with the whole HTTP
# transcript appended to LOG (default ${CARGO_TARGET_DIR:-target}/interop/captures/<MODE>.log).
# usage: interop/gsoap/run_demo.sh plain|offer|sct|dkt [PORT] [LOG]
#   plain : WS-RM 1.1, no security
#   offer : WS-RM 1.1 with an Offer (duplex sequence)
#   sct   : WS-RM 1.1 + wsse:Security with wsu:Timestamp, wsc:SecurityContextToken
#           and an HMAC-SHA1 ds:Signature keyed by the SCT secret (log name sct-hmac)
#   dkt   : same, but signed with a key derived from the SCT secret
#           (wsc:DerivedKeyToken, P_SHA1) (log name sct-dkt)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/interop/common.sh"
BIN=$PEERS/gsoap/bin
[ -x "$BIN/rm_server" ] || sh "$HERE/build.sh"
MODE=${1:-plain}; PORT=${2:-8089}
# the demo SCT (agreed out of band; the same as testdata/gsoap/manifest.toml)
SCT="--sct urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1 --secret c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE="
case "$MODE" in
  plain) NAME=plain; CARGS=""; SECARGS="" ;;
  offer) NAME=offer; CARGS="-o"; SECARGS="" ;;
  sct)   NAME=sct-hmac; CARGS=""; SECARGS="$SCT --require-signature" ;;
  dkt)   NAME=sct-dkt; CARGS=""; SECARGS="$SCT --dkt --require-signature" ;;
  *) echo "usage: $0 plain|offer|sct|dkt [PORT] [LOG]"; exit 2 ;;
esac
LOG=${3:-$TARGET/interop/captures/$NAME.log}
mkdir -p "$(dirname "$LOG")"
rm -f "$LOG"
"$BIN/rm_server" -p "$PORT" -n 100 -l "$LOG" $SECARGS &
SRV=$!
trap 'kill $SRV 2>/dev/null || true' EXIT
sleep 0.5
"$BIN/rm_client" -u "http://127.0.0.1:$PORT/echo" -n 3 $CARGS $SECARGS
RC=$?
sleep 1  # let the server finish writing the last exchange to LOG before the trap stops it
echo "client exit code: $RC; transcript in $LOG"
exit $RC
