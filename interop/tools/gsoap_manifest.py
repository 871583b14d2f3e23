#!/usr/bin/env python3
"""Write manifest.toml for a folder of gSOAP captures (one sub-folder per scenario, one file
per message as split_transcript.py names them), with the values the tests read: action,
WS-RM Sequence and acknowledgement, Timestamp, signed references, signature value and, for
DerivedKeyToken signatures, the derived key (P_SHA1 of the SCT secret, default label and the
DKT nonce). Python standard library only.

usage: python3 interop/tools/gsoap_manifest.py CAPTURES_DIR > CAPTURES_DIR/manifest.toml"""
import base64
import hashlib
import hmac
import os
import sys
import xml.etree.ElementTree as ET

SCT_ID = "urn:uuid:6a1c2a5e-5c0b-4a36-9d43-2f1f0c0ffee1"
SCT_SECRET_B64 = "c2VjdXJlLWNvbnZlcnNhdGlvbi1kZW1vLXNlY3JldCE="
SCT_NS = "http://docs.oasis-open.org/ws-sx/ws-secureconversation/200512"
WSA = "{http://www.w3.org/2005/08/addressing}"
WSRM = "{http://docs.oasis-open.org/ws-rx/wsrm/200702}"
WSU = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}"
WSC = "{" + SCT_NS + "}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
LABEL = b"WS-SecureConversationWS-SecureConversation"
SCENARIOS = ["plain", "offer", "sct-hmac", "sct-dkt"]


def p_sha1(secret, seed, length):
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, hashlib.sha1).digest()
        out += hmac.new(secret, a + seed, hashlib.sha1).digest()
    return out[:length]


def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def text(el):
    return (el.text or "").strip() if el is not None else None


def entry(scenario, name, root):
    kind = "request (client to server)" if "-req-" in name else "response (server to client)"
    lines = ["[[message]]", "file = " + q(scenario + "/" + name), "scenario = " + q(scenario),
             "direction = " + q(kind), "action = " + q(text(root.find(".//" + WSA + "Action")))]
    seq = root.find(".//" + WSRM + "Sequence")
    if seq is not None:
        lines.append("sequence = { identifier = %s, message_number = %s }" % (
            q(text(seq.find(WSRM + "Identifier"))), text(seq.find(WSRM + "MessageNumber"))))
    ack = root.find(".//" + WSRM + "SequenceAcknowledgement")
    if ack is not None:
        ranges = ", ".join("[%s, %s]" % (r.get("Lower"), r.get("Upper"))
                           for r in ack.findall(WSRM + "AcknowledgementRange"))
        lines.append("ack = { identifier = %s, ranges = [%s], final = %s }" % (
            q(text(ack.find(WSRM + "Identifier"))), ranges,
            "true" if ack.find(WSRM + "Final") is not None else "false"))
    sig = root.find(".//" + DS + "Signature")
    if sig is None:
        lines += ['security = "none"', 'expected = "parse"']
        return lines
    dkt = root.find(".//" + WSC + "DerivedKeyToken")
    if dkt is not None:
        nonce = base64.b64decode(text(dkt.find(WSC + "Nonce")))
        length = int(text(dkt.find(WSC + "Length")) or "32")
        key = p_sha1(base64.b64decode(SCT_SECRET_B64), LABEL + nonce, length)
        lines.append("signing_key = " + q("DerivedKeyToken #%s: P_SHA1(SCT secret, LBL || nonce), offset 0, length %d"
                                          % (dkt.get(WSU + "Id"), length)))
        lines.append("dkt_nonce_b64 = " + q(base64.b64encode(nonce).decode()))
        lines.append("derived_key_hex = " + q(key.hex()))
    else:
        lines.append('signing_key = "SCT secret (KeyInfo STR URI=\\"#SCT\\", no ValueType)"')
    refs = [r.get("URI") for r in sig.iter(DS + "Reference")]
    lines.append("signed_references = [%s]" % ", ".join(q(r) for r in refs))
    lines.append("signature_value_b64 = " + q(text(sig.find(DS + "SignatureValue"))))
    ts = root.find(".//" + WSU + "Timestamp")
    if ts is not None:
        lines.append("timestamp = { created = %s, expires = %s }" % (
            q(text(ts.find(WSU + "Created"))), q(text(ts.find(WSU + "Expires")))))
    lines.append('expected = "verify"')
    return lines


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    top = sys.argv[1]
    out = [
        "# gSOAP wire captures (WS-RM 1.1 + WS-Addressing 1.0 + SOAP 1.2; WS-SC 1.3 SCT / DerivedKeyToken in sct-*).",
        "# Written by interop/tools/gsoap_manifest.py from the captures themselves (see MANIFEST.md).",
        "# Paths relative to this file. Every file is the exact HTTP body bytes (signatures stay valid).",
        "",
        "sct_identifier = " + q(SCT_ID),
        "sct_secret_b64 = " + q(SCT_SECRET_B64),
        "sct_secret_hex = " + q(base64.b64decode(SCT_SECRET_B64).hex()),
        "sct_secret_ascii = " + q(base64.b64decode(SCT_SECRET_B64).decode()),
        "sct_namespace = " + q(SCT_NS),
        'producer = "gSOAP (Debian packages gsoap/libgsoap-dev) driven by the project peer harness (interop/gsoap: rm_client + rm_server)"',
        'licence = "output of a program run by the project; no third-party copyright claimed (gSOAP code itself is GPL and is NOT included)"',
    ]
    for scenario in SCENARIOS:
        folder = os.path.join(top, scenario)
        for name in sorted(os.listdir(folder)):
            if name.endswith(".xml"):
                root = ET.parse(os.path.join(folder, name)).getroot()
                out.append("")
                out += entry(scenario, name, root)
    print("\n".join(out))


if __name__ == "__main__":
    main()
