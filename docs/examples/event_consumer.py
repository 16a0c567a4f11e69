"""A merchant's system taking orderflow's events: the signature checked on the raw body with
the endpoint's secret (Standard Webhooks), each event taken once by its ID, 2xx answered only
once it is kept. Run: ORDERFLOW_EVENTS_SECRET=whsec_… python event_consumer.py"""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRETS = os.environ["ORDERFLOW_EVENTS_SECRET"].split()  # during a rotation: old and new
SEEN: set[str] = set()  # in a real system: a unique column in its database


def verified(body: bytes, headers: dict[str, str]) -> dict[str, object] | None:
    for secret in SECRETS:
        try:
            return Webhook(secret).verify(body, headers)  # type: ignore[no-any-return]
        except WebhookVerificationError:
            continue
    return None


class Events(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the standard library's name
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        event = verified(body, headers)
        if event is None:
            self.send_response(401)  # not orderflow's, or too old: never taken
            self.end_headers()
            return
        if event["id"] not in SEEN:  # at least once: a repeat is acknowledged, not redone
            SEEN.add(str(event["id"]))
            print(json.dumps({"type": event["type"], "order": event["data"]}))  # type: ignore[index]
        self.send_response(204)
        self.end_headers()


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8900"))), Events).serve_forever()
