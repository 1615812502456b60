"""Computed report results kept for a while in Redis, shared by every reader who would get
the same figures: a report counts the records of its entity its reader may read, so
readers with the same read scope on that entity ("all", "team:<id>", "own:<id>"), the
same filters and the same language get the same Result. Results are kept
RAPPORT_REPORT_CACHE_SECONDS and always shown with the time they were computed; without
Redis, reports are simply computed on every view."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from datetime import datetime

import redis
from flask import current_app
from flask_babel import get_locale

from app import permissions, queues
from app.models.base import utcnow
from app.services.reports import registry
from app.services.reports.filters import Filters
from app.services.reports.results import Result

log = logging.getLogger(__name__)
PREFIX = "rapport:report:v1"


@dataclasses.dataclass(frozen=True)
class Computed:
    """A report's result for one reader and their filters, and when it was computed."""

    result: Result
    computed_at: datetime
    from_cache: bool


def _scope(actor, entity: str) -> str:
    scope = permissions.scope_for(actor, entity, "read")
    if scope is permissions.Scope.ALL:
        return "all"
    if scope is permissions.Scope.TEAM and actor.team_id is not None:
        return f"team:{actor.team_id}"
    return f"own:{actor.id}"


def scope_key(actor, *entities: str) -> str:
    """Whose records `actor` reads of each of `entities`: "all", "team:<id>" or
    "own:<id>" each (the rows permissions.visible keeps are the same for everyone with
    that key)."""
    return ",".join(_scope(actor, entity) for entity in entities)


def report_scope(actor, report: registry.Report) -> str:
    return scope_key(actor, report.entity, *report.also_reads)


def locale() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def read(key: str) -> tuple[Result, datetime] | None:
    """The result stored under `key` and when it was computed, or None."""
    try:
        raw = queues.connection().get(key)
    except redis.RedisError:
        log.warning("report cache unavailable; computing %s", key, exc_info=True)
        return None
    if raw is None:
        return None
    stored = json.loads(raw)
    return Result.from_json(stored["result"]), datetime.fromisoformat(stored["at"])


def write(key: str, result: Result) -> datetime:
    """Keep `result` under `key` for RAPPORT_REPORT_CACHE_SECONDS; returns now."""
    now = utcnow()
    payload = json.dumps({"at": now.isoformat(), "result": result.as_json()})
    try:
        queues.connection().set(key, payload, ex=current_app.config["RAPPORT_REPORT_CACHE_SECONDS"])
    except redis.RedisError:
        log.warning("report cache unavailable; %s not stored", key, exc_info=True)
    return now


def key_for(report: registry.Report, filters: Filters, scope: str, language: str) -> str:
    """The cache key of `report` with these filters, for a scope and a language (the
    period as dates, so "this month" is a new key when the month turns)."""
    args = filters.args() | {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
    digest = hashlib.sha1(
        json.dumps(args, sort_keys=True).encode(), usedforsecurity=False
    ).hexdigest()[:16]
    return f"{PREFIX}:{report.key}:{digest}:{scope}:{language}"


def run(report: registry.Report, filters: Filters, actor, fresh: bool = False) -> Computed:
    """`report` for `actor`: the stored result of their scope when there is one (unless
    `fresh`), else computed now (registry.run checks the rights) and stored."""
    if not registry.may_read(actor, report):
        raise permissions.PermissionDenied()
    if not report.keep:
        return Computed(registry.run(report, filters, actor), utcnow(), False)
    key = key_for(report, filters, report_scope(actor, report), locale())
    stored = None if fresh else read(key)
    if stored is not None:
        return Computed(stored[0], stored[1], True)
    result = registry.run(report, filters, actor)
    return Computed(result, write(key, result), False)
