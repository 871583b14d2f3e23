#!/usr/bin/env bash
# Live interoperability with the Java stacks: Apache CXF and Eclipse Metro (interop/).
#
# Builds both peers (interop/java/build.sh: Debian JDK 17 + Maven, Maven Central), starts one
# server JVM per peer that publishes every profile of interop/<peer>/wsdl/, runs the peer's own
# client over every cell of interop/<peer>/cells.txt in one client JVM (peer <-> peer), checks
# the server's delivery log (each message exactly once, in order), and prints one line per cell
# and the matrix, also written to target/interop-matrix-java.md. Wire captures of every message,
# client and server side, are kept under target/interop-java/<peer>/.
#
#   scripts/interop-java.sh                  both peers
#   scripts/interop-java.sh cxf|metro        one peer
#   scripts/interop-java.sh --wsrx [peer…]   also every cell with wsrx on one side: `wsrx send` ->
#                                            peer server, peer client -> `wsrx serve` (the baseline
#                                            of what wsrx fails today: XFAIL rows, not counted)
#   WSRX_INTEROP_SKIP_BUILD=1 …             reuse the last build
# Ends with "N passed, M failed"; exits non-zero when M > 0 (peer <-> peer cells only).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/target/interop-java
MATRIX=$ROOT/target/interop-matrix-java.md
WITH_WSRX=""
if [ "${1:-}" = --wsrx ]; then WITH_WSRX=1; shift; fi
PEERS=${*:-cxf metro}
declare -A HTTP_PORT=([cxf]=${CXF_HTTP_PORT:-18181} [metro]=${METRO_HTTP_PORT:-18281})
declare -A HTTPS_PORT=([cxf]=${CXF_HTTPS_PORT:-18443} [metro]=${METRO_HTTPS_PORT:-18543})
declare -A VERSION=([cxf]="Apache CXF 4.2.3" [metro]="Eclipse Metro 4.0.4")
# wsrx serve, peer client -> wsrx: http SOAP 1.1, http SOAP 1.2, https SOAP 1.1, https SOAP 1.2
WSRX_BASE_PORT=${WSRX_BASE_PORT:-19001}

if [ -z "${WSRX_INTEROP_SKIP_BUILD:-}" ]; then
  mkdir -p "$ROOT/target"
  if ! bash interop/java/build.sh > "$ROOT/target/interop-java-build.log" 2>&1; then
    tail -40 "$ROOT/target/interop-java-build.log"; echo "0 passed, 1 failed"; exit 1
  fi
  if [ -n "$WITH_WSRX" ]; then cargo build -q -p wsrx || { echo "0 passed, 1 failed"; exit 1; }; fi
fi
WSRX=${CARGO_TARGET_DIR:-$ROOT/target}/debug/wsrx
KEYS=$ROOT/target/interop/keys
# wsrx's pre-established SCT, for the cells whose bootstrap `wsrx send` cannot run
SCT=urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1
SECRET=c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=

PASS=0; FAIL=0; XPASS=0; XFAIL=0; ROWS=()
SERVER_PID=""; WSRX_PIDS=()
stop_server() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi; SERVER_PID=""; }
stop_wsrx() { local p; for p in "${WSRX_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; WSRX_PIDS=(); }
trap 'stop_server; stop_wsrx' EXIT

cells_of() { grep -v -E '^[[:space:]]*(#|$)' "$1"; }

# $1 delivery log, $2 endpoint, $3 cell, $4 count: the cell's texts exactly once, in order.
check_delivery() {
  local got want
  got=$(awk -F'\t' -v e="$2" -v c="$3-" '$1==e && index($4,c)==1 {print $4}' "$1" | tr '\n' ' ')
  want=$(for i in $(seq 1 "$4"); do printf '%s ' "$3-$i"; done)
  [ "$got" = "$want" ] || { echo "delivery: expected [$want] got [$got]"; return 1; }
}

# The first error a log shows after line $2, in the peer's own words: the first line naming an
# exception, a SEVERE record, a Metro message code or a wsrx refusal, with the line after it (CXF
# and Metro put the exception's message there); a WARNING only when nothing else is there.
first_error() {
  local new hit
  new=$(tail -n +"$(( $2 + 1 ))" "$1" | sed 's/\x1b\[[0-9;]*m//g')
  hit=$(printf '%s\n' "$new" | grep -n -m1 -E 'has thrown exception|^SEVERE: |^Caused by: |(WSRM|WSS|WSSC|WST|WSSTUBE|WSP)[0-9]{3,}|refused|ERROR' | cut -d: -f1)
  [ -z "$hit" ] && hit=$(printf '%s\n' "$new" | grep -n -m1 -E '^WARNING: |WARN' | cut -d: -f1)
  [ -z "$hit" ] && return 0
  printf '%s\n' "$new" | sed -n "${hit}p;$((hit+1))p" | sed -e 's/^[[:space:]]*//' | tr '\n' ' ' | cut -c1-400
}

wsrx_args() { # $1 profile, $2 mode, $3 peer -> the options `wsrx send` has for this cell
  local a="" suite=Basic256
  case $1 in *soap11) a="$a --soap 1.1";; *) a="$a --soap 1.2";; esac
  case $1 in *rm10*) a="$a --rm 1.0";; *) a="$a --rm 1.1";; esac
  [ "$2" = rr ] && a="$a --request-reply --offer"
  [ -n "${3:-}" ] && a="$a --peer $3"   # the peer's profile (docs/sequence-binding.md)
  [ "${3:-}" = cxf ] && suite=Basic256Sha256   # the profiles' sp:AlgorithmSuite
  case $1 in
    ut-tls*) a="$a --username alice --password secret --ca $KEYS/ca.pem";;
    x509-encsig*) a="$a --bootstrap x509 --server-cert $KEYS/server.pem --suite $suite --encrypt-signature";;
    x509-rm10*) a="$a --bootstrap x509 --server-cert $KEYS/server.pem --suite $suite --sc 1.3";;  # RM 1.0 with SC 1.3
    x509*) a="$a --bootstrap x509 --server-cert $KEYS/server.pem --suite $suite";;
    *) a="$a --sct-id $SCT --sct-secret $SECRET";;  # no unsecured mode in wsrx send
  esac
  echo "$a"
}

