"""The full export: one CSV (and JSON Lines file) per table with every row, read in
keyset batches; a manifest; no secrets; only its administrator downloads it."""

from __future__ import annotations

import csv
import io
import json
import os
import time
import zipfile

import pytest
import sqlalchemy as sa

from app import queues
from app.extensions import db
from app.jobs.data_exports import export_all_data
from app.models.identity import Role
from app.models.marketing import SegmentMember
from app.services import exports, full_export
from tests.conftest import csrf_token, post_form
from tests.factories import PASSWORD, make_contact, make_user
from tests.marketing_factories import make_segment
from tests.privacy_factories import make_subject


def _run_export(admin, worker):
    job = queues.enqueue(
        export_all_data, actor=admin, title="Full data export", queue_name="reports"
    )
    worker()
    job.refresh()
    assert job.is_finished, job.exc_info
    return job, exports.result_path(job.meta["result_file"])


def _counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_every_table_is_exported_with_every_row(worker, monkeypatch):
    monkeypatch.setattr(full_export, "BATCH_SIZE", 3)  # several keyset pages per table
    admin = make_user(Role.ADMIN)
    make_subject(admin)
    segment = make_segment(admin, kind="STATIC", members=[make_contact(admin).id for _ in range(7)])
    worker()  # the mail the person's ticket queued goes first (and changes a comment)
    counts = _counts()
    assert counts["segment_members"] == 7 and counts["contacts"] > 3

    job, path = _run_export(admin, worker)

    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert {t["name"]: t["rows"] for t in manifest["tables"]} == counts
        for table in db.metadata.sorted_tables:
            text = archive.read(f"csv/{table.name}.csv").decode("utf-8")
            rows = list(csv.reader(io.StringIO(text)))
            assert len(rows) - 1 == counts[table.name], table.name
            assert rows[0] == [c.name for c in full_export.exported_columns(table)]
            lines = archive.read(f"jsonl/{table.name}.jsonl").decode().splitlines()
            assert len(lines) == counts[table.name]
        members = [
            json.loads(line) for line in archive.read("jsonl/segment_members.jsonl").splitlines()
        ]
    assert sorted(m["entity_id"] for m in members) == sorted(
        db.session.scalars(
            sa.select(SegmentMember.entity_id).where(SegmentMember.segment_id == segment.id)
        )
    )
    assert manifest["exported_by"] == admin.email and manifest["app_revision"]
    assert "rows of" in job.meta["message"]


def test_no_secret_leaves(worker):
    admin = make_user(Role.ADMIN)
    make_subject(admin)
    hashes = [admin.password_hash]
    _, path = _run_export(admin, worker)
    with zipfile.ZipFile(path) as archive:
        content = b"".join(archive.read(name) for name in archive.namelist()).decode()
        manifest = json.loads(archive.read("manifest.json"))
    assert not any(secret in content for secret in hashes)
    assert "password_hash" not in archive_headers(path, "users")
    assert {"users.password_hash", "portal_users.password_hash", "api_tokens.token_hash"} <= set(
        manifest["excluded_columns"]
    )


def archive_headers(path, table: str) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"csv/{table}.csv").decode().splitlines()[0].split(",")


def test_text_that_looks_like_a_formula_is_escaped_in_csv_only(worker):
    admin = make_user(Role.ADMIN)
    make_contact(admin, last_name="=HYPERLINK(1)")
    _, path = _run_export(admin, worker)
    with zipfile.ZipFile(path) as archive:
        assert "'=HYPERLINK(1)" in archive.read("csv/contacts.csv").decode()
        assert '"=HYPERLINK(1)"' in archive.read("jsonl/contacts.jsonl").decode()


def test_only_the_administrator_who_asked_downloads_it(app, client, login, worker):
    admin = make_user(Role.ADMIN)
    other = make_user(Role.ADMIN)
    login(admin)
    response = post_form(client, "/admin/data/export", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "job-" in response.get_data(as_text=True)
    worker()
    job_id = next(iter(queues.queue("reports").finished_job_registry.get_job_ids()))
    download = client.get(f"/jobs/{job_id}/result")
    assert download.status_code == 200 and download.data[:2] == b"PK"
    colleague = app.test_client()
    token = csrf_token(colleague, "/login")
    colleague.post("/login", data={"email": other.email, "password": PASSWORD, "csrf_token": token})
    assert colleague.get(f"/jobs/{job_id}/result").status_code == 404
    html = colleague.get("/admin/data").get_data(as_text=True)
    assert "Only the administrator who asked can download it." in html


def test_the_export_is_audited(worker):
    admin = make_user(Role.ADMIN)
    _, _ = _run_export(admin, worker)
    entries = full_export.recent()
    # The job records what it exported (the view records who asked: see the blueprint test).
    from app.models.records import AuditEntry

    done = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "data_exports")
    ).all()
    assert done and done[0].actor_id == admin.id and done[0].changes["rows"][1] > 0
    assert entries == []  # nobody asked through the page


def test_old_export_files_are_purged(worker):
    admin = make_user(Role.ADMIN)
    _, path = _run_export(admin, worker)
    week_ago = time.time() - 8 * 86400
    os.utime(path, (week_ago, week_ago))
    assert exports.purge_older_than(7) == 1
    assert not os.path.exists(path)


@pytest.mark.parametrize("column", ["password_hash", "token_hash", "secret", "api_key"])
def test_secret_columns_are_known_by_name(column):
    assert full_export.is_secret("anything", column)
    assert not full_export.is_secret("contacts", "email")
