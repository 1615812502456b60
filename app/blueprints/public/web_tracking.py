"""Website tracking, no sign-in: the snippet (/t.js), the page-view beacon it sends (POST
/t/e), and the short links of campaigns (/l/<code>).

The beacon is sent as text/plain (a "simple" request: no CORS preflight) by
navigator.sendBeacon, so it carries no CSRF token and needs none: it only ever records a
page view of the visitor id it names, is size- and rate-limited, and only pages of the
hosts in RAPPORT_TRACKED_SITES are accepted when that is set. Answers: 204 recorded, 400
not a valid beacon, 403 a page of a host not tracked, 413 too large; never an error page."""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qsl, urlsplit

from flask import current_app, make_response, redirect, render_template, request, send_file
from flask_babel import gettext as _

from app.blueprints.public import bp
from app.extensions import csrf, db, limiter
from app.models.marketing import EventKind
from app.services import campaign_links, web_visitors

MAX_BODY = 4096
SNIPPET = os.path.join("static", "track", "rapport-track.js")
_TEXT_FIELDS = {"referrer": 1000, "title": 300, "site": 80}


def _rate_limit() -> str:
    return current_app.config.get("RAPPORT_TRACKING_RATE_LIMIT") or "240 per minute"


@bp.get("/t.js")
def tracking_snippet():
    response = send_file(
        os.path.join(current_app.root_path, SNIPPET),
        mimetype="application/javascript",
        max_age=3600,
        conditional=True,
    )
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _allowed_origin() -> str | None:
    origin = request.headers.get("Origin", "")
    if not origin or origin == "null" or not web_visitors.page_allowed(origin):
        return None
    return origin


def _answer(status: int):
    response = make_response("", status)
    origin = _allowed_origin()
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    response.headers["Vary"] = "Origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _body() -> bytes | None:
    """The request body, or None when it is larger than MAX_BODY (read no further)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    data = request.stream.read(MAX_BODY + 1)
    return None if len(data) > MAX_BODY else data


def _text(value, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _beacon(raw: bytes) -> dict | None:
    """The fields of a valid beacon, or None."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(body, dict):
        return None
    url = body.get("url")
    if not isinstance(url, str) or not url or len(url) > 2000:
        return None
    return body


def _detail(body: dict, url: str) -> dict:
    detail = {name: _text(body.get(name), limit) for name, limit in _TEXT_FIELDS.items()}
    try:
        query = dict(parse_qsl(urlsplit(url).query))
    except ValueError:
        query = {}
    for name in web_visitors.UTM_KEYS:
        detail[name] = _text(body.get(name), 100) or _text(query.get(name), 100)
    return detail


@bp.route("/t/e", methods=["POST", "OPTIONS"])
@csrf.exempt
@limiter.limit(_rate_limit, methods=["POST"])
def tracking_event():
    if request.method == "OPTIONS":
        return _answer(204)
    raw = _body()
    if raw is None:
        return _answer(413)
    body = _beacon(raw)
    visitor_id = web_visitors.valid_visitor_id(body.get("vid")) if body else None
    if body is None or visitor_id is None:
        return _answer(400)
    url = body["url"]
    if not web_visitors.page_allowed(url):
        return _answer(403)
    kind, event_url, detail = EventKind.VISIT, url, _detail(body, url)
    if body.get("k") == "download":
        href = _text(body.get("href"), 1000)
        if web_visitors.web_host(href) is None:
            return _answer(400)
        kind, event_url, detail["page"] = EventKind.DOWNLOAD, href, url[:1000]
    web_visitors.relax_durability()
    person = web_visitors.identify_by_token(visitor_id, body.get("t")) if body.get("t") else None
    contact_id, lead_id = person or (None, None)
    web_visitors.record_event(
        kind, visitor_id, url=event_url, detail=detail, contact_id=contact_id, lead_id=lead_id
    )
    db.session.commit()
    return _answer(204)


@bp.get("/l/<code>")
@limiter.limit(_rate_limit)
def short_link(code: str):
    web_visitors.relax_durability()
    row = campaign_links.follow(code, request.args.get("vid"))
    if row is None:
        response = make_response(
            render_template(
                "public/mail_message.html",
                title=_("Link not found"),
                text=_("This link does not exist or was removed."),
            ),
            404,
        )
    else:
        db.session.commit()
        response = redirect(campaign_links.destination(row), 302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
