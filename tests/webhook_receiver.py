"""A real HTTP server on loopback for webhook tests: it records every request and answers
with the status codes it is told to (200 when told nothing)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """`with Receiver() as receiver:` serves on 127.0.0.1; `receiver.codes.append(500)`
    makes the next answer a 500; `receiver.requests` lists what arrived."""

    def __init__(self, body: bytes = b'{"ok": true}'):
        self.requests: list[dict] = []
        self.codes: list[int] = []
        self.body = body
        self.location = ""
        self.on_request = None  # called (in the server's thread) before each answer
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                if receiver.on_request is not None:
                    receiver.on_request()
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                if 300 <= code < 400:
                    self.send_header("Location", receiver.location or "/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/rapport"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def fake_dns(monkeypatch, table: dict) -> None:
    """Resolve the names in `table` to its addresses (a list, or a function returning one
    per lookup, to play DNS rebinding); any other name resolves as usual."""
    import socket

    real = socket.getaddrinfo

    def lookup(host, port, *args, **kwargs):
        answer = table.get(host)
        if answer is None:
            return real(host, port, *args, **kwargs)
        addresses = answer() if callable(answer) else answer
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
