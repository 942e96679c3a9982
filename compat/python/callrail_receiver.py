"""A CallRail webhook receiver as customers write it in Python (standard
library only): base64 HMAC-SHA1 of the raw body under the company's signing
key, compared with the Signature header.

Env: CALLRAIL_SIGNING_KEY, PORT (0 picks one). Prints "listening PORT", then
"accepted|rejected <webhook-id> <detail>" per request.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = os.environ["CALLRAIL_SIGNING_KEY"].encode()


def valid_signature(body: bytes, signature: str) -> bool:
    digest = hmac.new(KEY, body, hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), signature)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        wid = self.headers.get("webhook-id", "-")
        if not valid_signature(body, self.headers.get("Signature", "")):
            print(f"rejected {wid} bad-signature", flush=True)
            return self.answer(401, {"error": "invalid signature"})
        json.loads(body)  # a body that is not JSON raises: the server answers 500
        print(f"accepted {wid} {self.path.rsplit('/', 1)[-1]}", flush=True)
        self.answer(200, {"ok": True})

    def answer(self, code, obj):
        raw = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):  # keep stdout for the verdicts
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "0"))), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
