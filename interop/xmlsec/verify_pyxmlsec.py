#!/usr/bin/python3
"""Verify the HMAC ds:Signature inside wsse:Security with python3-xmlsec
(Debian package python3-xmlsec, bindings to libxmlsec1) and python3-lxml.

usage: python3 interop/xmlsec/verify_pyxmlsec.py MESSAGE.xml KEY_BASE64

KEY_BASE64 is the raw HMAC key (the SCT secret, or the derived key when the
signature's KeyInfo points at a wsc:DerivedKeyToken).  Exit code 0 = valid.
wsu:Id attributes are registered as XML IDs with xmlsec.tree.add_ids() so
that Reference URI="#..." resolves."""
import base64
import sys

import xmlsec
from lxml import etree

WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd'
DS = 'http://www.w3.org/2000/09/xmldsig#'


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    doc = etree.parse(sys.argv[1])
    key = base64.b64decode(sys.argv[2])
    root = doc.getroot()
    # register every wsu:Id as an ID attribute ("Id" is matched by local name)
    xmlsec.tree.add_ids(root, ['Id'])
    sig = root.find('.//{%s}Signature' % DS)
    if sig is None:
        sys.exit('no ds:Signature')
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataHmac, key)
    refs = [r.get('URI') for r in sig.iterfind('.//{%s}Reference' % DS)]
    try:
        ctx.verify(sig)
    except xmlsec.Error as e:
        print('FAIL', e)
        sys.exit(1)
    print('OK: %d references verified: %s' % (len(refs), ' '.join(refs)))


if __name__ == '__main__':
    main()
