"""Observability: request ids, structured request logs and request metrics, wired into the
app by `init_app`; the metrics page itself is `main.metrics`."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request

from app.observability import logs, metrics

request_log = logging.getLogger("rapport.request")


def init_app(app: Flask) -> None:
    if not app.testing:
        logs.configure(app.config["RAPPORT_LOG_FORMAT"], app.config["RAPPORT_LOG_LEVEL"])

    @app.before_request
    def _start_request():
        g.request_started = time.perf_counter()
        g.request_id = logs.request_id_from(request.headers.get("X-Request-ID"))
        logs.request_id_var.set(g.request_id)

    @app.after_request
    def _finish_request(response):
        started = g.pop("request_started", None)
        if started is None:  # a before_request hook failed first; nothing to time
            return response
        seconds = time.perf_counter() - started
        response.headers["X-Request-ID"] = g.request_id
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
        metrics.record_request(request.method, endpoint, response.status_code, seconds)
        request_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": g.request_id,
                "method": request.method,
                "path": request.path,
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "user_id": _user_id(),
                "ip": request.remote_addr,
            },
        )
        return response

    @app.teardown_request
    def _forget_request_id(error=None):
        # A thread serves many requests: later log lines must not carry this one's id.
        logs.request_id_var.set(None)


def _user_id() -> int | None:
    # Only a user already loaded for this request: logging must not cost a query.
    user = g.get("_login_user")
    return getattr(user, "id", None)


def current_request_id() -> str | None:
    """The id of the request (or job) being served, for jobs queued meanwhile."""
    return logs.request_id_var.get()
