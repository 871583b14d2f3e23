#!/usr/bin/env bash
# Live interoperability with the Java stacks: Apache CXF and Eclipse Metro (interop/).
#
# Builds both peers (interop/java/build.sh: Debian JDK 17 + Maven, Maven Central) and, per peer,
# starts one server JVM that publishes every profile of interop/<peer>/wsdl/ and runs the cells
# of interop/<peer>/cells.txt:
#   peer-peer  the peer's client against its own server (one client JVM for every cell);
#   wsrx-peer  `wsrx send` against the peer's server (with --wsrx), configured from the WSDL the
#              server publishes (`--wsdl <endpoint>?wsdl`) plus credentials;
#   peer-wsrx  the peer's client against `wsrx serve` (with --wsrx; one client JVM for every
#              cell, one `wsrx serve` per cell so that each cell's log is its own).
# Each cell is judged by interop/java/matrix.py: `pass` (every step, and every message delivered
# exactly once and in order, counted by the receiving application's log) or its first failing
# step with the peer's message. The table is written to target/interop-matrix.md, the run's
# rows to target/interop-java/results.tsv, and checked against interop/expected-matrix.txt:
# the run fails on a regression (an expected pass that fails, a cell failing earlier than
# expected) and on an improvement not yet recorded (an unexpected pass, a cell getting further),
# so that the expectations file only ever gets better. Wire captures of every message and each
# side's log are kept under target/interop-java/<peer>/.
#
#   scripts/interop-java.sh [--wsrx] [--update-expected] [--update-readme] [cxf|metro …]
#     --wsrx             also the wsrx cells, both directions (what CI runs)
#     --update-expected  rewrite interop/expected-matrix.txt from this run (refused on regressions)
#     --update-readme    regenerate the README's Java interop section from target/interop-matrix.md
#   WSRX_INTEROP_SKIP_BUILD=1   reuse the last build (peers and wsrx)
#   WSRX_INTEROP_SERIAL=1       one peer after the other (default: both peers at once)
#   Ports: CXF_HTTP_PORT, CXF_HTTPS_PORT, METRO_HTTP_PORT, METRO_HTTPS_PORT, WSRX_BASE_PORT
#   (wsrx serve: WSRX_BASE_PORT + 0..49 for CXF's cells, + 50..99 for Metro's).
# Ends with "N passed, M failed" (M: cells not as expected); exits non-zero when M > 0.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
OUT=$ROOT/target/interop-java
MATRIX=$ROOT/target/interop-matrix.md
EXPECTED=$ROOT/interop/expected-matrix.txt
MATRIX_PY=$ROOT/interop/java/matrix.py
WITH_WSRX=""; UPDATE_EXPECTED=""; UPDATE_README=""
while [ $# -gt 0 ]; do
  case $1 in
    --wsrx) WITH_WSRX=1;; --update-expected) UPDATE_EXPECTED=1;; --update-readme) UPDATE_README=1;;
    -*) echo "unknown option $1" >&2; exit 2;;
    *) break;;
  esac
  shift
done
PEERS=${*:-cxf metro}
declare -A HTTP_PORT=([cxf]=${CXF_HTTP_PORT:-18181} [metro]=${METRO_HTTP_PORT:-18281})
declare -A HTTPS_PORT=([cxf]=${CXF_HTTPS_PORT:-18443} [metro]=${METRO_HTTPS_PORT:-18543})
declare -A SERVE_PORT=([cxf]=$(( ${WSRX_BASE_PORT:-19001} )) [metro]=$(( ${WSRX_BASE_PORT:-19001} + 50 )))
START=$(date +%s)

if [ -z "${WSRX_INTEROP_SKIP_BUILD:-}" ]; then
  mkdir -p "$ROOT/target"
  if ! bash interop/java/build.sh > "$ROOT/target/interop-java-build.log" 2>&1; then
    tail -40 "$ROOT/target/interop-java-build.log"; echo "0 passed, 1 failed"; exit 1
  fi
  if [ -n "$WITH_WSRX" ]; then cargo build -q -p wsrx || { echo "0 passed, 1 failed"; exit 1; }; fi
fi
WSRX=$TARGET/debug/wsrx
KEYS=$ROOT/target/interop/keys
# Peer profiles (`--peer cxf|metro`, where a stack departs from the spec) when this wsrx has them.
PEER_OPTION=""; MC_OPTION=""
if [ -n "$WITH_WSRX" ]; then
  "$WSRX" send --help 2>/dev/null | grep -q -- '--peer' && PEER_OPTION=1
  "$WSRX" send --help 2>/dev/null | grep -q -- '--make-connection' && MC_OPTION=1
