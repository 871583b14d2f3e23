#!/bin/sh
# PostgreSQL for the store's cluster tests (crates/wsrx-store/tests/conformance_postgres.rs,
# crates/wsrx/tests/cli_postgres.rs, scripts/cluster.sh): Debian's postgresql (server
# programs initdb, pg_ctl, postgres under /usr/lib/postgresql/*/bin) and haproxy, installed
# when missing unless WSRX_NO_INSTALL=1 (then exit 3). Nothing is started here: each test
# starts a throw-away server in a temporary directory on a free loopback port.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/interop/common.sh"
bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
if [ -z "$(bindir)" ] || ! [ -x "$(bindir)/initdb" ] || ! command -v haproxy >/dev/null; then
  need_packages postgresql haproxy
  [ -n "$(bindir)" ] && [ -x "$(bindir)/initdb" ] || missing_prerequisite "postgresql"
  command -v haproxy >/dev/null || missing_prerequisite "haproxy"
fi
# The Debian package starts a cluster of its own; the tests never use it.
echo "postgresql: $("$(bindir)/postgres" --version); $(haproxy -v | head -n 1)"
