#!/usr/bin/env python3
"""The backend behind `wsrx serve --forward` in the gateway tests: a real HTTP server
(a separate process) that fails on a seeded schedule and records what it accepted.

Each POST is decided from (seed, Idempotency-Key, how many times that key came):
503, a hang past the gateway's attempt timeout, a dropped connection, or acceptance.
A message whose number is in --poison is refused with 400 unless it is a replay
(`Wsrx-Replay: true`). With --block N:FILE, message N waits until FILE exists.
An accepted message is appended to --log as one JSON line (fsynced) *before* the 2xx
goes out, so a gateway killed after that but before it committed the hand-off shows
up as a second line with the same key.

The listening port is written to --port-file once the server is up.
"""

import argparse
import http.server
import json
import os
import random
import re
import threading
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--seed", default="1")
    p.add_argument("--fail-rate", type=float, default=0.0)
    p.add_argument("--hang-secs", type=float, default=1.0)
    p.add_argument("--poison", default="")
    p.add_argument("--block", default="")
    args = p.parse_args()
    poison = {int(n) for n in args.poison.split(",") if n}
    block = None
    if args.block:
        number, path = args.block.split(":", 1)
        block = (int(number), path)
    lock = threading.Lock()
    seen = {}
    log = open(args.log, "a", encoding="utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, body=b"", action=None):
            self.send_response(status)
            if action:
                self.send_header("Wsrx-Action", action)
            self.send_header("Content-Length", str(len(body)))
            if body:
                self.send_header("Content-Type", "application/xml")
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            key = self.headers.get("Idempotency-Key", "")
            number = int(self.headers.get("Wsrx-Message-Number") or 0)
            replay = self.headers.get("Wsrx-Replay") == "true"
            with lock:
                count = seen[key] = seen.get(key, 0) + 1
            if number in poison and not replay:
                return self.answer(400, b"<refused/>")
            if block and number == block[0]:
                while not os.path.exists(block[1]):
                    time.sleep(0.05)
            if not replay and args.fail_rate > 0:
                r = random.Random(f"{args.seed}/{key}/{count}").random()
                if r < args.fail_rate * 0.5:
                    return self.answer(503)
                if r < args.fail_rate * 0.75:
                    time.sleep(args.hang_secs)
                    self.close_connection = True
                    return
                if r < args.fail_rate:
                    self.close_connection = True
                    return
            line = {
                "key": key,
                "sequence": self.headers.get("Wsrx-Sequence"),
                "number": number,
                "action": self.headers.get("Wsrx-Action"),
                "token": self.headers.get("Wsrx-Token"),
                "attempt": self.headers.get("Wsrx-Attempt"),
                "redelivered": self.headers.get("Wsrx-Redelivered") == "true",
                "replay": replay,
                "content_type": self.headers.get("Content-Type"),
                "body": body,
            }
            with lock:
                log.write(json.dumps(line) + "\n")
                log.flush()
                os.fsync(log.fileno())
            action = self.headers.get("Wsrx-Action", "")
            if action.endswith("/Echo"):
                # A request: answered with an echoResponse naming what the backend saw.
                m = re.search(r"<ns:text>(.*?)</ns:text>", body)
                text = m.group(1) if m else ""
                reply = ('<ns:echoResponse xmlns:ns="urn:example:echo"><ns:text>'
                         f"backend saw {text}</ns:text></ns:echoResponse>")
                return self.answer(200, reply.encode(), action + "Response")
            self.answer(200, f"<ok xmlns=\"urn:test\">{key}</ok>".encode())

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            # A gateway killed or timing out mid-request resets its connection.
            pass

    server = Server(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