fi
# The pre-established SCT of the cells whose security `wsrx send` has no option for (plain-*, mc-*).
SCT=urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1
SECRET=c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE=

cells_of() { grep -v -E '^[[:space:]]*(#|$)' "$1"; }
lines_of() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }

# The first error a log shows after line $2, in the peer's own words: the first line naming an
# exception, a SEVERE record, a Metro message code or a wsrx refusal, with the line after it (CXF
# and Metro put the exception's message there); a WARNING only when nothing else is there.
first_error() {
  local new hit
  new=$(tail -n +"$(( $2 + 1 ))" "$1" | sed 's/\x1b\[[0-9;]*m//g' | grep -v '^wsrx serve: ')  # not wsrx's start-up lines
  hit=$(printf '%s\n' "$new" | grep -n -m1 -E 'has thrown exception|^SEVERE: |^Caused by: |(WSRM|WSS|WSSC|WST|WSSTUBE|WSP)[0-9]{3,}|refused|ERROR' | cut -d: -f1)
  [ -z "$hit" ] && hit=$(printf '%s\n' "$new" | grep -n -m1 -E '^WARNING: |WARN' | cut -d: -f1)
  [ -z "$hit" ] && return 0
  printf '%s\n' "$new" | sed -n "${hit}p;$((hit+1))p" | sed -e 's/^[[:space:]]*//' | tr '\n' ' ' | cut -c1-400
}

wsrx_args() { # $1 profile, $2 mode, $3 peer, $4 url -> the options `wsrx send` has for this cell
  local a=""
  # As a user configures it: from the WSDL the peer publishes (`<url>?wsdl`: address, SOAP and
  # WS-RM versions, the message protection by its effective policy, the X.509 bootstrap's suite
  # from the sp:BootstrapPolicy, the WS-SC/WS-Trust version), credentials from options. The
  # plain-* and mc-* profiles have no token to bind sequences to, which a WSDL cannot configure
  # in wsrx (it refuses such policies): their versions are options.
  case $1 in
    plain*|mc*)
      a="--to $4"
      case $1 in *soap11) a="$a --soap 1.1";; *) a="$a --soap 1.2";; esac
      case $1 in *rm10*) a="$a --rm 1.0";; *) a="$a --rm 1.1";; esac;;
    *) a="--wsdl $4?wsdl";;
  esac
  [ "$2" = rr ] && a="$a --request-reply --offer"
  [ -n "$PEER_OPTION" ] && a="$a --peer $3"   # the peer's profile, where wsrx has them (docs/sequence-binding.md)
  case $1 in mc-*) [ -n "$MC_OPTION" ] && a="$a --make-connection";; esac   # WS-MakeConnection, no listener
  case $1 in
    ut-tls*) a="$a --username alice --password secret --ca $KEYS/ca.pem";;
    x509*) a="$a --bootstrap x509 --server-cert $KEYS/server.pem";;
    plain*|mc*) a="$a --security none";;  # plain WS-RM: explicit on both sides
    *) a="$a --sct-id $SCT --sct-secret $SECRET";;
  esac
  echo "$a"
}
bootstrap_of() { case $1 in ut-tls*|x509*) echo 1;; *) echo 0;; esac; }
rm_of() { case $1 in *rm10*) echo 1.0;; *) echo 1.1;; esac; }
# Whether the receiving application must see the messages in order: every WS-RM 1.1 profile asks
# for InOrder in its policy, and the CXF server is configured InOrder for WS-RM 1.0 (as a CXF
# user does in its RM manager); WS-RM 1.0 policy cannot ask for it, and the Metro server, run
# from policy alone, hands RM 1.0 messages over in arrival order.
inorder_of() { case $1:$2 in metro:*rm10*) echo 0;; *) echo 1;; esac; }

judge() { # matrix.py judge-* key=value… >> the peer's results, and one line for the log
  local r
  r=$(python3 "$MATRIX_PY" "$@")
  printf '%s\n' "$r" >> "$RESULTS"
  printf '%s\n' "$r" | awk -F'\t' '{ printf "%s %s %s %s%s\n", toupper($6), $2, $1, $3, ($7 == "" ? "" : " | " $7 ": " substr($8 != "" ? $8 : $9, 1, 200)) }'
}

