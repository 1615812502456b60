"""Request ids, structured logs and the Prometheus metrics page."""

from __future__ import annotations

import json
import logging

from prometheus_client.parser import text_string_to_metric_families

from app import queues
from app.extensions import db
from app.jobs.maintenance import purge_old_exports
from app.models.identity import Role, TokenScope
from app.observability.logs import JsonFormatter, request_id_from
from app.services import api_tokens
from tests.factories import make_user


def _samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of a metrics page."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_every_response_carries_a_request_id_and_a_sane_one_is_kept(client):
    fresh = client.get("/login")
    assert len(fresh.headers["X-Request-ID"]) == 32
    kept = client.get("/login", headers={"X-Request-ID": "lb-7f3a9c21"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a9c21"
    forged = client.get("/login", headers={"X-Request-ID": 'x" "level": "error'})
    assert forged.headers["X-Request-ID"] != 'x" "level": "error'
    assert request_id_from("short") != "short"


def test_each_request_is_logged_once_with_its_id_status_and_time(client, caplog):
    with caplog.at_level(logging.INFO, logger="rapport.request"):
        response = client.get("/login", headers={"X-Request-ID": "req-12345678"})
    (record,) = [r for r in caplog.records if r.name == "rapport.request"]
    assert record.request_id == "req-12345678" == response.headers["X-Request-ID"]
    assert (record.method, record.endpoint, record.status) == ("GET", "auth.login", 200)
    assert record.duration_ms >= 0
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-12345678" and line["status"] == 200
    assert line["level"] == "info" and line["logger"] == "rapport.request"


def test_a_job_logs_the_request_id_that_queued_it(app, client, worker, caplog, login):
    admin = make_user(role=Role.ADMIN)
    login(admin)
    with app.test_request_context(headers={"X-Request-ID": "req-job-000001"}):
        app.preprocess_request()
        queues.enqueue(purge_old_exports, actor=admin, title="purge")
    with caplog.at_level(logging.INFO, logger="rapport.jobs"):
        worker()
    finished = [
        r
        for r in caplog.records
        if r.getMessage() == "job succeeded: maintenance.purge_old_exports"
    ]
    assert len(finished) == 1 and finished[0].request_id == "req-job-000001"
    assert finished[0].duration_ms >= 0


def test_metrics_are_for_administrators_only(client, login):
    assert client.get("/metrics").status_code == 401
    login(make_user(role=Role.SALES))
    assert client.get("/metrics").status_code == 403


def test_metrics_show_requests_latency_queues_and_failed_jobs(client, login, worker):
    admin = make_user(role=Role.ADMIN)
    for _ in range(3):
        client.get("/healthz")
    login(admin)
    queues.enqueue(purge_old_exports, actor=admin, title="purge")
    queues.queue("reports").enqueue("app.no_such_module.job")  # fails when run

    page = client.get("/metrics")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = _samples(page.get_data(as_text=True))
    ok = ("endpoint", "main.healthz"), ("method", "GET"), ("status", "200")
    assert samples[("rapport_http_requests_total", ok)] == 3
    latency = ("rapport_http_request_duration_seconds_count", (("endpoint", "main.healthz"),))
    assert samples[latency] == 3
    inf = (("endpoint", "main.healthz"), ("le", "+Inf"))
    assert samples[("rapport_http_request_duration_seconds_bucket", inf)] == 3
    assert samples[("rapport_job_queue_depth", (("queue", "default"),))] == 1
    assert samples[("rapport_job_queue_depth", (("queue", "reports"),))] == 1

    worker()
    samples = _samples(client.get("/metrics").get_data(as_text=True))
    assert samples[("rapport_job_queue_depth", (("queue", "default"),))] == 0
    assert samples[("rapport_jobs_failed", (("queue", "reports"),))] == 1
    purged = ("function", "maintenance.purge_old_exports"), ("outcome", "succeeded")
    assert samples[("rapport_jobs_finished_total", purged)] == 1
    assert samples[("rapport_job_outbox_pending", ())] == 0


def test_a_scraper_reads_metrics_with_an_administrators_token(client):
    admin = make_user(role=Role.ADMIN)
    _, plain = api_tokens.issue(admin, name="Prometheus", scope=TokenScope.READ)
    rep = make_user(role=Role.SALES)
    _, rep_token = api_tokens.issue(rep, name="Script", scope=TokenScope.READ)
    db.session.commit()
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {plain}"})
    assert answer.status_code == 200 and b"rapport_workers" in answer.data
    refused = client.get("/metrics", headers={"Authorization": f"Bearer {rep_token}"})
    assert refused.status_code == 403
