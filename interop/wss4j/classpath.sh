#!/bin/sh
# Classpath of the Debian jars WSS4J 1.6.19 + Santuario (xmlsec 2.x) need.
# With --missing: prints the jars that are not installed (nothing when all are).
J=/usr/share/java
JARS="wss4j.jar xmlsec.jar commons-logging.jar commons-codec.jar slf4j-api.jar slf4j-nop.jar
  woodstox-core.jar stax2-api.jar"
if [ "${1:-}" = --missing ]; then
  for j in $JARS; do [ -f "$J/$j" ] || printf '%s ' "$J/$j"; done
  exit 0
fi
cp=""
for j in $JARS; do cp="$cp${cp:+:}$J/$j"; done
echo "$cp"
