"""The signature on every webhook Rapport sends, and the check a receiver runs.

`X-Rapport-Signature: sha256=<hex>` is the HMAC-SHA256, keyed with the subscription's
secret, of `f"{timestamp}.{body}"`, where `timestamp` is the `X-Rapport-Timestamp` header
(unix seconds) and `body` the raw request body. Signing the timestamp too means a captured
request cannot be replayed later under a fresh one. This module imports nothing of Rapport:
receivers written in Python may copy it as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def sign(secret: str | bytes, timestamp: int | str, body: str | bytes) -> str:
    """The `X-Rapport-Signature` value of `body` sent at `timestamp`."""
    message = _bytes(str(timestamp)) + b"." + _bytes(body)
    return "sha256=" + hmac.new(_bytes(secret), message, hashlib.sha256).hexdigest()


def verify(
    secret: str | bytes,
    timestamp: int | str,
    body: str | bytes,
    signature: str,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """True when `signature` is Rapport's for this exact body and timestamp, and the
    timestamp is within `tolerance` seconds of now (older requests may be replays)."""
    try:
        sent = int(str(timestamp).strip())
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    expected = sign(secret, sent, body)
    return hmac.compare_digest(expected.encode(), (signature or "").strip().encode())