# `wsrx send` -> the peer's server, every cell, one after the other (each cell's lines of the
# server's log and capture are told apart by where they were before it).
wsrx_send_cells() {
  local peer=$1 dir=$2 name profile url count mode before cap skip dskip rc
  mkdir -p "$dir/wsrx-send"; "$WSRX" keys generate "$dir/wsrx-send/ring.keys" >/dev/null 2>&1
  while read -r name profile url count mode; do
    before=$(lines_of "$dir/server.log")
    cap=$dir/server/$profile; skip=$(lines_of "$cap/index.tsv"); dskip=$(lines_of "$dir/delivered.tsv")
    # shellcheck disable=SC2046
    WSRX_LOG=${WSRX_LOG:-info} timeout 60 "$WSRX" send --count "$count" --timeout 15 \
      --store "$dir/wsrx-send/$name.db" --keyring "$dir/wsrx-send/ring.keys" $(wsrx_args "$profile" "$mode" "$peer" "$url") \
      > "$dir/wsrx-send/$name.log" 2>&1 < /dev/null
    rc=$?
    sleep 1
    judge judge-wsrx peer="$peer" direction=wsrx-peer cell="$name" profile="$profile" mode="$mode" count="$count" \
      log="$dir/wsrx-send/$name.log" exit="$rc" bootstrap="$(bootstrap_of "$profile")" rm="$(rm_of "$profile")" \
      server_capture="$cap" server_skip="$skip" delivered="$dir/delivered.tsv" skip="$dskip" \
      inorder="$(inorder_of "$peer" "$profile")" \
      other="$(first_error "$dir/server.log" "$before")"
  done < <(cells_of "$dir/cells.txt")
}

# How `wsrx serve` is configured for a profile, as a user would: from the WSDL the peer's client
# uses (interop/<peer>/wsdl/<profile>.wsdl: SOAP and WS-RM versions, message protection — which
# parts are signed and encrypted, EncryptSignature, the suite — for requests and answers alike);
# the profiles without security (plain-*, mc-*), which no SCT protects, with options.
serve_config() { # $1 peer, $2 profile
  case $2 in
    plain-*|mc-*) case $2 in *soap11) echo "--soap 1.1";; *) echo "--soap 1.2";; esac;;
    *) echo "--wsdl $ROOT/interop/$1/wsdl/$2.wsdl";;
  esac
}

# The peer's client -> `wsrx serve`: one wsrx serve per cell (its own port, log, delivery log),
# then one client JVM for all cells.
peer_client_to_wsrx() {
  local peer=$1 dir=$2/to-wsrx k=0 port tls scheme name profile url count mode line pids=()
  rm -rf "$dir"; mkdir -p "$dir"; "$WSRX" keys generate "$dir/ring.keys" >/dev/null 2>&1
  : > "$dir/cells.txt"
  while read -r name profile url count mode; do
    port=$(( ${SERVE_PORT[$peer]} + k )); k=$((k + 1))
    tls=""; scheme=http
    case $profile in ut-tls*) tls="--tls-cert $KEYS/server.pem --tls-key $KEYS/server.key"; scheme=https;; esac
    # The profiles without security: wsrx serve configured for sequences no token binds.
    case $profile in plain-*|mc-*) tls="$tls --allow-unbound-sequences";; esac
    # shellcheck disable=SC2086,SC2046
    WSRX_LOG=${WSRX_LOG:-info} "$WSRX" serve --listen "127.0.0.1:$port" --store "$dir/$name.db" \
      --keyring "$dir/ring.keys" $(serve_config "$peer" "$profile") ${PEER_OPTION:+--peer $peer} --user alice:secret --sct-id $SCT --sct-secret $SECRET \
      --x509-cert "$KEYS/server.pem" --x509-key "$KEYS/server.key" \
      --delivery-log "$dir/$name.delivered.jsonl" $tls > "$dir/$name.serve.log" 2>&1 < /dev/null &
    pids+=($!)
    echo "$name $profile $scheme://127.0.0.1:$port/$profile $count $mode" >> "$dir/cells.txt"
  done < <(cells_of "$2/cells.txt")
  sleep 1
  timeout 1500 interop/$peer/run.sh client --capture "$dir/client" --cells "$dir/cells.txt" \
    --cell-timeout 120 --ack-wait-ms 10000 > "$dir/client.log" 2>&1 < /dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  while read -r name profile url count mode; do
    line=$(grep -m1 "^RESULT $name " "$dir/client.log")
    judge judge-java peer="$peer" direction=peer-wsrx cell="$name" profile="$profile" mode="$mode" count="$count" \
      result="$line" capture="$dir/client/$name" delivered="$dir/$name.delivered.jsonl" \
      other="$(first_error "$dir/$name.serve.log" 0)"
  done < <(cells_of "$dir/cells.txt")
}

