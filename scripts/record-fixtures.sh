#!/usr/bin/env bash
# Re-records the captures from live peers that the tests read (testdata/gsoap, testdata/wss4j)
# with the repository's own harnesses (interop/), so that anyone can regenerate them.
#
#   scripts/record-fixtures.sh [gsoap] [wss4j]            record into target/interop/fixtures/
#   scripts/record-fixtures.sh --replace [gsoap] [wss4j]  … then swap them into testdata/
#
# gsoap: builds the gSOAP peers (interop/build.sh gsoap), runs rm_client -> rm_server on
#   loopback for the four scenarios (plain, offer, sct-hmac, sct-dkt; interop/gsoap/run_demo.sh),
#   splits each HTTP transcript into one file per message (interop/tools/split_transcript.py)
#   and writes their manifest.toml (interop/tools/gsoap_manifest.py).
# wss4j: signs (and encrypts) the two unsigned inputs of testdata/wss4j with the WSS4J oracle
#   (interop/wss4j/oracle.sh sign), 10-year Timestamps, the demo SCT; checks each with
#   `oracle.sh verify`.
# Needs python3 (gsoap). New recordings have new identifiers, nonces and times: run
# `cargo test --workspace` after --replace, and commit the folder with its MANIFEST.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
OUT=$TARGET/interop/fixtures
SCT=urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1
SECRET=c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=
REPLACE=0
if [ "${1:-}" = --replace ]; then REPLACE=1; shift; fi
[ $# -gt 0 ] || set -- gsoap wss4j

record_gsoap() {
  sh "$ROOT/interop/build.sh" gsoap
  local dir=$OUT/gsoap port=18190
  rm -rf "$dir" && mkdir -p "$dir"
  for mode in plain offer sct dkt; do
    case $mode in sct) name=sct-hmac ;; dkt) name=sct-dkt ;; *) name=$mode ;; esac
    port=$((port+1))
    sh "$ROOT/interop/gsoap/run_demo.sh" "$mode" "$port" "$dir/$name.log" > "$dir/$name.out" 2>&1 \
      || { cat "$dir/$name.out"; echo "gSOAP scenario $mode failed" >&2; exit 1; }
    python3 "$ROOT/interop/tools/split_transcript.py" "$dir/$name.log" "$dir/$name" > /dev/null
    rm -f "$dir/$name.log" "$dir/$name.out"
    # CreateSequence, 3 x Echo, CloseSequence, TerminateSequence and their responses.
    count=$(ls "$dir/$name" | wc -l)
    [ "$count" = 12 ] || { echo "gsoap/$name: $count messages, expected 12" >&2; exit 1; }
    echo "gsoap/$name: $count messages"
  done
  python3 "$ROOT/interop/tools/gsoap_manifest.py" "$dir" > "$dir/manifest.toml"
}

record_wss4j() {
  sh "$ROOT/interop/build.sh" wss4j
  local dir=$OUT/wss4j in=$ROOT/testdata/wss4j oracle="sh $ROOT/interop/wss4j/oracle.sh"
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$in/echo-unsigned.xml" "$in/createsequence-str-unsigned.xml" "$dir/"
  local common="--sct-id $SCT --secret $SECRET --sign-headers --ttl 315360000"
  $oracle sign $common "$in/echo-unsigned.xml" "$dir/echo-dkt-signed.xml"
  $oracle sign $common --no-dkt "$in/echo-unsigned.xml" "$dir/echo-sct-signed.xml"
  $oracle sign $common --encrypt "$in/echo-unsigned.xml" "$dir/echo-dkt-signed-encrypted.xml"
  $oracle sign $common "$in/createsequence-str-unsigned.xml" "$dir/createsequence-str-dkt-signed.xml"
  # Axis2/Rampart's secure-conversation shape (testdata/policies/variants/rampart-sc-*.xml):
  # only the Timestamp signed, Body and signature encrypted, 16-byte derived keys, AES-128;
  # then the same with the Timestamp left unsigned, and two copies whose Body is replaced.
  local rampart="--sct-id $SCT --secret $SECRET --ttl 315360000 --encrypt-signature --dk-length 16 --enc-alg aes128"
  $oracle sign $rampart --sign-timestamp-only "$in/echo-unsigned.xml" \
    "$dir/rampart-sc-timestamp-signed-body-signature-encrypted.xml"
  $oracle sign $rampart --sign-body-only "$in/echo-unsigned.xml" "$dir/rampart-sc-timestamp-unsigned.xml"
  python3 - "$dir" <<'PY'
import re, sys
d = sys.argv[1]
s = open(f"{d}/rampart-sc-timestamp-signed-body-signature-encrypted.xml").read()
i = s.index("<SOAP-ENV:Body>") + len("<SOAP-ENV:Body>")
j = s.index("</SOAP-ENV:Body>")
body_id = re.search(r'<SOAP-ENV:Body><xenc:EncryptedData Id="([^"]+)"', s).group(1)
replaced = s[:i] + "<ns:Echo><ns:text>pay the attacker</ns:text></ns:Echo>" + s[j:]
open(f"{d}/rampart-sc-body-replaced.xml", "w").write(replaced)
unlisted = replaced.replace(f'<xenc:DataReference URI="#{body_id}"/>', "")
open(f"{d}/rampart-sc-body-replaced-unlisted.xml", "w").write(unlisted)
PY
  for f in "$dir"/*-signed*.xml; do
    $oracle verify -q --secret $SECRET --sct-id $SCT "$f" | grep -q 'VERIFIED OK' \
      || { echo "WSS4J does not verify its own $f" >&2; exit 1; }
  done
  echo "wss4j: $(ls "$dir" | wc -l) files"
}

for what in "$@"; do
  case $what in
    gsoap) record_gsoap ;;
    wss4j) record_wss4j ;;
    *) echo "unknown fixture set: $what (gsoap, wss4j)" >&2; exit 2 ;;
  esac
  if [ $REPLACE = 1 ]; then
    # Keep the folder's own MANIFEST.md and NOTICE; replace the recorded files.
    keep=$(mktemp -d)
    cp "$ROOT/testdata/$what/MANIFEST.md" "$ROOT/testdata/$what/NOTICE" "$keep/"
    rm -rf "$ROOT/testdata/$what"
    cp -r "$OUT/$what" "$ROOT/testdata/$what"
    cp "$keep/MANIFEST.md" "$keep/NOTICE" "$ROOT/testdata/$what/"
    rm -rf "$keep"
    echo "replaced testdata/$what (update the inventory in its MANIFEST.md)"
  else
    echo "recorded into $OUT/$what (compare with testdata/$what; --replace swaps them in)"
  fi
done
