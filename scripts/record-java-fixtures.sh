#!/usr/bin/env bash
# Copies the wire messages of the last peer <-> peer run of scripts/interop-java.sh into
# testdata/cxf/ and testdata/metro/ (one folder per cell, one file per message, as the peer's
# client sent and received them) and writes each folder's MANIFEST.md: peer, version, profile,
# direction, what each file is and what wsrx must do with it, and the key material of the run
# (the SCT secret where the client recorded it or it can be computed from the clear-text
# entropies; the throw-away server key of the run for the X.509 bootstrap, whose RST/RSTR are
# encrypted to it). Needs python3 for the P_SHA-1 of the computed key.
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
  python3 - "$peer" "$src" "$dst" "${VERSION[$peer]}" "$ROOT/interop/$peer/cells.txt" <<'PY'
import base64, hashlib, hmac, os, re, shutil, sys
peer, src, dst, version, cells_file = sys.argv[1:]
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

def action(xml):
    m = re.search(r'<(?:[A-Za-z0-9_]+:)?Action\b[^>]*>([^<]+)<', xml)
    return m.group(1).strip() if m else '(no wsa:Action: encrypted or none)'

def short(a):
    return re.sub(r'[^A-Za-z0-9]+', '-', a.rstrip('/').split('/')[-1])[:40]

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
    key = ''
    sct = os.path.join(d, 'sct.txt')
    if os.path.exists(sct):
        key = 'SCT recorded by the CXF client: ' + ', '.join(l.strip() for l in open(sct) if l.strip())
    elif len(entropies) >= 2 and profile.startswith('ut-tls'):
        ce, se = base64.b64decode(entropies[0]), base64.b64decode(entropies[1])
        key = ('SCT secret = P_SHA-1(client entropy, server entropy), 32 bytes, computed from the clear-text '
               f'RST/RSTR of this folder: {base64.b64encode(psha1(ce, se, 32)).decode()}')
    elif profile.startswith('x509'):
        key = ('RST and RSTR are encrypted to the server certificate (keys/server.pem): decrypt the '
               'xenc:EncryptedKey with keys/server.key (RSA-OAEP), then the entropies, then '
               'SCT secret = P_SHA-1(client entropy, server entropy)')
    elif profile.startswith('ut-tls'):
        key = 'entropies not found in the clear in this capture'
    else:
        key = 'no security (plain WS-RM)'
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
