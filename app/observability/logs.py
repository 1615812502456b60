"""Structured logs: one line per request and per job, each carrying the request id that
started the work, as JSON (RAPPORT_LOG_FORMAT=json, the default) or as readable text.

The request id comes from the caller's X-Request-ID header when it is a sane token (a proxy
or load balancer may set one), else a new one; the response echoes it, jobs queued during
the request keep it in their meta, and every log line written meanwhile carries it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "rapport_request_id", default=None
)
job_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "rapport_job_id", default=None
)

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
# The attributes every LogRecord has; anything else was passed in `extra=` and is logged.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is a plain token of 8-64 characters, else a new one
    (a header is never trusted to inject text into the logs)."""
    if header and _SANE_ID.match(header):
        return header
    return uuid.uuid4().hex


class _ContextFilter(logging.Filter):
    """Adds the current request id and job id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", None) or request_id_var.get()
        record.job_id = getattr(record, "job_id", None) or job_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids and the `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time level [request id] logger: message key=value ...` for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{key}={value}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD and key not in ("request_id", "job_id") and value is not None
        )
        ids = record.request_id or record.job_id or "-"
        time = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        line = f"{time} {record.levelname} [{ids}] {record.name}: {record.getMessage()}"
        if extras:
            line = f"{line} {extras}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is logged (a test runner or a
    daemoniser may replace it), never to a stream closed since."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def configure(log_format: str, level: str) -> None:
    """Send log records to stderr in the chosen format through one handler on the root
    logger, installed once per process (create_app may run several times) and re-formatted
    when called again."""
    formatter = JsonFormatter() if log_format == "json" else TextFormatter()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_rapport", False)), None)
    if handler is None:
        handler = _Stderr()
        handler._rapport = True
        handler.addFilter(_ContextFilter())
        root.addHandler(handler)
    handler.setFormatter(formatter)
    # Rapport's own records at the chosen level; libraries' chatter (WeasyPrint's progress,
    # say) only from WARNING up.
    root.setLevel(logging.WARNING)
    for name in ("rapport", "app"):
        logging.getLogger(name).setLevel(level)
