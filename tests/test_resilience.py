"""Faults for real: Redis stopped and started again, the database unreachable or cut off,
a worker told to stop mid-job. The app answers 503 where it must, keeps working where it
can, loses no job, and recovers by itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app import create_app, queues
from app.extensions import db
from app.models.identity import Role
from app.models.operations import JobOutbox
from tests.conftest import IsolatedClient, csrf_token
from tests.factories import make_customer, make_user
from tests.fault_injection import CuttableProxy, StoppableRedis


@pytest.fixture
def redis_server(app):
    """The app's Redis swapped for a server this test can stop and start again."""
    server = StoppableRedis()
    server.start()
    saved = app.config["REDIS_URL"], app.extensions.pop("redis", None)
    app.config["REDIS_URL"] = server.url
    yield server
    server.stop()
    app.config["REDIS_URL"] = saved[0]
    app.extensions.pop("redis", None)
    if saved[1] is not None:
        app.extensions["redis"] = saved[1]


def _sign_in(client, user):
    response = client.post(
        "/login",
        data={
            "email": user if isinstance(user, str) else user.email,
            "password": "correct horse battery",
            "csrf_token": csrf_token(client, "/login"),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def _export(client):
    return client.post(
        "/imports/export/customer",
        data={"csrf_token": csrf_token(client, "/customers")},
        headers={"HX-Request": "true"},
    )


def test_with_redis_stopped_pages_work_job_actions_refuse_and_it_recovers(
    client, redis_server, worker, smtp
):
    admin = make_user(role=Role.ADMIN, email="admin@example.com")
    make_customer(admin, name="Acme Trading")
    redis_server.stop()

    # Signing in and reading pages need no Redis.
    _sign_in(client, admin)
    assert client.get("/").status_code == 200
    listing = client.get("/customers")
    assert listing.status_code == 200 and "Acme Trading" in listing.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503

    # Starting a job the user waits for: a clear 503, nothing queued, nothing changed.
    refused = _export(client)
    assert refused.status_code == 503
    assert "job server cannot be reached" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"]

    # Work nobody waits for (a password email) is kept in the database, not lost.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    asked = client.post(
        "/forgot-password",
        data={"email": admin.email, "csrf_token": csrf_token(client, "/forgot-password")},
    )
    assert asked.status_code == 302
    kept = db.session.scalars(sa.select(JobOutbox)).all()
    assert [row.function for row in kept] == ["app.jobs.mail.send_password_reset"]

    # Redis is back: everything works again without a restart, and the kept job runs.
    redis_server.start()
    _sign_in(client, admin)
    assert client.get("/healthz").status_code == 200
    assert _export(client).status_code == 200
    kept_notice = client.get("/admin/jobs").get_data(as_text=True)
    assert "1 job was kept while the job server was unreachable" in kept_notice
    assert queues.drain_outbox() == 1
    assert 'id="job-outbox"' not in client.get("/admin/jobs").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobOutbox)) == 0
    worker()
    assert [message["To"] for message in smtp] == [admin.email]


def test_the_outbox_is_drained_once_even_by_two_drains(app, redis_server):
    from app.jobs.maintenance import purge_old_exports

    redis_server.stop()
    assert queues.enqueue_durably(purge_old_exports, actor=None, title="purge") is None
    redis_server.start()
    assert queues.drain_outbox() == 1
    assert queues.drain_outbox() == 0
    assert queues.queue("default").count == 1


def test_a_job_kept_while_redis_was_down_keeps_its_delay(app, redis_server):
    from app.jobs.maintenance import purge_old_exports

    redis_server.stop()
    queues.enqueue_durably(purge_old_exports, actor=None, title="purge", delay=3600)
    redis_server.start()
    assert queues.drain_outbox() == 0  # not due for an hour
    assert queues.outbox_pending() == 1


def _unreachable_app(url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": os.environ.get("REDIS_URL"),
            "WTF_CSRF_ENABLED": False,
        },
        env="testing",
    )


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@127.0.0.1:9/nowhere", "sqlite:////nonexistent-folder/rapport.db"],
    ids=["postgresql", "sqlite"],
)
def test_an_unreachable_database_answers_503_not_a_stack_trace(url, app):
    broken = _unreachable_app(url)
    broken.test_client_class = IsolatedClient
    with broken.app_context():
        client = broken.test_client()
        page = client.post("/login", data={"email": "a@example.com", "password": "x"})
        assert page.status_code == 503
        text = page.get_data(as_text=True)
        assert "database cannot be reached" in text and "Traceback" not in text
        api = client.get("/api/v1/customers", headers={"Authorization": "Bearer rpt_x"})
        assert api.status_code == 503
        assert api.get_json()["error"]["code"] == "service_unavailable"
        db.session.remove()
        db.engine.dispose()


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="a database server to cut off: runs with the suite on PostgreSQL",
)
def test_the_app_recovers_by_itself_when_the_database_returns(app):
    make_customer(make_user(role=Role.ADMIN, email="admin@example.com"), name="Acme Trading")
    db.session.close()  # the test's own session must not reach the database via the proxy
    target = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    proxy = CuttableProxy(target.host or "127.0.0.1", target.port or 5432)
    proxy.restore()
    proxied = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": target.set(port=proxy.port).render_as_string(False),
            "REDIS_URL": app.config["REDIS_URL"],
        },
        env="testing",
    )
    proxied.test_client_class = IsolatedClient
    try:
        with proxied.app_context():
            client = proxied.test_client()
            _sign_in(client, "admin@example.com")
            assert client.get("/customers").status_code == 200
            proxy.cut()
            down = client.get("/customers")
            assert down.status_code == 503
            proxy.restore()
            back = client.get("/customers")
            assert back.status_code == 200 and "Acme Trading" in back.get_data(as_text=True)
    finally:
        proxy.cut()
        with proxied.app_context():
            db.engine.dispose()


def test_a_worker_told_to_stop_finishes_its_job_first(app, tmp_path, redis_url, database_url):
    from rq.job import JobStatus

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RAPPORT_INSTANCE_PATH": str(tmp_path / "instance"),
        "RAPPORT_ENV": "testing",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    job = queues.queue("default").enqueue("tests.slow_jobs.write_after", str(tmp_path), 2.0)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "rapport", "worker", "default"]
    worker = subprocess.Popen(
        flask, env=env, cwd=env["PYTHONPATH"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "started").exists():
            assert time.monotonic() < deadline, worker.stdout.read1().decode()
            assert worker.poll() is None, worker.stdout.read().decode()
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert (tmp_path / "finished").read_text() == "yes"
    job.refresh()
    assert job.get_status() == JobStatus.FINISHED and job.return_value() == "done"
