#!/usr/bin/env bash
# Contract test of the admin API (issue 22 item 3) against its own OpenAPI 3.1 document.
# schemathesis (from PyPI, pinned, installed into a venv under target/) reads
# /admin/openapi.json from a running `wsrx serve --admin` and generates requests for every
# operation; each answer must be documented (status code, content type, body schema), no
# request may cause a 5xx, and every route must refuse requests without the bearer token.
# Bounded: at most 20 examples per operation, a fixed seed, one worker, and a hard time
# limit (ADMIN_CONTRACT_TIME_LIMIT seconds, default 600). Listens on loopback port 0 only.
set -euo pipefail
cd "$(dirname "$0")/.."
SCHEMATHESIS_VERSION=4.32.5
TIME_LIMIT=${ADMIN_CONTRACT_TIME_LIMIT:-600}
TARGET=${CARGO_TARGET_DIR:-target}
VENV=$TARGET/admin-contract/venv
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
cargo build -q --locked -p wsrx
BIN=$TARGET/debug/wsrx
WORK=$(mktemp -d)
SERVE_PID=
cleanup() {
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
"$BIN" keys generate "$WORK/ring" >/dev/null
python3 -c 'import secrets; print(secrets.token_urlsafe(32))' > "$WORK/token"
chmod 600 "$WORK/token"
SCT=urn:uuid:2d7c9f40-5a7e-4c1b-9d2e-0a1d2c3b4e5f
SECRET=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
"$BIN" serve --listen 127.0.0.1:0 --sct-id "$SCT" --sct-secret "$SECRET" \
  --store "$WORK/server.db" --keyring "$WORK/ring" \
  --admin 127.0.0.1:0 --admin-token-file "$WORK/token" >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVE_PID=$!
for _ in $(seq 1 600); do
  grep -q "listening on" "$WORK/serve.out" 2>/dev/null && break
  sleep 0.1
done
URL=$(sed -n 's|.*listening on \(http://[^ ]*\)/ .*|\1|p' "$WORK/serve.out")
ADMIN=$(sed -n 's|.*admin API on \(http://[^ ]*\)/admin/ .*|\1|p' "$WORK/serve.err")
if [ -z "$URL" ] || [ -z "$ADMIN" ]; then
  echo "wsrx serve did not start:" >&2
  cat "$WORK/serve.out" "$WORK/serve.err" >&2
  exit 1
fi
# Something to list: a sequence left open, bound to the SCT.
"$BIN" send --to "$URL/rm" --count 3 --sct-id "$SCT" --sct-secret "$SECRET" \
  --store "$WORK/client.db" --keyring "$WORK/ring" --no-terminate --timeout 60 >/dev/null
timeout "$TIME_LIMIT" "$VENV/bin/schemathesis" run "$ADMIN/admin/openapi.json" \
  --header "Authorization: Bearer $(cat "$WORK/token")" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth \
  --mode positive --phases examples,coverage,fuzzing --max-examples 20 --seed 22 \
  --workers 1 --request-timeout 20 --generation-database none --no-color
echo "admin contract: passed (schemathesis $SCHEMATHESIS_VERSION, every operation of /admin/openapi.json)"
