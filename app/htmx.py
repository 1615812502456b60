"""The one convention for "full page or fragment", HX-Trigger events and HTMX-aware errors."""

from __future__ import annotations

import json

from flask import make_response, render_template, request


def wants_fragment() -> bool:
    """True for an HTMX request that swaps part of a page (not boosted, not a history restore)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page_or_fragment(page: str, fragment: str, status: int = 200, **context):
    """Render the whole page, or only `fragment` when HTMX asks for it; always Vary on it."""
    template = fragment if wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def hx_trigger(response, *events: str, **events_with_detail):
    """Add HX-Trigger events (camelCase names) that other panels listen to."""
    payload = {name: True for name in events} | events_with_detail
    existing = response.headers.get("HX-Trigger")
    if existing:
        payload = json.loads(existing) | payload
    response.headers["HX-Trigger"] = json.dumps(payload)
    return response


def hx_redirect(response, url: str):
    """Make HTMX load `url` as a full page (used for logins and finished forms)."""
    response.headers["HX-Redirect"] = url
    return response
