#!/usr/bin/env bash
# Copies the wire messages of the last peer <-> peer run of scripts/interop-java.sh into
# testdata/cxf/ and testdata/metro/ (one folder per cell, one file per message, as the peer's
# client sent and received them) and writes each folder's MANIFEST.md: peer, version, profile,
# direction, what each file is and what wsrx must do with it, and the key material of the run
# (the SCT identifier and secret, computed from the entropies of the RST/RSTR: in the clear
# inside TLS for the UsernameToken bootstrap; for the X.509 bootstrap decrypted with the run's
# throw-away server key, which is kept with the data; the CXF client also records the secret from
# its token store, and the two must agree). When target/debug/wsrx exists, every SCT-protected
# message is checked with `wsrx verify` and the result written beside it in the manifest.
# Needs python3 with python3-cryptography (for RSA-OAEP and AES-CBC).
#   scripts/interop-java.sh && scripts/record-java-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
declare -A VERSION=([cxf]="Apache CXF 4.2.3 (WSS4J 4.0.1, Santuario 4.0.4)" [metro]="Eclipse Metro 4.0.4 (webservices-rt)")
for peer in cxf metro; do
  src=$ROOT/target/interop-java/$peer/client
  [ -d "$src" ] || { echo "no capture for $peer: run scripts/interop-java.sh first" >&2; exit 1; }
  dst=$ROOT/testdata/$peer
  rm -rf "$dst"; mkdir -p "$dst/keys"
  # The run's throw-away keys (made by interop/java/keys.sh for that run only; no other use).
  cp "$ROOT/target/interop/keys/ca.pem" "$ROOT/target/interop/keys/server.pem" "$ROOT/target/interop/keys/server.key" "$dst/keys/"
  python3 - "$peer" "$src" "$dst" "${VERSION[$peer]}" "$ROOT/interop/$peer/cells.txt" "${CARGO_TARGET_DIR:-$ROOT/target}/debug/wsrx" <<'PY'
import base64, hashlib, hmac, os, re, shutil, subprocess, sys
import xml.etree.ElementTree as ET
peer, src, dst, version, cells_file, wsrx = sys.argv[1:]
server_key = open(os.path.join(dst, 'keys', 'server.key'), 'rb').read()
cells = {}
for line in open(cells_file):
    line = line.split('#')[0].split()
    if len(line) == 5:
        cells[line[0]] = (line[1], line[4])

def psha1(secret, seed, n):
    out, a = b'', seed
    while len(out) < n:
        a = hmac.new(secret, a, hashlib.sha1).digest()
        out += hmac.new(secret, a + seed, hashlib.sha1).digest()
    return out[:n]

import xml.etree.ElementTree as ET

XENC = '{http://www.w3.org/2001/04/xmlenc#}'
DS = '{http://www.w3.org/2000/09/xmldsig#}'
WSSE = '{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}'
WSU = '{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}'


def ident(e):
    return e.get(WSU + 'Id') or e.get('Id')

def entropy_of(xml_text, key_pem, ek=None):  # needs python3-cryptography
    """The BinarySecret inside the encrypted Body of an X.509-bootstrap RST/RSTR, and the
    ephemeral key (decrypted from the EncryptedKey, or the one given)."""
    root = ET.fromstring(xml_text.encode())
    by_id = {ident(e): e for e in root.iter() if ident(e)}
    if ek is None:
        enc_key = next(root.iter(XENC + 'EncryptedKey'))
        from cryptography.hazmat.primitives import serialization, hashes
        from cryptography.hazmat.primitives.asymmetric import padding
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
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    dec = Cipher(algorithms.AES(key), modes.CBC(cv[:16])).decryptor()
    plain = dec.update(cv[16:]) + dec.finalize()
    plain = plain[:-plain[-1]].decode()
    m = re.search(r'<(?:[A-Za-z0-9_]+:)?BinarySecret[^>]*>([^<]+)<', plain)
    return (base64.b64decode(m.group(1)) if m else None), ek