run_peer() { # $1 peer: everything of one peer, results into $OUT/$1/results.tsv
  local peer=$1 dir=$OUT/$1 http=${HTTP_PORT[$1]} https=${HTTPS_PORT[$1]} server name profile url count mode line t0
  RESULTS=$dir/results.tsv
  rm -rf "$dir"; mkdir -p "$dir"; : > "$RESULTS"; t0=$(date +%s)
  echo "== $peer: server on http $http, https $https"
  interop/$peer/run.sh server --http-port "$http" --https-port "$https" --capture "$dir/server" \
    --delivery-log "$dir/delivered.tsv" > "$dir/server.log" 2>&1 < /dev/null &
  server=$!
  for _ in $(seq 240); do grep -q '^READY' "$dir/server.log" && break; kill -0 $server 2>/dev/null || break; sleep 0.5; done
  if ! grep -q '^READY' "$dir/server.log"; then
    tail -30 "$dir/server.log"; echo "FAIL $peer server did not start"
    kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
    cells_of "interop/$peer/cells.txt" | while read -r name profile url count mode; do
      printf '%s\tpeer-peer\t%s\t%s\t%s\tfail\tsetup\t%s server did not start\t\n' "$peer" "$name" "$profile" "$mode" "$peer" >> "$RESULTS"
    done
    return
  fi
  sed -e "s#{http}#http://127.0.0.1:$http#; s#{https}#https://127.0.0.1:$https#" interop/$peer/cells.txt > "$dir/cells.txt"
  # --cell-timeout: the first cell also pays for the JVM's warm-up, minutes on a loaded machine.
  timeout 1500 interop/$peer/run.sh client --capture "$dir/client" --cells "$dir/cells.txt" \
    --cell-timeout 180 > "$dir/client.log" 2>&1 < /dev/null
  while read -r name profile url count mode; do
    line=$(grep -m1 "^RESULT $name " "$dir/client.log")
    judge judge-java peer="$peer" direction=peer-peer cell="$name" profile="$profile" mode="$mode" count="$count" \
      result="$line" capture="$dir/client/$name" delivered="$dir/delivered.tsv" endpoint="$profile"
  done < <(cells_of "$dir/cells.txt")
  echo "== $peer: peer-peer $(( $(date +%s) - t0 )) s"
  if [ -n "$WITH_WSRX" ]; then wsrx_send_cells "$peer" "$dir"; echo "== $peer: + wsrx-peer $(( $(date +%s) - t0 )) s"; fi
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null
  if [ -n "$WITH_WSRX" ]; then peer_client_to_wsrx "$peer" "$dir"; echo "== $peer: + peer-wsrx $(( $(date +%s) - t0 )) s"; fi
}

PIDS=()
cleanup() { local p; for p in "${PIDS[@]}"; do kill -- -"$p" 2>/dev/null; done; }
trap cleanup EXIT INT TERM
for peer in $PEERS; do rm -rf "${OUT:?}/$peer"; done
mkdir -p "$OUT"
if [ -n "${WSRX_INTEROP_SERIAL:-}" ]; then
  for peer in $PEERS; do run_peer "$peer"; done
else
  # Both peers at once (their own ports and folders): the runs mostly wait on the stacks'
  # timers, so this halves the wall time. Each peer's log is printed when it is done.
  set -m
  for peer in $PEERS; do mkdir -p "$OUT/$peer.log.d"; (set +m; run_peer "$peer") > "$OUT/$peer.log.d/run.log" 2>&1 & PIDS+=($!); done
  set +m
  for i in "${!PIDS[@]}"; do wait "${PIDS[$i]}"; done
  for peer in $PEERS; do cat "$OUT/$peer.log.d/run.log"; done
  PIDS=()
fi

ALL=$OUT/results.tsv
: > "$ALL"
for peer in $PEERS; do cat "$OUT/$peer/results.tsv" >> "$ALL" 2>/dev/null; done
python3 "$MATRIX_PY" render "$ALL" > "$MATRIX"
echo "matrix: $MATRIX ($(( $(date +%s) - START )) s)"
scope=() # the expectations of what ran: these peers, and the wsrx directions only with --wsrx
for peer in $PEERS; do scope+=("peer=$peer"); done
[ -z "$WITH_WSRX" ] && scope+=(peer-peer-only)
if [ -n "$UPDATE_EXPECTED" ]; then python3 "$MATRIX_PY" update "$ALL" "$EXPECTED" "${scope[@]}" || exit 1; fi
if [ -n "$UPDATE_README" ]; then python3 "$MATRIX_PY" readme README.md "$MATRIX" || exit 1; fi
python3 "$MATRIX_PY" check "$ALL" "$EXPECTED" "${scope[@]}"
