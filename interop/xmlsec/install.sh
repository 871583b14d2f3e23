#!/bin/sh
# Optional second opinions for debugging our XML-DSig (not used by the tests):
# python3-xmlsec + python3-lxml (Debian) and signxml from PyPI in a venv at
# ${CARGO_TARGET_DIR:-target}/interop/peers/xmlsec/venv-signxml.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/interop/common.sh"
need_packages xmlsec1 python3-xmlsec python3-lxml python3-venv
VENV=$PEERS/xmlsec/venv-signxml
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q signxml lxml
echo "xmlsec1 $(xmlsec1 --version | awk '{print $2}'), python3-xmlsec, signxml $("$VENV/bin/pip" show signxml | awk '/^Version/{print $2}') in $VENV"
