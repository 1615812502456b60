"""A Twilio-compatible Messages API on loopback, for the SMS tests: a real HTTP server in a
thread that checks basic auth and the form fields, answers with Twilio-shaped JSON, and
keeps every request it got. Tests script its answers per number ("To")."""

from __future__ import annotations

import base64
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-1234"
SENDER = "+15550000000"
PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


class FakeTwilio:
    """What the fake API received, and what it will answer."""

    def __init__(self):
        self.requests: list[dict] = []
        # "To" number -> list of (status, body) answers, used in order, then success.
        self.scripted: dict[str, list[tuple[int, dict]]] = {}
        self._ids = itertools.count(1)
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, to: str, *answers: tuple[int, dict]) -> None:
        self.scripted.setdefault(to, []).extend(answers)

    def sent(self) -> list[dict]:
        """The form of every request that was answered with success."""
        return [r["form"] for r in self.requests if r["status"] == 201]

    def reply_for(self, form: dict) -> tuple[int, dict]:
        with self.lock:
            queue = self.scripted.get(form.get("To", ""), [])
            if queue:
                return queue.pop(0)
            sid = f"SM{next(self._ids):032d}"
        return 201, {
            "sid": sid,
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "error_code": None,
            "error_message": None,
        }


def twilio_error(code: int, message: str, status: int = 400) -> tuple[int, dict]:
    """A Twilio error answer, as the real API shapes it."""
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _handler(fake: FakeTwilio):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep the test output quiet
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {key: values[0] for key, values in parse_qs(raw).items()}
            expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
            if self.path != PATH:
                status, body = twilio_error(20404, "The requested resource was not found", 404)
            elif self.headers.get("Authorization") != expected:
                status, body = twilio_error(20003, "Authenticate", 401)
            elif self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
                status, body = twilio_error(21000, "Form-encoded body expected")
            elif not form.get("To") or not form.get("Body"):
                status, body = twilio_error(21604, "A 'To' phone number and a 'Body' are required")
            else:
                status, body = fake.reply_for(form)
            fake.requests.append({"path": self.path, "form": form, "status": status})
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def running_fake_twilio(app, monkeypatch):
    """The fake API running, and the app configured to send through it (a test module's
    fixture yields from it)."""
    fake = FakeTwilio()
    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    for key, value in {
        "RAPPORT_SMS_PROVIDER": "twilio",
        "RAPPORT_SMS_API_URL": fake.url,
        "RAPPORT_SMS_ACCOUNT_SID": ACCOUNT_SID,
        "RAPPORT_SMS_AUTH_TOKEN": AUTH_TOKEN,
        "RAPPORT_SMS_FROM": SENDER,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
