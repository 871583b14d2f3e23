#!/bin/sh
# Builds the live peers of the interop tests into ${CARGO_TARGET_DIR:-target}/interop/peers,
# installing the Debian packages they need when missing (apt-get, as root).
#
#   interop/build.sh                 all peers: gsoap, wss4j, xmlsec, postgres, chromium
#   interop/build.sh wss4j xmlsec    only those
#   interop/build.sh --no-install …  never install: exit 3 when a package is missing
#
# gsoap   gSOAP 2.8 WS-RM client and server (rm_client, rm_server) and the WS-Trust RST client
# wss4j   Apache WSS4J 1.6 + Santuario oracle (WsscOracle: sign, verify, psha1, selftest)
# xmlsec  the xmlsec1 command-line verifier
# postgres PostgreSQL's server programs and HAProxy (the store's cluster tests)
# chromium Debian's chromium and chromium-driver (the web console's headless test)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = --no-install ]; then
  export WSRX_NO_INSTALL=1
  shift
fi
[ $# -gt 0 ] || set -- gsoap wss4j xmlsec postgres chromium
for peer in "$@"; do
  case $peer in
    gsoap) sh "$ROOT/interop/gsoap/build.sh" && sh "$ROOT/interop/gsoap/rst/build.sh" ;;
    wss4j) sh "$ROOT/interop/wss4j/build.sh" ;;
    xmlsec) sh "$ROOT/interop/xmlsec/build.sh" ;;
    postgres) sh "$ROOT/interop/postgres/build.sh" ;;
    chromium) sh "$ROOT/interop/chromium/build.sh" ;;
    *) echo "unknown peer: $peer (gsoap, wss4j, xmlsec, postgres, chromium)" >&2; exit 2 ;;
  esac
done
