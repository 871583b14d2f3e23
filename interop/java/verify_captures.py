#!/usr/bin/env python3
"""`wsrx verify` over every message a Java peer sent in the last run of scripts/interop-java.sh,
and over a tampered copy of each (issue 18, "Done when": wsrx verify accepts every peer message
captured in the matrix and refuses a tampered copy of each).

    python3 interop/java/verify_captures.py [--wsrx PATH] [--keys DIR] [OUT]   (OUT: target/interop-java)

Which messages are the peer's, per capture folder of OUT/<peer>/:
  client/<cell>/            peer-peer, the peer's client: everything (sent and received)
  server/<profile>/         the peer's server: what it answered (RESP_OUT), to its client and to wsrx
  to-wsrx/client/<cell>/    the peer's client talking to `wsrx serve`: what it sent (REQ_OUT)
A message is checked when it is protected by a security context (it carries a DerivedKeyToken)
and not by the X.509 bootstrap's ephemeral key (an xenc:EncryptedKey to the server: the RST/RSTR
that issue the context, and CXF's Cancel, which it sends under the bootstrap policy).

The context's secret is computed from the wire, as the token service and client did (WS-Trust
1.3 §4.4.3 combined entropy: P_SHA-1(client entropy, server entropy), 32 octets): for the
UsernameToken bootstrap the entropies are in clear in the RST/RSTR (the capture is inside TLS);
for the X.509 bootstrap they are in the encrypted Bodies, under keys derived (WS-SC 1.3 §7,
P_SHA-1) from the ephemeral key of the xenc:EncryptedKey, which the run's throw-away server key
decrypts (RSA-OAEP). Needs python3-cryptography. Each message is verified as of its own
wsu:Created (`wsrx verify --at`) with every context of its folder; the tampered copy has one
digit of the signed wsu:Created changed and must be refused.

Prints one line per failure and `N verified, N tampered copies refused, M failed`; exits 1 when
M > 0 or when nothing was checked."""

import base64
import hashlib
import hmac
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

XENC = '{http://www.w3.org/2001/04/xmlenc#}'
DS = '{http://www.w3.org/2000/09/xmldsig#}'
WSSE = '{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}'
WSU = '{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}'


def psha1(secret, seed, n):
    """P_SHA-1 (RFC 2246 §5) of `n` octets."""
    out, a = b'', seed
    while len(out) < n:
        a = hmac.new(secret, a, hashlib.sha1).digest()
        out += hmac.new(secret, a + seed, hashlib.sha1).digest()
    return out[:n]


def ident(e):
    return e.get(WSU + 'Id') or e.get('Id')


