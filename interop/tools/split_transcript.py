#!/usr/bin/env python3
"""Split a gSOAP logging-plugin transcript (HTTP request/response bytes, as
written by rm_server -l LOG, see interop/gsoap) into one XML file per SOAP envelope.

usage: python3 interop/tools/split_transcript.py LOG OUTDIR

Files are named NN-<direction>-<last segment of the action>.xml, where
direction is 'req' (HTTP request) or 'resp' (HTTP response).  The XML bytes
are written exactly as they were on the wire (signatures stay valid)."""
import os
import re
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = open(sys.argv[1], 'rb').read()
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    # each HTTP message: start line, headers, blank line, body of Content-Length
    pos, n = 0, 0
    head_re = re.compile(rb'(POST [^\r\n]*|HTTP/1\.[01] \d{3}[^\r\n]*)\r?\n')
    while True:
        m = head_re.search(data, pos)
        if not m:
            break
        hdr_end = data.find(b'\r\n\r\n', m.start())
        sep = 4
        if hdr_end < 0:
            hdr_end = data.find(b'\n\n', m.start())
            sep = 2
        if hdr_end < 0:
            break
        headers = data[m.start():hdr_end].decode('latin-1')
        cl = re.search(r'(?im)^content-length:\s*(\d+)', headers)
        body_start = hdr_end + sep
        if not cl:
            pos = body_start
            continue
        body = data[body_start:body_start + int(cl.group(1))]
        pos = body_start + int(cl.group(1))
        if not body.strip():
            continue
        action = re.search(r'action="([^"]*)"', headers)
        name = action.group(1) if action else 'Fault'
        name = re.split(r'[/:]', name)[-1] or 'msg'
        n += 1
        kind = 'req' if headers.startswith('POST') else 'resp'
        fn = os.path.join(out, '%02d-%s-%s.xml' % (n, kind, name))
        with open(fn, 'wb') as f:
            f.write(body)
        print(fn)


if __name__ == '__main__':
    main()
