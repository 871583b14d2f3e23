# Sourced by the interop scripts after they set ROOT (the repository root).
# Defines where the peers are built and how missing Debian packages are installed.
#
#   TARGET  cargo's target directory (CARGO_TARGET_DIR, else ROOT/target)
#   PEERS   TARGET/interop/peers: one folder per built peer (gsoap, wss4j, xmlsec)
#
# need_packages PKG...   installs the Debian packages that are not installed yet
#   (apt-get, non-interactive; run as root). With WSRX_NO_INSTALL=1 (what the cargo
#   tests set) nothing is installed: the script prints what is missing and exits 3,
#   which the tests report as "skipped: needs <peer>".
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET in /*) ;; *) TARGET=$ROOT/$TARGET ;; esac
PEERS=$TARGET/interop/peers

missing_prerequisite() {
  echo "missing: $*; run interop/build.sh (as root) to install it" >&2
  exit 3
}

need_packages() {
  missing=""
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  [ "${WSRX_NO_INSTALL:-}" = 1 ] && missing_prerequisite "Debian packages$missing"
  command -v apt-get >/dev/null || { echo "apt-get not found; install:$missing" >&2; exit 1; }
  echo "installing Debian packages:$missing" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}