row() { # $1 peer, $2 direction, $3 name, $4 profile, $5 mode, $6 verdict, $7 detail
  echo "$6 $2 $3 | $7"
  ROWS+=("| ${VERSION[$1]} | $2 | $3 | $4 | $5 | $6 | ${7//|/\\|} |")
}
xrow() { # as row, $6 = exit status; wsrx cells are a baseline: XFAIL, not counted
  local v=XFAIL; if [ "$6" = 0 ]; then v=XPASS; XPASS=$((XPASS+1)); else XFAIL=$((XFAIL+1)); fi
  row "$1" "$2" "$3" "$4" "$5" "$v" "$7"
}

wsrx_send_cells() { # $1 peer, $2 dir: wsrx send -> the peer's server, every cell
  local peer=$1 dir=$2 name profile url count mode before rc ours theirs
  mkdir -p "$dir/wsrx-send"; "$WSRX" keys generate "$dir/wsrx-send/ring.keys" >/dev/null 2>&1
  while read -r name profile url count mode; do
    before=$(wc -l < "$dir/server.log")
    # shellcheck disable=SC2046
    WSRX_LOG=${WSRX_LOG:-info} timeout 60 "$WSRX" send --to "$url" --count "$count" --timeout 15 \
      --store "$dir/wsrx-send/$name.db" --keyring "$dir/wsrx-send/ring.keys" $(wsrx_args "$profile" "$mode" "$peer") \
      > "$dir/wsrx-send/$name.log" 2>&1 < /dev/null
    rc=$?
    sleep 1
    ours=$(sed 's/\x1b\[[0-9;]*m//g' "$dir/wsrx-send/$name.log" | grep -v '^\s*$' | tail -1 | cut -c1-300)
    theirs=$(first_error "$dir/server.log" "$before")
    xrow "$peer" "wsrx → $peer" "$name" "$profile" "$mode" "$rc" "wsrx: ${ours:-exit $rc}; $peer: ${theirs:-(no error logged)}"
  done < <(cells_of "$dir/cells.txt")
}

