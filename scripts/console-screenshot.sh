#!/usr/bin/env bash
# Regenerates docs/console.png, the web console's picture in the README: runs the console's
# headless-Chromium test (crates/wsrx/tests/console_e2e.rs: a real `wsrx serve --admin`
# with live sequences, a gateway backend and dead letters, the page signed in and driven
# over WebDriver), which saves its screenshot there as well as under target/console-e2e/.
# Installs Debian's chromium and chromium-driver when missing (interop/build.sh chromium).
# Listens on loopback ports chosen by the system only.
set -euo pipefail
cd "$(dirname "$0")/.."
sh interop/build.sh chromium
WSRX_REQUIRE_INTEROP=1 WSRX_CONSOLE_SCREENSHOT="$PWD/docs/console.png" \
  cargo test -q --locked -p wsrx --test console_e2e
file docs/console.png 2>/dev/null || ls -l docs/console.png
