#!/bin/sh
# Builds the gSOAP WS-RM echo client and server (rm_client, rm_server) from Debian's gSOAP
# into ${CARGO_TARGET_DIR:-target}/interop/peers/gsoap/{gen,bin}; installs gsoap, libgsoap-dev,
# libssl-dev, zlib1g-dev, pkg-config and gcc when missing (unless WSRX_NO_INSTALL=1: exit 3).
# Nothing under /usr/share/gsoap is modified: the two patched import files are copies in gen/.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$ROOT/interop/common.sh"
OUT=$PEERS/gsoap

if ! command -v soapcpp2 >/dev/null || [ ! -f /usr/share/gsoap/plugin/wsrmapi.c ] \
   || ! command -v pkg-config >/dev/null || ! pkg-config --exists gsoapssl 2>/dev/null; then
  need_packages gsoap libgsoap-dev libssl-dev zlib1g-dev pkg-config gcc
fi

G=/usr/share/gsoap
rm -rf "$OUT/gen" "$OUT/bin" && mkdir -p "$OUT/gen/import" "$OUT/bin"
cd "$OUT"

# 1. data bindings: -c C code, -a dispatch server ops on the WS-Addressing
#    Action (mandatory for the wsrm plugin), -L no client/server libs,
#    -x no sample XML files, -d output dir, -I import path (the import dir for
#    wsrm.h/wsse.h/..., the gsoap dir for custom/duration.h).
#    SOAP 1.2 comes from '#import "soap12.h"' in echo.h; the server also accepts
#    SOAP 1.1 envelopes (second URI column of the generated namespace table).
# Patched copy of wsrm.h (made at build time in gen/import): give wsrm:CreateSequence an
# xsd:any slot ("xsd__anyType __any", a DOM literal XML) so a <wsse:SecurityTokenReference>
# child (WS-RM 1.1 section 5.2.1) is kept instead of skipped. Without it gSOAP drops the
# element from the DOM it canonicalizes and every *signed* CreateSequence carrying an STR
# fails digest verification.
sed 's|^\(    struct wsrm__OfferType\*              Offer                          0;.*\)$|\1\n    xsd__anyType                         __any; // patched: wsse:SecurityTokenReference etc.|' \
    "$G/import/wsrm.h" > gen/import/wsrm.h
grep -q 'patched: wsse:SecurityTokenReference' gen/import/wsrm.h || { echo "wsrm.h patch failed"; exit 1; }
# Patched copy of wsse.h: Debian's wsse:Security binding has a wsc:SecurityContextToken slot
# but none for wsc:DerivedKeyToken (gSOAP has no DKT support at all). Add an array of them
# right after the SCT so that peer_sec.c can read and write DKTs (the key derivation itself
# is done with gSOAP's soap_psha1()).
sed 's|^\(\tstruct wsc__SecurityContextTokenType\*\twsc__SecurityContextToken;\)$|\1\n\tint __sizeDerivedKeyToken; struct wsc__DerivedKeyTokenType *wsc__DerivedKeyToken; // patched|' \
    "$G/import/wsse.h" > gen/import/wsse.h
grep -q 'wsc__DerivedKeyToken; // patched' gen/import/wsse.h || { echo "wsse.h patch failed"; exit 1; }
soapcpp2 -c -a -L -x -d gen -I"gen/import:$G/import:$G" "$HERE/echo.h" >gen/soapcpp2.log 2>&1 \
  || { cat gen/soapcpp2.log; exit 1; }

# 2. compile: the same -DWITH_* flags Debian's libgsoapssl was built with
#    (pkg-config gsoapssl: -DWITH_IPV6 -DWITH_OPENSSL -DWITH_GZIP -DWITH_DOM)
CFLAGS="-O1 -g -Wall -Wno-unused-but-set-variable $(pkg-config --cflags gsoapssl) -Igen -I$HERE -I$G/plugin -I$G"
LIBS="$(pkg-config --libs gsoapssl) -lssl -lcrypto -lz -lpthread"
OBJS=""
for src in gen/soapC.c gen/soapClient.c gen/soapServer.c \
           $G/plugin/wsaapi.c $G/plugin/wsrmapi.c $G/plugin/wsseapi.c \
           $G/plugin/smdevp.c $G/plugin/mecevp.c $G/plugin/threads.c \
           $G/plugin/logging.c $G/custom/duration.c $G/custom/struct_timeval.c \
           "$HERE/peer_sec.c"; do
  o=gen/$(basename "$src" .c).o
  gcc $CFLAGS -w -c "$src" -o "$o"
  OBJS="$OBJS $o"
done
COMMON=$(echo $OBJS | tr ' ' '\n' | grep -v soapServer.o | tr '\n' ' ')

gcc $CFLAGS -c "$HERE/rm_server.c" -o gen/rm_server.o
gcc $CFLAGS -c "$HERE/rm_client.c" -o gen/rm_client.o
# --wrap lets rm_server.c sign the responses of the wsrmapi.c protocol
# operations without touching the Debian plugin source
gcc -o bin/rm_server gen/rm_server.o $OBJS \
    -Wl,--wrap=__wsrm__CreateSequence,--wrap=__wsrm__CloseSequence,--wrap=__wsrm__TerminateSequence $LIBS
gcc -o bin/rm_client gen/rm_client.o $COMMON $LIBS
echo "built: $OUT/bin/rm_server $OUT/bin/rm_client"
