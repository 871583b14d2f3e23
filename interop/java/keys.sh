#!/usr/bin/env bash
# Throw-away keys for the interop peers, made fresh at build time (nothing secret is committed):
#   a CA, a server certificate (CN=localhost, SAN DNS:localhost, IP:127.0.0.1) and a client
#   certificate, as PEM (for wsrx: ca.pem, server.pem, server.key, client.pem, client.key) and as
#   PKCS#12 for Java (server.p12 alias "server", client.p12 alias "client", truststore.p12 with
#   "ca" and "server"; store and key password "changeit").
#   interop/java/keys.sh OUTDIR        (OUTDIR is recreated; default target/interop/keys)
set -euo pipefail
OUT=${1:-target/interop/keys}
PASS=changeit
rm -rf "$OUT" && mkdir -p "$OUT" && cd "$OUT"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 \
  -subj "/CN=wsrx interop test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
issue() { # $1 name, $2 subject, $3 extensions
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" \
    -days 30 -sha256 -extfile "$1.ext" 2>/dev/null
  # Java reads PKCS#8 keys; wsrx reads either.
  openssl pkcs8 -topk8 -nocrypt -in "$1.key" -out "$1.pk8.pem"
  mv "$1.pk8.pem" "$1.key"
  openssl pkcs12 -export -name "$1" -inkey "$1.key" -in "$1.pem" -certfile ca.pem \
    -out "$1.p12" -passout "pass:$PASS" -keypbe AES-256-CBC -certpbe AES-256-CBC -macalg sha256
  rm -f "$1.csr" "$1.ext"
}
issue server "/CN=localhost/O=wsrx interop server" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1
keyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment
extendedKeyUsage=serverAuth,clientAuth"
issue client "/CN=wsrx interop client" \
  "keyUsage=critical,digitalSignature,keyEncipherment,dataEncipherment
extendedKeyUsage=clientAuth"
for a in ca server client; do
  keytool -importcert -noprompt -alias "$a" -file "$a.pem" -keystore truststore.p12 \
    -storetype PKCS12 -storepass "$PASS" >/dev/null 2>&1
done
chmod 600 ./*.key ca.key
echo "keys in $(pwd)"
