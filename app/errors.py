"""Error pages that render as full pages, or as a message fragment for HTMX requests."""

from __future__ import annotations

from flask import Flask, current_app, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from app.extensions import db, login_manager
from app.htmx import hx_redirect, wants_fragment
from app.queues import REDIS_DOWN

TITLES = {
    400: "Bad request",
    403: "Access denied",
    404: "Page not found",
    405: "Method not allowed",
    413: "File too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}
RETRY_AFTER_SECONDS = 30


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
    description = error.description if error.code in (403, 413, 429, 503) else None
    response = render_error(error.code or 500, str(description) if description else None)
    if error.code == 503:
        response = make_response(response)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _handle_database_down(error: Exception):
    """The database cannot be reached (or refused the connection): a clear 503, never a
    stack trace. Rendered without touching the database again, as a signed-out page; the
    pool's pre-ping reconnects by itself once the database is back."""
    import logging

    logging.getLogger("rapport").error("Database unavailable: %s", error.__class__.__name__)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the session is discarded
        db.session.remove()
    g._login_user = login_manager.anonymous_user()
    return _handle_http_error(
        ServiceUnavailable(
            gettext(
                "The database cannot be reached right now. Nothing was changed; please try "
                "again in a minute."
            )
        )
    )


def _handle_redis_down(error: Exception):
    """Redis is unreachable where a page needed it: a clear 503 (pages that can do without
    it keep working, and job-starting actions say so before changing anything)."""
    import logging

    logging.getLogger("rapport").error("Redis unavailable: %s", error)
    db.session.rollback()
    from app.queues import JobServerUnavailable

    return _handle_http_error(JobServerUnavailable())


def _is_connection_failure(error: DBAPIError) -> bool:
    # OperationalError: cannot connect, server gone, SQLite cannot open its file. A
    # connection_invalidated error is a connection dropped mid-query.
    return isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated


def _handle_database_error(error: DBAPIError):
    if _is_connection_failure(error):
        return _handle_database_down(error)
    if current_app.testing:
        raise error
    return _handle_unexpected(error)


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
    app.register_error_handler(DBAPIError, _handle_database_error)
    for error in REDIS_DOWN:
        app.register_error_handler(error, _handle_redis_down)
    if not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
    login_manager.unauthorized_handler(_unauthorized)