peer_client_to_wsrx() { # $1 peer, $2 dir: the peer's client -> wsrx serve, every cell
  local peer=$1 dir=$2/to-wsrx i port soap tls name profile url count mode scheme before line verdict serr
  rm -rf "$dir"; mkdir -p "$dir"; "$WSRX" keys generate "$dir/ring.keys" >/dev/null 2>&1
  for i in 0 1 2 3; do
    port=$((WSRX_BASE_PORT + i)); soap=1.1; tls=""
    case $i in 1|3) soap=1.2;; esac
    case $i in 2|3) tls="--tls-cert $KEYS/server.pem --tls-key $KEYS/server.key";; esac
    # shellcheck disable=SC2086
    WSRX_LOG=${WSRX_LOG:-info} "$WSRX" serve --listen "127.0.0.1:$port" --store "$dir/serve-$port.db" \
      --keyring "$dir/ring.keys" --soap $soap --peer "$peer" --user alice:secret --sct-id $SCT --sct-secret $SECRET \
      --x509-cert "$KEYS/server.pem" --x509-key "$KEYS/server.key" \
      --delivery-log "$dir/delivered-$port.jsonl" $tls > "$dir/serve-$port.log" 2>&1 &
    WSRX_PIDS+=($!)
  done
  sleep 1
  # One client JVM per cell, so that each cell's lines of the wsrx serve logs are its own.
  while read -r name profile url count mode; do
    i=1; case $profile in *soap11) i=0;; esac
    scheme=http; case $profile in ut-tls*) i=$((i + 2)); scheme=https;; esac
    port=$((WSRX_BASE_PORT + i)); url=$scheme://127.0.0.1:$port/$profile
    before=$(wc -l < "$dir/serve-$port.log")
    timeout 120 interop/$peer/run.sh client --capture "$dir/client" --cell "$name $profile $url $count $mode" \
      --cell-timeout 45 --ack-wait-ms 10000 > "$dir/client-$name.log" 2>&1 < /dev/null
    line=$(grep -m1 "^RESULT $name " "$dir/client-$name.log" || echo "RESULT $name FAIL client: no result")
    verdict=$(echo "$line" | cut -d' ' -f3)
    serr=$(first_error "$dir/serve-$port.log" "$before")
    xrow "$peer" "$peer → wsrx" "$name" "$profile" "$mode" "$([ "$verdict" = PASS ] && echo 0 || echo 1)" \
      "$peer: $(echo "$line" | cut -d' ' -f4- | cut -c1-400); wsrx serve: ${serr:-(nothing logged)}"
  done < <(cells_of "$2/cells.txt")
  stop_wsrx
}

for peer in $PEERS; do
  dir=$OUT/$peer; rm -rf "$dir"; mkdir -p "$dir"
  http=${HTTP_PORT[$peer]}; https=${HTTPS_PORT[$peer]}
  echo "== $peer: server on http $http, https $https"
  interop/$peer/run.sh server --http-port "$http" --https-port "$https" --capture "$dir/server" \
    --delivery-log "$dir/delivered.tsv" > "$dir/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 120); do grep -q '^READY' "$dir/server.log" && break; kill -0 $SERVER_PID 2>/dev/null || break; sleep 0.5; done
  if ! grep -q '^READY' "$dir/server.log"; then
    tail -30 "$dir/server.log"; echo "FAIL $peer server did not start"; FAIL=$((FAIL+1)); stop_server; continue
  fi
  sed -e "s#{http}#http://127.0.0.1:$http#; s#{https}#https://127.0.0.1:$https#" interop/$peer/cells.txt > "$dir/cells.txt"
  timeout 900 interop/$peer/run.sh client --capture "$dir/client" --cells "$dir/cells.txt" > "$dir/client.log" 2>&1 < /dev/null
  if [ -n "$WITH_WSRX" ]; then wsrx_send_cells "$peer" "$dir"; fi
  stop_server
  while read -r name profile url count mode; do
    line=$(grep -m1 "^RESULT $name " "$dir/client.log" || echo "RESULT $name FAIL client: no result (see $dir/client.log)")
    verdict=$(echo "$line" | cut -d' ' -f3); detail=$(echo "$line" | cut -d' ' -f4-)
    if [ "$verdict" = PASS ] && ! d=$(check_delivery "$dir/delivered.tsv" "$profile" "$name" "$count"); then
      verdict=FAIL; detail=$d
    fi
    [ "$verdict" = PASS ] && PASS=$((PASS+1)) || FAIL=$((FAIL+1))
    row "$peer" "$peer → $peer" "$name" "$profile" "$mode" "$verdict" "$detail"
  done < <(cells_of "$dir/cells.txt")
  if [ -n "$WITH_WSRX" ]; then peer_client_to_wsrx "$peer" "$dir"; fi
done

{
  echo "# Java interop matrix"
  echo
  echo "Written by \`scripts/interop-java.sh${WITH_WSRX:+ --wsrx}\` on $(date -u +%Y-%m-%dT%H:%M:%SZ)."
  echo "Profiles: \`interop/<peer>/wsdl/\`; cells: \`interop/<peer>/cells.txt\`; XFAIL: a wsrx cell failing today (baseline, \`interop/BASELINE.md\`)."
  echo
  echo "| peer | direction | cell | profile | mode | result | detail |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} > "$MATRIX"
echo "matrix: $MATRIX"
[ -n "$WITH_WSRX" ] && echo "wsrx cells (baseline, not counted): $XPASS passed, $XFAIL failed"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
