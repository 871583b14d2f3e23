#!/usr/bin/env python3
"""An application without a WS-* stack, in another language than wsrx: it POSTs plain
SOAP 1.1 envelopes to `wsrx proxy` with nothing but urllib, retrying while the proxy
is down (the test kills it), then sends one request and asks GET /status/<seq>/<n>
for every message it got a 202 for, until each is acknowledged.

Usage: proxy_client.py BASE_URL COUNT OUT_JSONL
Each line of OUT_JSONL: {"kind": "sent", "text", "sequence", "number"} per 202,
{"kind": "reply", "body"} for the request, {"kind": "status", "sequence", "number",
"state"} per message at the end.
"""

import http.client
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

NOTIFY = "urn:example:echo/Notify"
ECHO = "urn:example:echo/Echo"


def envelope(text, local="echo"):
    return ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
            f'<soapenv:Body><ns:{local} xmlns:ns="urn:example:echo"><ns:text>{text}</ns:text>'
            f'</ns:{local}></soapenv:Body></soapenv:Envelope>')


def call(url, body=None, action=None):
    """One HTTP exchange, retried while the proxy is down or cannot take it yet."""
    while True:
        headers = {}
        if body is not None:
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{action}"'}
        req = urllib.request.Request(url, data=None if body is None else body.encode(),
                                     headers=headers, method="GET" if body is None else "POST")
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            if e.code in (502, 503, 504):
                time.sleep(0.05)
                continue
            raise
        except (urllib.error.URLError, http.client.HTTPException, OSError):
            time.sleep(0.05)


def main():
    base, count, out_path = sys.argv[1].rstrip("/"), int(sys.argv[2]), sys.argv[3]
    out = open(out_path, "w", encoding="utf-8")
    sent = []
    for i in range(1, count + 1):
        text = f"py {i}"
        status, body = call(base + "/orders", envelope(text), NOTIFY)
        assert status == 202, (status, body)
        receipt = json.loads(body)
        sent.append((receipt["sequence"], receipt["number"]))
        out.write(json.dumps({"kind": "sent", "text": text, **receipt}) + "\n")
        out.flush()
    status, body = call(base + "/orders", envelope("py request"), ECHO)
    assert status == 200, (status, body)
    out.write(json.dumps({"kind": "reply", "body": body}) + "\n")
    for seq, n in sent:
        url = f"{base}/status/{urllib.parse.quote(seq, safe='')}/{n}"
        for _ in range(2400):
            status, body = call(url)
            state = json.loads(body)["state"]
            if state == "acknowledged":
                break
            time.sleep(0.05)
        out.write(json.dumps({"kind": "status", "sequence": seq, "number": n,
                              "state": state}) + "\n")
    out.close()


if __name__ == "__main__":
    main()
