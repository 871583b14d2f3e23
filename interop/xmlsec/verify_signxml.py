"""Verify the HMAC ds:Signature inside wsse:Security with the PyPI package
signxml (pure Python on top of lxml + cryptography).

setup : python3 -m venv .venv-signxml && .venv-signxml/bin/pip install signxml lxml
usage : $PEERS/xmlsec/venv-signxml/bin/python interop/xmlsec/verify_signxml.py (venv from interop/xmlsec/install.sh) MESSAGE.xml KEY_BASE64

signxml 5.x refuses SHA-1 and HMAC unless told otherwise (explicit
SignatureConfiguration), resolves URI="#x" through one attribute *local* name
(id_attribute='Id' matches wsu:Id), and its XSD check of ds:Signature rejects
<ec:InclusiveNamespaces> (WSS4J emits it), hence validate_schema=False."""
import base64
import sys

from lxml import etree
from signxml import XMLVerifier, SignatureConfiguration
from signxml.algorithms import SignatureMethod, DigestAlgorithm

WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd'
DS = 'http://www.w3.org/2000/09/xmldsig#'


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    doc = etree.parse(sys.argv[1])
    sig = doc.getroot().find('.//{%s}Signature' % DS)
    nrefs = len(sig.findall('.//{%s}Reference' % DS))
    cfg = SignatureConfiguration(
        require_x509=False,
        location='.//',
        expect_references=nrefs,
        signature_methods=frozenset({SignatureMethod.HMAC_SHA1, SignatureMethod.HMAC_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA1, DigestAlgorithm.SHA256}),
    )
    try:
        results = XMLVerifier().verify(doc.getroot(), hmac_key=base64.b64decode(sys.argv[2]),
                                       id_attribute='Id', validate_schema=False,
                                       expect_config=cfg)
    except Exception as e:  # signxml raises InvalidSignature / InvalidInput
        print('FAIL %s: %s' % (type(e).__name__, e))
        sys.exit(1)
    results = results if isinstance(results, list) else [results]
    print('OK: %d references verified: %s' % (len(results), ' '.join(
        etree.QName(r.signed_xml).localname for r in results)))


if __name__ == '__main__':
    main()