def decrypted_body(xml_text, key_pem, ek=None):
    """The plaintext of the encrypted Body of an X.509-bootstrap RST or RSTR, and the ephemeral
    key (decrypted from the message's EncryptedKey, or the one given, for the answer)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    root = ET.fromstring(xml_text.encode())
    by_id = {ident(e): e for e in root.iter() if ident(e)}
    if ek is None:
        enc_key = next(root.iter(XENC + 'EncryptedKey'))
        priv = serialization.load_pem_private_key(key_pem, None)
        ek = priv.decrypt(base64.b64decode(enc_key.find(f'{XENC}CipherData/{XENC}CipherValue').text),
                          padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    body = next(e for e in root.iter() if e.tag.endswith('}Body'))
    data = next(body.iter(XENC + 'EncryptedData'))
    ref = next(data.find(DS + 'KeyInfo').iter(WSSE + 'Reference')).get('URI')[1:]
    dkt = by_id[ref]
    ns = dkt.tag[:dkt.tag.index('}') + 1]
    nonce = base64.b64decode(dkt.find(ns + 'Nonce').text)
    length = int(dkt.findtext(ns + 'Length') or 32)
    offset = int(dkt.findtext(ns + 'Offset') or 0)
    label = (dkt.findtext(ns + 'Label') or 'WS-SecureConversationWS-SecureConversation').encode()
    key = psha1(ek, label + nonce, offset + length)[offset:]
    cv = base64.b64decode(data.find(f'{XENC}CipherData/{XENC}CipherValue').text)
    dec = Cipher(algorithms.AES(key), modes.CBC(cv[:16])).decryptor()
    plain = dec.update(cv[16:]) + dec.finalize()
    return plain[:-plain[-1]].decode(), ek


def binary_secret(text):
    m = re.search(r'<(?:[A-Za-z0-9_]+:)?BinarySecret[^>]*>([^<]+)<', text)
    return base64.b64decode(m.group(1)) if m else None


def sct_identifier(text):
    m = re.search(r'SecurityContextToken\b[^>]*>\s*<(?:[A-Za-z0-9_]+:)?Identifier>([^<]+)<', text)
    return m.group(1).strip() if m else None


def action(text):
    m = re.search(r'<(?:[A-Za-z0-9_]+:)?Action\b[^>]*>([^<]+)<', text)
    return m.group(1).strip() if m else ''


def messages(folder):
    """(file name, 'in'|'out', text) in order: NNNN-REQ_OUT.xml, NNNN-RESP_IN.xml, …"""
    out = []
    for f in sorted(os.listdir(folder)):
        m = re.match(r'^\d+-(REQ|RESP)_(IN|OUT)\.xml$', f)
        if not m:
            continue
        text = open(os.path.join(folder, f), encoding='utf-8', errors='replace').read()
        if text.strip():
            out.append((f, m.group(1) + '_' + m.group(2), text))
    return out


def contexts(msgs, key_pem):
    """{identifier: base64 secret} of every context issued in the folder (RST/SCT then
    RSTR/SCT), and the problems met computing them."""
    found, problems, rst = {}, [], None
    for name, _, text in msgs:
        a = action(text)
        if re.search(r'/RST/SCT$', a):
            rst = (name, text)
        elif re.search(r'/RSTR/SCT$', a) and rst:
            try:
                if re.search(r'<(?:[A-Za-z0-9_]+:)?EncryptedKey\b', rst[1]):  # X.509 bootstrap
                    rst_plain, ek = decrypted_body(rst[1], key_pem)
                    rstr_plain, _ = decrypted_body(text, key_pem, ek)
                else:
                    rst_plain, rstr_plain = rst[1], text
                ce, se = binary_secret(rst_plain), binary_secret(rstr_plain)
                sid = sct_identifier(rstr_plain)
                if ce and se and sid:
                    found[sid] = base64.b64encode(psha1(ce, se, 32)).decode()
                else:
                    problems.append(f'{name}: no entropy pair or identifier in {rst[0]} and the answer')
            except Exception as e:  # an unexpected shape: reported, not fatal for the others
                problems.append(f'{name}: context not computed ({e.__class__.__name__}: {e})')
            rst = None
    return found, problems


def verify(wsrx, path, text, pairs):
    """(accepted, tampered copy refused or None when no Created to tamper with, words)."""
    created = re.search(r'Created>([^<]+)<', text)
    cmd = [wsrx, 'verify']
    if created:
        cmd += ['--at', created.group(1)]
    for sid, secret in pairs.items():
        cmd += ['--sct-id', sid, '--sct-secret', secret]
    r = subprocess.run(cmd + [path], capture_output=True, text=True)
    words = ((r.stdout + r.stderr).strip().splitlines() or [f'exit {r.returncode}'])[-1][:200]
    m = re.search(r'(Created>[0-9-]+T[0-9:]*?)([0-9])(\.?[0-9]*Z?<)', text)
    if r.returncode != 0 or not m:
        return r.returncode == 0, None, words
    digit = str((int(m.group(2)) + 1) % 10)
    with tempfile.NamedTemporaryFile('w', suffix='.xml', delete=False, encoding='utf-8') as f:
        f.write(text[:m.start(2)] + digit + text[m.end(2):])
        tmp = f.name
    try:
        t = subprocess.run(cmd + [tmp], capture_output=True, text=True)
    finally:
        os.remove(tmp)
    return True, t.returncode != 0, words


def peer_sent(kind, direction):
    """Whether a message of this capture folder kind was sent by the peer."""
    return {'client': True, 'server': direction == 'RESP_OUT', 'to-wsrx': direction == 'REQ_OUT'}[kind]


def main(argv):
    args, wsrx, keys = [], None, None
    it = iter(argv)
    for a in it:
        if a == '--wsrx':
            wsrx = next(it)
        elif a == '--keys':
            keys = next(it)
        else:
            args.append(a)
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
    out = args[0] if args else os.path.join(root, 'target', 'interop-java')
    wsrx = wsrx or os.path.join(os.environ.get('CARGO_TARGET_DIR', os.path.join(root, 'target')), 'debug', 'wsrx')
    keys = keys or os.path.join(root, 'target', 'interop', 'keys')
    key_pem = open(os.path.join(keys, 'server.key'), 'rb').read()
    verified = refused = 0
    failures = []
    for peer in ('cxf', 'metro'):
        for kind, base in (('client', os.path.join(out, peer, 'client')),
                           ('server', os.path.join(out, peer, 'server')),
                           ('to-wsrx', os.path.join(out, peer, 'to-wsrx', 'client'))):
            if not os.path.isdir(base):
                continue
            for cell in sorted(os.listdir(base)):
                folder = os.path.join(base, cell)
                if not os.path.isdir(folder):
                    continue
                msgs = messages(folder)
                pairs, problems = contexts(msgs, key_pem)
                failures += [f'{peer} {kind} {cell} {p}' for p in problems]
                for name, direction, text in msgs:
                    if not peer_sent(kind, direction) or 'DerivedKeyToken' not in text:
                        continue
                    if re.search(r'#EncryptedKey"|EncryptedKeySHA1', text):
                        continue  # the X.509 bootstrap's key protects it, not a context
                    where = f'{peer} {kind} {cell} {name} ({action(text).rsplit("/", 1)[-1] or "no action"})'
                    if not pairs:
                        failures.append(f'{where}: no context of its folder is known')
                        continue
                    ok, tampered_refused, words = verify(wsrx, os.path.join(folder, name), text, pairs)
                    if not ok:
                        failures.append(f'{where}: not verified: {words}')
                        continue
                    verified += 1
                    if tampered_refused is None:
                        failures.append(f'{where}: no wsu:Created to tamper with')
                    elif not tampered_refused:
                        failures.append(f'{where}: tampered copy ACCEPTED')
                    else:
                        refused += 1
    for f in failures:
        print('FAIL ' + f)
    print(f'{verified} verified, {refused} tampered copies refused, {len(failures)} failed')
    return 1 if failures or verified == 0 else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
