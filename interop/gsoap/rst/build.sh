#!/bin/sh
# Builds rst_client (a gSOAP WS-Trust 1.3 RST for a WS-SC SCT) into
# ${CARGO_TARGET_DIR:-target}/interop/peers/gsoap/rst/bin (after interop/gsoap/build.sh).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
. "$ROOT/interop/common.sh"
command -v soapcpp2 >/dev/null || need_packages gsoap libgsoap-dev libssl-dev zlib1g-dev pkg-config gcc
OUT=$PEERS/gsoap/rst
G=/usr/share/gsoap
rm -rf "$OUT/gen" "$OUT/bin" && mkdir -p "$OUT/gen" "$OUT/bin"
cd "$OUT"
soapcpp2 -c -L -x -C -d gen -I"$G/import:$G" "$HERE/rst.h" >gen/soapcpp2.log 2>&1 || { cat gen/soapcpp2.log; exit 1; }
CFLAGS="-O1 -g $(pkg-config --cflags gsoapssl) -Igen -I$G/plugin -I$G"
OBJS=""
for src in gen/soapC.c gen/soapClient.c $G/plugin/wsaapi.c $G/plugin/wsseapi.c $G/plugin/smdevp.c \
           $G/plugin/mecevp.c $G/plugin/threads.c $G/plugin/logging.c $G/custom/struct_timeval.c; do
  o=gen/$(basename "$src" .c).o
  gcc $CFLAGS -w -c "$src" -o "$o"
  OBJS="$OBJS $o"
done
gcc $CFLAGS -c "$HERE/rst_client.c" -o gen/rst_client.o
gcc -o bin/rst_client gen/rst_client.o $OBJS $(pkg-config --libs gsoapssl) -lssl -lcrypto -lz -lpthread
echo "built: $OUT/bin/rst_client"
