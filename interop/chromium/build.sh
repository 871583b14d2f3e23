#!/bin/sh
# The browser of the web console's test (crates/wsrx/tests/console_e2e.rs and
# scripts/console-screenshot.sh): Debian's chromium and chromium-driver (WebDriver),
# installed when missing unless WSRX_NO_INSTALL=1 (then exit 3). Nothing to compile.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/interop/common.sh"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  need_packages chromium chromium-driver
  command -v chromium >/dev/null || missing_prerequisite "chromium"
  command -v chromedriver >/dev/null || missing_prerequisite "chromedriver"
fi
echo "chromium: $(chromium --version 2>/dev/null || echo '?'); $(chromedriver --version)"