def sct_id(texts):
    for xml in texts:
        m = re.search(r'SecurityContextToken\b[^>]*>\s*<(?:[A-Za-z0-9_]+:)?Identifier>([^<]+)<', xml)
        if m:
            return m.group(1).strip()
    return None

def verify(path, sid, secret):
    """wsrx verify on one recorded message, as of its own Timestamp."""
    if not os.access(wsrx, os.X_OK):
        return 'not run (no wsrx binary)'
    created = re.search(r'Created>([^<]+)<', open(path, encoding='utf-8').read())
    cmd = [wsrx, 'verify', '--sct-id', sid, '--sct-secret', secret, path]
    if created:
        cmd[2:2] = ['--at', created.group(1)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip().splitlines()
    verdict = (out[-1] if out else f'exit {r.returncode}')[:160]
    # and a tampered copy (one digit of the signed wsu:Created changed) must be refused
    text = open(path, encoding='utf-8').read()
    m = re.search(r'(Created>[0-9-]+T[0-9:]*?)([0-9])(\.?[0-9]*Z?<)', text)
    if m and r.returncode == 0:
        digit = str((int(m.group(2)) + 1) % 10)
        tampered = text[:m.start(2)] + digit + text[m.end(2):]
        tmp = path + '.tampered'
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(tampered)
        t = subprocess.run(cmd[:-1] + [tmp], capture_output=True, text=True)
        os.remove(tmp)
        verdict += '; tampered copy: ' + ('refused' if t.returncode != 0 else 'ACCEPTED (defect)')
    return verdict

def action(xml):
    m = re.search(r'<(?:[A-Za-z0-9_]+:)?Action\b[^>]*>([^<]+)<', xml)
    return m.group(1).strip() if m else '(no wsa:Action: encrypted or none)'

def short(a):
    # WS-Trust actions keep their tail (RST-SCT, RSTR-SCT, RST-SCT-Cancel…); others their last segment.
    m = re.search(r'/(?:ws-trust/200512|trust)/(.+)$', a)
    tail = m.group(1) if m else a.rstrip('/').split('/')[-1]
    return re.sub(r'[^A-Za-z0-9]+', '-', tail)[:40]

rows = []
for cell in sorted(os.listdir(src)):
    d = os.path.join(src, cell)
    if cell not in cells or not os.path.isdir(d):
        continue
    profile, mode = cells[cell]
    os.makedirs(os.path.join(dst, cell))
    files, entropies = [], []
    for f in sorted(os.listdir(d)):
        if not f.endswith('.xml'):
            continue
        xml = open(os.path.join(d, f), encoding='utf-8').read()
        if not xml.strip():
            continue  # an empty HTTP answer (202 Accepted to a one-way message): nothing to keep
        a = action(xml)
        n, direction = f[:-4].split('-', 1)
        name = f"{n}-{'client-to-server' if direction.endswith('OUT') else 'server-to-client'}-{short(a)}.xml"
        shutil.copy(os.path.join(d, f), os.path.join(dst, cell, name))
        files.append((name, a))
        for m in re.finditer(r'<(?:[A-Za-z0-9_]+:)?BinarySecret[^>]*>([^<]+)<', xml):
            entropies.append(m.group(1).strip())
    texts = [open(os.path.join(dst, cell, n), encoding='utf-8').read() for n, _ in files]
    sid, secret, how = sct_id(texts), None, ''
    recorded = None
    sct = os.path.join(d, 'sct.txt')
    if os.path.exists(sct):
        recorded = dict(l.strip().split(' ', 1) for l in open(sct) if l.strip())
    if profile.startswith('ut-tls') and len(entropies) >= 2:
        ce, se = base64.b64decode(entropies[0]), base64.b64decode(entropies[1])
        secret = base64.b64encode(psha1(ce, se, 32)).decode()
        how = 'P_SHA-1(client entropy, server entropy), 32 bytes, from the clear-text RST/RSTR (inside TLS)'
    elif profile.startswith('x509') and len(files) >= 2:
        try:
            ce, ek = entropy_of(texts[0], server_key)
            se, _ = entropy_of(texts[1], server_key, ek)
            secret = base64.b64encode(psha1(ce, se, 32)).decode()
            how = ('P_SHA-1(client entropy, server entropy), 32 bytes; the entropies are in the RST/RSTR bodies, '
                   'encrypted under keys derived from the ephemeral key of the xenc:EncryptedKey (RSA-OAEP to keys/server.pem)')
        except Exception as e:  # no python3-cryptography, or an unexpected shape
            how = f'not computed ({e.__class__.__name__}: {e}); decrypt the EncryptedKey with keys/server.key'
    if recorded and secret and recorded.get('secret') != secret:
        print(f'{peer}/{cell}: computed SCT secret differs from the one the client recorded', file=sys.stderr)
        sys.exit(1)
    if recorded and not secret:
        secret, how = recorded.get('secret'), 'recorded by the CXF client from its token store'
    elif recorded:
        how += '; the same as the CXF client recorded from its token store'
    if secret and sid:
        key = f'SCT `{sid}`, secret `{secret}` ({how})'
    elif profile.startswith(('plain', 'mc')):
        key = 'none (no security)'
    else:
        key = how or 'not found'
    checks = {}
    if secret and sid:
        for n, _ in files:
            text = open(os.path.join(dst, cell, n), encoding='utf-8').read()
            if 'DerivedKeyToken' not in text:
                continue
            if re.search(r'#EncryptedKey"|EncryptedKeySHA1', text):
                # the X.509 bootstrap's RST/RSTR, and CXF's Cancel (sent under the bootstrap policy
                # with the SCT endorsing): keys from an EncryptedKey to the server
                checks[n] = 'not run: protected under the X.509 bootstrap (xenc:EncryptedKey to the server)'
            else:
                checks[n] = verify(os.path.join(dst, cell, n), sid, secret)
    files = [(n, a + (f' — `wsrx verify`: {checks[n]}' if n in checks else '')) for n, a in files]
    rows.append((cell, profile, mode, files, key))

with open(os.path.join(dst, 'MANIFEST.md'), 'w') as m:
    m.write(f"# {peer}: recorded wire messages ({version})\n\n")
    m.write("Recorded by `scripts/record-java-fixtures.sh` from a run of `scripts/interop-java.sh` "
            f"({peer} client -> {peer} server, stock behaviour, configured only by the WSDL "
            f"`interop/{peer}/wsdl/<profile>.wsdl`). Each folder is one cell of `interop/{peer}/cells.txt`: "
            "every message of the conversation as the client sent (`client-to-server`) or received "
            "(`server-to-client`) it, in order, RST/RSTR, RM protocol, application messages, Close/"
            "Terminate and Cancel included. The user is alice/secret. `keys/` holds the run's throw-away CA "
            "and server certificate and key (made by `interop/java/keys.sh` for that run; used for nothing else).\n\n")
    if peer == 'metro':
        m.write("Metro's transport dump writes a message without its line breaks (it reads the body line by "
                "line); Metro itself writes none inside its messages, so the files are the bytes on the wire.\n\n")
    m.write("What wsrx must do with them: parse every file; `wsrx verify` every message protected by the SCT "
            "(signatures over derived keys; encrypted bodies and signatures decrypted) given the SCT secret "
            "below, and refuse a tampered copy; the RST/RSTR of the X.509 bootstrap need the server key.\n\n")
    for cell, profile, mode, files, key in rows:
        m.write(f"## {cell}\n\nprofile `{profile}`, {'one-way' if mode == 'oneway' else 'request-reply (with Offer)'}; "
                f"key material: {key}\n\n")
        for name, a in files:
            m.write(f"- `{name}`: {a}\n")
        m.write("\n")
print(f"{peer}: {len(rows)} cells recorded into {dst}")
PY
done
