"""Where a `next` parameter may send the user: local paths only."""

from urllib.parse import unquote, urlsplit


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a plain local path, else `default` (no //host, /\\host, scheme)."""
    if not target:
        return default
    for candidate in (target, unquote(target)):
        if any(ch in candidate for ch in ("\\", "\r", "\n", "\t")) or candidate.startswith("//"):
            return default
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc or not candidate.startswith("/"):
            return default
    return target
