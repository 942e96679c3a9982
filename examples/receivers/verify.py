#!/usr/bin/env python3
"""Callhooks webhook receiver for Python 3, standard library only.

It checks the CallRail `Signature` header and the Standard Webhooks headers,
answers at once, and prints one JSON line per request.

    CALLHOOKS_SIGNING_KEY=<signing_key or webhook_secret> python3 verify.py 8000

During a key rotation put both keys in CALLHOOKS_SIGNING_KEY, space-separated.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60  # how far webhook-timestamp may be from our clock
MAX_BODY = 1 << 20  # webhook bodies are a few KiB
MAX_REMEMBERED = 10000  # webhook-ids kept for deduplication


def decode_key(key):
    """The company's signing_key (its ASCII bytes are the HMAC key), or the
    same key as webhook_secret: "whsec_" + base64 of those bytes."""
    if key.startswith("whsec_"):
        rest = key[len("whsec_"):]
        return base64.b64decode(rest + "=" * (-len(rest) % 4))
    return key.encode()


KEYS = [decode_key(k) for k in os.environ.get("CALLHOOKS_SIGNING_KEY", "").split()]


def hmac_base64(digest, key, message):
    return base64.b64encode(hmac.new(key, message, digest).digest())


def callrail_valid(headers, body):
    """CallRail scheme: Signature = base64(HMAC-SHA1(key, raw body))."""
    got = headers.get("Signature", "").encode()
    return bool(got) and any(hmac.compare_digest(got, hmac_base64(hashlib.sha1, k, body)) for k in KEYS)


def standard_valid(headers, body):
    """Standard Webhooks: webhook-signature holds space-separated "v1,<base64>"
    entries of HMAC-SHA256(key, id + "." + timestamp + "." + body), one per
    active key (two during a rotation); any one matching any key is enough."""
    msg_id = headers.get("webhook-id", "")
    ts = headers.get("webhook-timestamp", "")
    sigs = headers.get("webhook-signature", "")
    if not msg_id or not sigs or not re.fullmatch(r"0|[1-9][0-9]*", ts):
        return False
    if abs(time.time() - int(ts)) > TOLERANCE_SECONDS:
        return False
    signed = f"{msg_id}.{ts}.".encode() + body
    want = [hmac_base64(hashlib.sha256, k, signed) for k in KEYS]
    for entry in sigs.split(" "):
        version, _, sig = entry.partition(",")
        if version == "v1" and any(hmac.compare_digest(sig.encode(), w) for w in want):
            return True  # other versions are ignored
    return False


# Every retry of one delivery carries the same webhook-id: remember the ids
# already handled (a real receiver keeps them in its database).
_seen = OrderedDict()
_seen_lock = threading.Lock()


def first_time(msg_id):
    with _seen_lock:
        if msg_id in _seen:
            return False
        _seen[msg_id] = time.time()
        if len(_seen) > MAX_REMEMBERED:
            _seen.popitem(last=False)
        return True


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.send_error(413 if length > MAX_BODY else 400)
            return
        body = self.rfile.read(length)  # verify the raw bytes, never re-serialized JSON
        callrail = callrail_valid(self.headers, body)
        standard = standard_valid(self.headers, body)
        msg_id = self.headers.get("webhook-id")
        ok = callrail and standard
        duplicate = ok and not first_time(msg_id)
        # Answer before doing any work: Callhooks retries a slow answer.
        answer = b'{"ok":true}' if ok else b'{"error":"invalid signature"}'
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        print(json.dumps({
            "event": self.headers.get("X-Callhooks-Event"),
            "webhook_id": msg_id,
            "callrail_valid": callrail,
            "standard_valid": standard,
            "duplicate": duplicate,
        }), flush=True)
        # if ok and not duplicate: queue the work here (a thread, a job queue).

    def log_message(self, format, *args):
        pass  # stdout carries exactly one JSON line per request


def main():
    if not KEYS:
        sys.exit("set CALLHOOKS_SIGNING_KEY to the company signing_key (or webhook_secret)")
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    server = ThreadingHTTPServer((host, port), Handler)
    print(f"verifying webhooks on http://{host}:{port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
