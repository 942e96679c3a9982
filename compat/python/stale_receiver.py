"""A CallRail receiver that follows CallRail's replay advice: after the
Signature it parses the body's `timestamp` and refuses a webhook more than
5 minutes old (or more than 1 minute in the future).

Env: CALLRAIL_SIGNING_KEY, PORT (0 picks one). Prints "listening PORT", then
"accepted <webhook-id> <event>" or "rejected <webhook-id> <reason>".
"""

import base64
import hashlib
import hmac
import json
import os
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = os.environ["CALLRAIL_SIGNING_KEY"].encode()
MAX_AGE = timedelta(minutes=5)


def parse_time(value: str) -> datetime:
    # CallRail writes "2025-03-14T10:22:31.430-04:00"; Python before 3.11
    # does not take a "Z" suffix, so accept it by hand.
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    return datetime.fromisoformat(value)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        wid = self.headers.get("webhook-id", "-")
        digest = base64.b64encode(hmac.new(KEY, body, hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(digest, self.headers.get("Signature", "")):
            return self.reject(wid, 401, "bad-signature")
        data = json.loads(body)
        try:
            at = parse_time(data["timestamp"])
        except (KeyError, TypeError, ValueError) as err:
            return self.reject(wid, 400, f"no-timestamp:{err}")
        if at.tzinfo is None:
            return self.reject(wid, 400, "timestamp-without-zone")
        age = datetime.now(timezone.utc) - at
        if age > MAX_AGE or age < -timedelta(minutes=1):
            return self.reject(wid, 400, f"stale-timestamp:{data['timestamp']}")
        print(f"accepted {wid} {self.path.rsplit('/', 1)[-1]}", flush=True)
        self.answer(200)

    def reject(self, wid, code, reason):
        print(f"rejected {wid} {reason}", flush=True)
        self.answer(code)

    def answer(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "0"))), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()
