"""POSTing to a checked webhook target: connect only to the addresses the SSRF check
validated (naming the host in the Host header, TLS SNI and certificate check), connect and
read timeouts, and a hard deadline on the whole exchange, so a receiver that drips its
answer a byte at a time cannot hold an attempt past its lease. Redirects are never
followed; only the first kilobyte of the answer is read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time

import certifi
import urllib3

from app.services.webhook_targets import Target

TIMEOUT = urllib3.Timeout(connect=5.0, read=10.0)
# The longest one address may take in all; at most MAX_ADDRESSES are tried, well within
# the delivery's lease (app.services.webhook_delivery.LEASE, 5 minutes).
DEADLINE_SECONDS = 30.0
MAX_ADDRESSES = 3
EXCERPT_BYTES = 1024


@dataclasses.dataclass(frozen=True)
class Attempt:
    """What one POST came to: the status code (None without an answer) and why it failed."""

    response_code: int | None = None
    error: str = ""
    excerpt: str = ""
    duration_ms: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.response_code is not None and 200 <= self.response_code < 300


class _Watched:
    """A pool that remembers its connections, so a deadline can cut their sockets."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.opened: list = []
        self.was_cut = False

    def _new_conn(self):
        connection = super()._new_conn()
        self.opened.append(connection)
        return connection

    def cut(self) -> None:
        self.was_cut = True
        for connection in self.opened:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class _HTTPPool(_Watched, urllib3.HTTPConnectionPool):
    pass


class _HTTPSPool(_Watched, urllib3.HTTPSConnectionPool):
    pass


def _pool(target: Target, address: str):
    """A connection pool to a validated address, naming the host for TLS and Host."""
    if target.scheme == "https":
        return _HTTPSPool(
            address,
            target.port,
            timeout=TIMEOUT,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return _HTTPPool(address, target.port, timeout=TIMEOUT, retries=False)


def _error_text(error: Exception) -> str:
    """A short English reason, kept in the log like a status line."""
    # NewConnectionError is a ConnectTimeoutError too: test it first.
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return f"Could not connect: {error}"
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return f"Timed out connecting ({TIMEOUT.connect_timeout:g} s)."
    if isinstance(error, urllib3.exceptions.ReadTimeoutError):
        return f"No answer within {TIMEOUT.read_timeout:g} s."
    if isinstance(error, urllib3.exceptions.SSLError):
        return f"TLS error: {error}"
    return f"{type(error).__name__}: {error}"


def _exchange(pool, target: Target, body: bytes, headers: dict):
    """(status, Location, the first EXCERPT_BYTES + 1 bytes of the answer)."""
    response = pool.urlopen(
        "POST",
        target.path,
        body=body,
        headers={**headers, "Host": target.host_header},
        redirect=False,
        retries=False,
        preload_content=False,
        assert_same_host=False,
    )
    try:
        raw = response.read(EXCERPT_BYTES + 1, decode_content=False)
    finally:
        response.close()
    return response.status, response.headers.get("Location") or "", raw


def post(target: Target, body: bytes, headers: dict) -> Attempt:
    """POST `body` to `target` (never following a redirect); the outcome, never an error.
    An address that refuses the connection gives way to the next one checked."""
    started = time.monotonic()
    addresses = target.addresses[:MAX_ADDRESSES]
    for number, address in enumerate(addresses, start=1):
        pool = _pool(target, address)
        deadline = threading.Timer(DEADLINE_SECONDS, pool.cut)
        deadline.start()
        try:
            status, location, raw = _exchange(pool, target, body, headers)
            break
        except urllib3.exceptions.ConnectTimeoutError as error:  # incl. NewConnectionError
            if number < len(addresses):
                continue
            failure = error
        except (urllib3.exceptions.HTTPError, OSError) as error:
            failure = error
        finally:
            deadline.cancel()
            pool.close()
        elapsed = int((time.monotonic() - started) * 1000)
        reason = _error_text(failure)
        if pool.was_cut:
            reason = f"No complete answer within {DEADLINE_SECONDS:g} s."
        return Attempt(error=reason[:500], duration_ms=elapsed)
    elapsed = int((time.monotonic() - started) * 1000)
    if pool.was_cut:  # the answer began but never finished
        return Attempt(
            error=f"No complete answer within {DEADLINE_SECONDS:g} s.", duration_ms=elapsed
        )
    excerpt = raw[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    if len(raw) > EXCERPT_BYTES:
        excerpt += "…"
    attempt = Attempt(status, "", excerpt, elapsed)
    if attempt.succeeded:
        return attempt
    error = f"HTTP {status}"
    if 300 <= status < 400:
        error += f": a redirect (to {location[:300] or '?'}), not followed"
    return dataclasses.replace(attempt, error=error)
