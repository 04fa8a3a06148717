"""The Python client that openapi-python-client generated from the served OpenAPI document,
used as an integrator would (run by scripts/clients.sh, which starts hookd and generates the
client into target/clients/hookd_client).

It creates an app, an event type, a subscription and an endpoint (a receiver in this test),
sends a message, and checks that the message reaches the receiver, signed with the endpoint's
secret, and that its delivery is listed as succeeded. Every answer is parsed into the client's
own model classes: a schema that does not match what the API answers fails here.
"""

import base64
import hashlib
import hmac
import http.server
import os
import threading
import time
import unittest
import uuid

from hookd_client import AuthenticatedClient
from hookd_client.api.apps import apps_create, apps_get_one
from hookd_client.api.deliveries import deliveries_by_message
from hookd_client.api.endpoints import endpoints_create
from hookd_client.api.event_types import event_types_create
from hookd_client.api.messages import messages_get_one, messages_send
from hookd_client.api.subscriptions import subscriptions_create
from hookd_client.models import (
    App,
    AppInput,
    CreateEventType,
    Endpoint,
    EndpointInput,
    ErrorBody,
    EventType,
    Message,
    SendMessage,
    Subscription,
    SubscriptionInput,
)

BASE = os.environ["HOOKD_CLIENTS_BASE"]
KEY = os.environ["HOOKD_CLIENTS_KEY"]
TIMEOUT = 30.0


class Receiver(http.server.ThreadingHTTPServer):
    """Records each POST: (path, headers, body)."""

    def __init__(self):
        self.received = []
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with server.lock:
                    server.received.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def url(self, path):
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


def wait_for(what, check):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def created(response, model):
    """The parsed body of a 2xx, asserting that the client parsed it into `model`."""
    assert 200 <= response.status_code < 300, (response.status_code, response.content)
    assert isinstance(response.parsed, model), (type(response.parsed), response.content)
    return response.parsed


class GeneratedClientTest(unittest.TestCase):
    def setUp(self):
        self.receiver = Receiver()
        threading.Thread(target=self.receiver.serve_forever, daemon=True).start()
        self.client = AuthenticatedClient(base_url=BASE, token=KEY, timeout=TIMEOUT)

    def tearDown(self):
        self.client.get_httpx_client().close()
        self.receiver.shutdown()
        self.receiver.server_close()

    def test_app_to_delivered_message(self):
        name = f"generated-{uuid.uuid4().hex[:8]}"
        c = self.client
        app = created(apps_create.sync_detailed(client=c, body=AppInput(name=name)), App)
        self.assertEqual(app.name, name)
        again = created(apps_get_one.sync_detailed(app.id, client=c), App)
        self.assertEqual(again.id, app.id)

        et = created(
            event_types_create.sync_detailed(
                app.id, client=c, body=CreateEventType(name="user.created")
            ),
            EventType,
        )
        self.assertEqual(et.name, "user.created")
        sub = created(
            subscriptions_create.sync_detailed(
                app.id, client=c, body=SubscriptionInput(name="acme")
            ),
            Subscription,
        )
        endpoint = created(
            endpoints_create.sync_detailed(
                sub.id,
                client=c,
                body=EndpointInput(
                    url=self.receiver.url("/generated"), event_types=["user.created"]
                ),
            ),
            Endpoint,
        )
        secret = endpoint.secret
        self.assertTrue(secret.startswith("whsec_"), secret)

        # The router learns of a new endpoint on its own schedule (a NOTIFY, a second at
        # most): sent until one arrives, each send a new message.
        sent_ids = []

        def delivered():
            response = messages_send.sync_detailed(
                app.id,
                client=c,
                body=SendMessage(event_type="user.created", data={"n": len(sent_ids)}),
            )
            sent_ids.append(str(created(response, Message).id))
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                with self.receiver.lock:
                    got = [r for r in self.receiver.received if r[0] == "/generated"]
                if got:
                    return got[0]
                time.sleep(0.05)
            return None

        path, headers, body = wait_for("a delivery to the receiver", delivered)
        headers = {k.lower(): v for k, v in headers.items()}
        msg_id = headers["webhook-id"]
        self.assertIn(msg_id, sent_ids)
        # Standard Webhooks: v1 = HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed by the secret.
        key = base64.b64decode(secret.removeprefix("whsec_"))
        signed = f"{msg_id}.{headers['webhook-timestamp']}.".encode() + body
        expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
        self.assertIn(expected, headers["webhook-signature"].split(" "))

        message = created(messages_get_one.sync_detailed(uuid.UUID(msg_id), client=c), Message)
        self.assertEqual(message.event_type, "user.created")

        def succeeded():
            response = deliveries_by_message.sync_detailed(uuid.UUID(msg_id), client=c)
            page = response.parsed
            return page is not None and any(
                str(d.status) == "succeeded" for d in getattr(page, "models", [])
            )

        wait_for("the delivery listed as succeeded", succeeded)

    def test_an_error_is_parsed_as_the_error_body(self):
        response = apps_get_one.sync_detailed(uuid.uuid4(), client=self.client)
        self.assertEqual(response.status_code, 404)
        self.assertIsInstance(response.parsed, ErrorBody)
        self.assertEqual(response.parsed.status, 404)
        with AuthenticatedClient(base_url=BASE, token="not-a-key") as unauthorized:
            response = apps_get_one.sync_detailed(uuid.uuid4(), client=unauthorized)
        self.assertEqual(response.status_code, 401)
        self.assertIsInstance(response.parsed, ErrorBody)


if __name__ == "__main__":
    unittest.main()
