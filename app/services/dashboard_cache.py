"""The home dashboard's panels computed, cached and warmed. A panel shows the records of
its permission entity its reader may read, so its result is the same for every reader
with the same read scope on that entity ("all", "team:<id>", "own:<id>") and language:
they share one cached result (JSON in Redis, kept RAPPORT_REPORT_CACHE_SECONDS), which
`warm_dashboards` (a periodic job) computes ahead for the active users' dashboards.
Personal panels (my tasks, my queues) are cheap and always computed live. Without Redis,
panels are computed on every view."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import User
from app.services.dashboards import DEFAULT_PERIOD, Panel, layout, may_read, period_of
from app.services.reports import store
from app.services.reports.filters import Filters
from app.services.reports.results import Result

log = logging.getLogger(__name__)

RECENT_DAYS = 30  # "active users": signed in within this many days
CACHE_PREFIX = "rapport:dashboard:v1"


@dataclasses.dataclass(frozen=True)
class Shown:
    """A panel's result for one reader and period, and when it was computed."""

    panel: Panel
    filters: Filters
    result: Result
    computed_at: datetime
    from_cache: bool


def scope_key(actor, panel: Panel) -> str:
    """Whose records `actor` reads on the panel's entities (see reports.store.scope_key)."""
    if panel.report is not None:
        return store.report_scope(actor, panel.report)
    return store.scope_key(actor, panel.entity)


def cache_key(panel: Panel, filters: Filters, scope: str, locale: str) -> str:
    period = f"{filters.start.isoformat()}:{filters.end.isoformat()}" if panel.periodic else "-"
    return f"{CACHE_PREFIX}:{panel.key}:{period}:{scope}:{locale}"


def show(panel: Panel, actor, period: str = DEFAULT_PERIOD, fresh: bool = False) -> Shown:
    """`panel` for `actor` over `period`: the cached result of their scope when there is
    one (unless `fresh`), else computed now and cached. PermissionDenied when they may
    read none of its records."""
    if not may_read(actor, panel):
        raise permissions.PermissionDenied()
    filters = panel.filters(period_of(period))
    if panel.personal:
        return Shown(panel, filters, panel.compute(filters, actor), utcnow(), False)
    key = cache_key(panel, filters, scope_key(actor, panel), store.locale())
    stored = None if fresh else store.read(key)
    if stored is not None:
        return Shown(panel, filters, stored[0], stored[1], True)
    result = panel.compute(filters, actor)
    return Shown(panel, filters, result, store.write(key, result), False)


def warm_dashboards(
    periods=(DEFAULT_PERIOD,), recent_days: int | None = RECENT_DAYS, progress=None
) -> dict[str, int]:
    """Compute and cache the shared panels of the active users' dashboards (signed in
    within `recent_days`; None: every active user) for `periods`, each distinct result
    once, in its reader's language, so their first view reads the cache. A panel that
    fails is logged and left to be computed when viewed. Returns how many users, results
    and failures."""
    query = sa.select(User).where(User.is_active.is_(True)).order_by(User.id)
    if recent_days is not None:
        query = query.where(User.last_login_at >= utcnow() - timedelta(days=recent_days))
    users = db.session.scalars(query).all()
    languages = current_app.config["LANGUAGES"]
    done: set[str] = set()
    failed = 0
    for number, user in enumerate(users, 1):
        locale = user.locale if user.locale in languages else store.locale()
        with force_locale(locale):
            for panel in layout(user):
                if panel.personal:
                    continue
                for period in periods if panel.periodic else periods[:1]:
                    filters = panel.filters(period)
                    key = cache_key(panel, filters, scope_key(user, panel), locale)
                    if key in done:
                        continue
                    done.add(key)
                    try:
                        store.write(key, panel.compute(filters, user))
                    except Exception:  # noqa: BLE001 - one broken panel must not stop the rest
                        log.exception("dashboard panel %s not warmed", key)
                        db.session.rollback()  # nothing was written: only reads failed
                        failed += 1
        if progress is not None:
            progress(number, len(users))
    return {"users": len(users), "results": len(done) - failed, "failed": failed}
