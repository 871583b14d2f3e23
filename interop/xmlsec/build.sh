#!/bin/sh
# The XML-DSig/XML-Enc command-line oracles: xmlsec1 (Debian xmlsec1) and the openssl
# command (Debian openssl, for the raw RSA-OAEP check), installed when missing unless
# WSRX_NO_INSTALL=1 (then exit 3). Nothing to compile: the tests call `xmlsec1` with the
# --id-attr list computed from each message, as verify_xmlsec1.sh does.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/interop/common.sh"
if ! command -v xmlsec1 >/dev/null || ! command -v openssl >/dev/null; then
  need_packages xmlsec1 openssl
  command -v xmlsec1 >/dev/null || missing_prerequisite "xmlsec1"
  command -v openssl >/dev/null || missing_prerequisite "openssl"
fi
echo "xmlsec1: $(xmlsec1 --version)"
