"""A strict CallRail receiver: after checking the Signature it tells calls,
texts, forms and Convert Assist results apart by their fields, as receivers
serving several CallRail webhooks from one handler do, and rejects a body it
cannot classify or whose kind does not match the webhook it is configured
for (the last path segment, one URL per CallRail webhook).

Env: CALLRAIL_SIGNING_KEY, PORT (0 picks one). Prints "listening PORT", then
"accepted <webhook-id> <event>" or "rejected <webhook-id> <reason>".
"""

import base64
import hashlib
import hmac
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY = os.environ["CALLRAIL_SIGNING_KEY"].encode()

CALL_FIELDS = {"answered", "call_type", "tracking_phone_number", "duration", "start_time"}
TEXT_FIELDS = {"message_type", "source_number", "destination_number", "content", "conversation_id"}
FORM_FIELDS = {"form_data", "form_url", "submitted_at"}
ASSIST_FIELDS = {"answers", "last_interaction_type", "last_interaction_resource_id"}

KIND_OF_EVENT = {
    "pre_call": "call", "call_routing_complete": "call", "post_call": "call",
    "call_modified": "call", "outbound_post_call": "call", "outbound_call_modified": "call",
    "text_message_received": "text", "text_message_sent": "text",
    "form_submission": "form", "convert_assist_complete": "assist",
}


def classify(body: dict) -> str:
    """The one kind whose fields the body carries; "" when none or several."""
    keys = set(body)
    kinds = [
        kind
        for kind, fields in (("call", CALL_FIELDS), ("text", TEXT_FIELDS),
                             ("form", FORM_FIELDS), ("assist", ASSIST_FIELDS))
        if keys & fields
    ]
    if len(kinds) != 1:
        return ""
    kind = kinds[0]
    required = {"call": CALL_FIELDS, "text": TEXT_FIELDS, "form": FORM_FIELDS, "assist": ASSIST_FIELDS}[kind]
    return kind if required <= keys else ""


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        wid = self.headers.get("webhook-id", "-")
        event = self.path.rsplit("/", 1)[-1]
        digest = base64.b64encode(hmac.new(KEY, body, hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(digest, self.headers.get("Signature", "")):
            return self.reject(wid, 401, "bad-signature")
        try:
            data = json.loads(body)
        except ValueError:
            return self.reject(wid, 400, "not-json")
        if not isinstance(data, dict):
            return self.reject(wid, 422, "not-an-object")
        kind = classify(data)
        if not kind:
            return self.reject(wid, 422, "unclassifiable:" + ",".join(sorted(data))[:200])
        if KIND_OF_EVENT.get(event) != kind:
            return self.reject(wid, 422, f"unsupported-{kind}-on-{event}")
        print(f"accepted {wid} {event}", flush=True)
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
