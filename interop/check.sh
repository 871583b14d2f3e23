#!/bin/sh
# Builds every peer (interop/build.sh) and runs the peers' cross-checks on loopback, without
# wsrx: gSOAP <-> gSOAP live WS-RM, WSS4J's self-test and its verdict on the committed gSOAP
# captures, WSS4J-signed CreateSequence into the gSOAP server, xmlsec1 on gSOAP and WSS4J
# signatures, the gSOAP WS-Trust RST against canned responses. Ends with "N passed, M failed".
# Needs curl and python3.   usage: interop/check.sh
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/interop/common.sh"
I=$ROOT/interop
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PASS=0; FAIL=0
ok()   { PASS=$((PASS+1)); echo "PASS: $*"; }
bad()  { FAIL=$((FAIL+1)); echo "FAIL: $*"; }
check() { name=$1; shift; if "$@" >"$WORK/check.out" 2>&1; then ok "$name"; else bad "$name"; tail -5 "$WORK/check.out"; fi; }

SEC=c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=     # demo SCT secret (32 bytes)
SCT=urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1     # demo SCT wsc:Identifier
CAPTURES=$ROOT/testdata/gsoap

check "build the peers" sh "$I/build.sh"

# --- gSOAP <-> gSOAP live WS-RM 1.1 on loopback ---------------------------------
for m in plain offer sct dkt; do
  check "gSOAP live WS-RM ($m)" sh "$I/gsoap/run_demo.sh" $m 8089 "$WORK/$m.log"
done

# --- WSS4J ------------------------------------------------------------------------
check "WSS4J selftest (sign/verify round trips)" sh "$I/wss4j/oracle.sh" selftest
n=0
for f in "$CAPTURES"/sct-hmac/*.xml "$CAPTURES"/sct-dkt/*.xml; do
  sh "$I/wss4j/oracle.sh" verify -q --no-timestamp-check --secret $SEC --sct-id $SCT "$f" >"$WORK/v.out" 2>&1 \
    && grep -q 'VERIFIED OK' "$WORK/v.out" || { n=$((n+1)); echo "  not verified: $f"; }
done
[ $n -eq 0 ] && ok "WSS4J verifies all gSOAP SCT/DKT-signed RM messages" || bad "WSS4J verifies gSOAP messages ($n failures)"

# --- WSS4J-signed CreateSequence (STR + UsesSequenceSTR) -> gSOAP server -----------
post() { # $1 file, $2 expected grep pattern
  "$PEERS/gsoap/bin/rm_server" -p 8093 -n 1 --sct $SCT --secret $SEC --require-signature >/dev/null 2>&1 &
  S=$!; sleep 0.3
  curl -s -H 'Content-Type: application/soap+xml; charset=utf-8' --data-binary @"$1" http://127.0.0.1:8093/echo >"$WORK/r.xml"
  wait $S
  grep -q "$2" "$WORK/r.xml"
}
for v in "dkt-local:" "dkt-external:--sct-ref external" "dkt-sha256:--alg hmac-sha256 --dk-length 32" "sct-direct:--no-dkt"; do
  n=${v%%:*}; a=${v#*:}
  sh "$I/wss4j/oracle.sh" sign --sct-id $SCT --secret $SEC --sign-headers $a "$I/gsoap/samples/cs-soap12-with-str.xml" "$WORK/$n.xml" 2>/dev/null
  check "gSOAP server accepts WSS4J-signed CreateSequence ($n)" post "$WORK/$n.xml" '<wsrm:Identifier>'
done
sh "$I/wss4j/oracle.sh" sign --sct-id $SCT --secret "$(head -c 32 /dev/urandom | base64)" "$I/gsoap/samples/cs-soap12-with-str.xml" "$WORK/wrong.xml" 2>/dev/null
check "gSOAP server rejects CreateSequence signed with a wrong SCT secret" post "$WORK/wrong.xml" 'FailedCheck\|signature or decryption was invalid'

# --- xmlsec1 as a plain XML-DSig verifier --------------------------------------------
check "xmlsec1 verifies gSOAP SCT-HMAC Echo" sh "$I/xmlsec/verify_xmlsec1.sh" "$CAPTURES/sct-hmac/03-req-Echo.xml" $SEC
sed 's/hello 1/hello X/' "$CAPTURES/sct-hmac/03-req-Echo.xml" > "$WORK/tampered.xml"
check "xmlsec1 rejects a tampered Body" sh -c "! sh '$I/xmlsec/verify_xmlsec1.sh' '$WORK/tampered.xml' $SEC"
# WSS4J DKT sample: derive the key with WSS4J's P_SHA1, verify with xmlsec1
NONCE=$(sh "$I/wss4j/oracle.sh" verify --no-timestamp-check --secret $SEC "$ROOT/testdata/wss4j/echo-dkt-signed.xml" | grep -o 'nonce=[^ ]*' | cut -d= -f2-)
DK=$(sh "$I/wss4j/oracle.sh" psha1 --secret $SEC --label WS-SecureConversationWS-SecureConversation --nonce "$NONCE" --length 20 | awk '/base64/{print $2}')
check "xmlsec1 verifies WSS4J DKT signature with the P_SHA1-derived key" sh "$I/xmlsec/verify_xmlsec1.sh" "$ROOT/testdata/wss4j/echo-dkt-signed.xml" "$DK"

# --- WS-Trust RST (gSOAP) + P_SHA1 agreement ------------------------------------------
check "gSOAP RST for SCT + soap_psha1 == WSS4J P_SHA1" sh -c "sh '$I/gsoap/rst/run.sh' | grep -q 'P_SHA1 agrees'"

echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
