#!/usr/bin/env python3
"""One-shot loopback HTTP server: answers each POST with the bytes of a
canned SOAP response file and stores the request body.  Used to feed hand-made
RSTR/RSTRC messages to rst_client (interop/gsoap/rst) (no STS in Debian).

usage: python3 interop/tools/canned_http.py PORT RESPONSE.xml REQUEST_OUT.xml [COUNT]"""
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(sys.argv[3], 'wb') as f:
            f.write(body)
        data = open(sys.argv[2], 'rb').read()
        self.send_response(200)
        self.send_header('Content-Type', 'application/soap+xml; charset=utf-8')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


if __name__ == '__main__':
    srv = HTTPServer(('127.0.0.1', int(sys.argv[1])), H)
    srv.timeout = 30
    for _ in range(int(sys.argv[4]) if len(sys.argv) > 4 else 1):
        srv.handle_request()
