"""What the browser tests share: the hookd process, a JSON API client, a receiver standing in
for subscriber endpoints, and waits with a bound."""

import http.server
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid

from playwright.sync_api import expect

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCREENSHOTS = os.path.join(ROOT, "target", "e2e-screenshots")
ADMIN_KEY = "e2e_admin_key_" + uuid.uuid4().hex
PG = os.environ.get("HOOKD_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432")
AMQP = os.environ.get("HOOKD_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=15.0, what="condition"):
    """Polls `predicate` until it returns a true value, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Hookd:
    """`hookd all-in-one` on free ports, its own database and broker prefix."""

    def __init__(self):
        tag = uuid.uuid4().hex[:12]
        self.database = f"hookd_e2e_{tag}"
        self.prefix = f"e2e.{tag}."
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update({
            "HOOKD_PROFILE": "local",
            "HOOKD_CONFIG_DIR": os.path.join(ROOT, "config"),
            "HOOKD__DATABASE__URL": f"{PG}/{self.database}",
            "HOOKD__AMQP__URL": AMQP,
            "HOOKD__AMQP__PREFIX": self.prefix,
            "HOOKD__INGEST__LISTEN": f"127.0.0.1:{self.port}",
            "HOOKD__ROUTER__LISTEN": f"127.0.0.1:{free_port()}",
            "HOOKD__DELIVERY__LISTEN": f"127.0.0.1:{free_port()}",
            "HOOKD__DELIVERY__RETRY_SCHEDULE": "0s,1s,1s",
            "HOOKD__DELIVERY__POLL_INTERVAL": "100ms",
            "HOOKD__ROUTER__SWEEP_INTERVAL": "200ms",
            "HOOKD__AUTH__BOOTSTRAP_API_KEY": ADMIN_KEY,
            "HOOKD__LOG__FORMAT": "pretty",
            "HOOKD__LOG__LEVEL": "warn",
        })
        binary = os.environ.get("HOOKD_E2E_BIN", os.path.join(ROOT, "target", "debug", "hookd"))
        os.makedirs(SCREENSHOTS, exist_ok=True)
        self.log = open(os.path.join(ROOT, "target", "e2e-hookd.log"), "w")
        self.process = subprocess.Popen([binary, "all-in-one"], env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        wait_until(self._ready, timeout=60, what="hookd /readyz")

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError("hookd exited; see target/e2e-hookd.log")
        try:
            with urllib.request.urlopen(self.base + "/readyz", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        subprocess.run(["psql", f"{PG}/postgres", "-q", "-c",
                        f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'],
                       check=False, capture_output=True)
        self._drop_broker_names()

    def _drop_broker_names(self):
        try:
            import pika
        except ImportError:
            return
        names = {}
        for kind in ("queues", "exchanges"):
            out = subprocess.run(["rabbitmqctl", "-q", f"list_{kind}", "name"],
                                 capture_output=True, text=True, check=False).stdout
            names[kind] = [n.strip() for n in out.splitlines() if n.strip().startswith(self.prefix)]
        try:
            conn = pika.BlockingConnection(pika.URLParameters(AMQP))
            ch = conn.channel()
            for q in names["queues"]:
                ch.queue_delete(q)
            for x in names["exchanges"]:
                ch.exchange_delete(x)
            conn.close()
        except Exception:  # noqa: BLE001 - cleanup is best effort
            pass


class Api:
    """The JSON API with a key."""

    def __init__(self, base, key):
        self.base, self.key = base, key

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/api/v1" + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.key}")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read().decode()
                return r.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            return e.code, (json.loads(text) if text else None)

    def post(self, path, body=None):
        status, answer = self.call("POST", path, body if body is not None else {})
        assert status in (200, 201, 202), f"POST {path}: {status} {answer}"
        return answer

    def get(self, path):
        status, answer = self.call("GET", path)
        assert status == 200, f"GET {path}: {status} {answer}"
        return answer


class Receiver:
    """An HTTP server standing in for subscriber endpoints: `/ok...` answers 200, `/fail...` 500,
    `/gone...` 410. It records every request."""

    def __init__(self):
        self.requests = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the stdlib's name
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append((self.path, dict(self.headers), body))
                status = 500 if self.path.startswith("/fail") else (
                    410 if self.path.startswith("/gone") else 200)
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"received" if status == 200 else b"receiver says no")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def received(self, path):
        return [r for r in self.requests if r[0] == path]

    def stop(self):
        self.server.shutdown()


def login(pages, key=ADMIN_KEY):
    """Logs in through the form and lands on Apps."""
    page = pages.page
    pages.goto("/console/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name="Apps")).to_be_visible()


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def exact(text):
    return re.compile(rf"^{re.escape(text)}$")


def send_delivered(api, app_id, body, deliveries, timeout=30.0):
    """Sends a message once the router knows the new endpoints: a message sent before the
    router's view has them gets no delivery, so it is sent again until it gets `deliveries`."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        message = api.post(f"/apps/{app_id}/messages", body)
        try:
            wait_until(lambda: api.get(f"/messages/{message['id']}/deliveries")["count"]
                       >= deliveries, timeout=3, what="deliveries")
            return message
        except AssertionError:
            if time.monotonic() > deadline:
                raise
