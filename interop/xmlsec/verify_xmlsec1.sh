#!/bin/sh
# Verify the HMAC ds:Signature of a WS-Security SOAP message with the xmlsec1
# command-line tool (Debian package xmlsec1).
#
# usage: interop/xmlsec/verify_xmlsec1.sh MESSAGE.xml KEY_BASE64   (xmlsec1 from interop/build.sh xmlsec)
#   KEY_BASE64 is the raw HMAC key: the SCT secret when the signature's KeyInfo
#   points straight at the wsc:SecurityContextToken, or the *derived* key when
#   it points at a wsc:DerivedKeyToken (xmlsec1 knows nothing about WS-SC:
#   compute the derived key with `interop/wss4j/oracle.sh psha1 ...` or read it off
#   `interop/wss4j/oracle.sh verify ...`).
#
# xmlsec1 only resolves URI="#x" against attributes registered as IDs, so we
# pass one --id-attr:Id <ns>:<local> per element type that carries a wsu:Id
# (the list is computed from the message itself).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 MESSAGE.xml KEY_BASE64" >&2; exit 2; }
command -v xmlsec1 >/dev/null || { echo "xmlsec1 not found; run interop/build.sh xmlsec" >&2; exit 3; }
MSG=$1
KEY=$(mktemp)
trap 'rm -f "$KEY"' EXIT
printf '%s' "$2" | base64 -d > "$KEY"
IDARGS=$(python3 - "$MSG" <<'EOF'
import sys, xml.etree.ElementTree as ET
WSU = '{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}Id'
seen = []
for el in ET.parse(sys.argv[1]).iter():
    if WSU in el.attrib and el.tag.startswith('{'):
        ns, local = el.tag[1:].split('}')
        q = '%s:%s' % (ns, local)
        if q not in seen:
            seen.append(q)
print(' '.join('--id-attr:Id %s' % q for q in seen))
EOF
)
# first ds:Signature in the document (the one in wsse:Security)
exec xmlsec1 --verify --hmackey "$KEY" $IDARGS "$MSG"
