"""Error pages that render as full pages, or as a message fragment for HTMX requests."""

from __future__ import annotations

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db, login_manager
from app.htmx import hx_redirect, wants_fragment

TITLES = {
    400: "Bad request",
    403: "Access denied",
    404: "Page not found",
    405: "Method not allowed",
    413: "File too large",
    429: "Too many requests",
    500: "Something went wrong",
}


def _is_api() -> bool:
    return request.path.startswith("/api/")


def render_error(status: int, description: str | None = None):
    title = gettext(TITLES.get(status, "Error"))
    context = {"status": status, "title": title, "description": description}
    if wants_fragment():
        # Shown in the page's message area, whatever the request meant to swap.
        headers = {"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"}
        return render_template("errors/_message.html", **context), status, headers
    return render_template("errors/page.html", **context), status


def _handle_http_error(error: HTTPException):
    if _is_api():
        from app.blueprints.api.errors import api_error_response

        return api_error_response(error.code or 500, error.name, error.description)
    if isinstance(error, CSRFError):
        return render_error(
            400,
            gettext(
                "The form expired or was sent without its security "
                "token. Reload the page and try again."
            ),
        )
    description = error.description if error.code in (403, 413, 429) else None
    return render_error(error.code or 500, description)


def _handle_unexpected(error: Exception):
    db.session.rollback()
    if isinstance(error, HTTPException):
        return _handle_http_error(error)
    import logging

    logging.getLogger("rapport").exception("Unhandled error")
    return _handle_http_error(InternalServerError())


def _unauthorized():
    if _is_api():
        from app.blueprints.api.errors import api_error_response

        return api_error_response(401, "Unauthorized", "A valid API token is required.")
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request"):
        return hx_redirect(redirect(login_url), login_url), 401
    return redirect(login_url)


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http_error)
    if not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
    login_manager.unauthorized_handler(_unauthorized)
