"""The import job on a real RQ worker: a retry imports nothing twice, a refused actor
fails the import visibly, and progress reaches 100."""

import sqlalchemy as sa

from app import permissions, queues
from app.extensions import db
from app.jobs.imports import run_import
from app.models.customers import Customer
from app.models.identity import Role
from app.models.records import DataImport, ImportStatus
from app.services import imports
from tests.factories import make_user

FILE = "Name,Email\n" + "".join(f"Customer {n},c{n}@example.com\n" for n in range(12))


def _queued_import(actor) -> int:
    data_import = imports.start_import(actor, "customer", "customers.csv", FILE.encode())
    imports.submit(data_import, actor)
    db.session.commit()
    return data_import.id


def _enqueue(import_id, actor):
    return queues.enqueue(run_import, import_id, actor=actor, title="CSV import")


def test_the_same_import_queued_twice_imports_every_row_once(worker, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 5)
    rep = make_user(Role.SALES)
    import_id = _queued_import(rep)
    first, second = _enqueue(import_id, rep), _enqueue(import_id, rep)
    worker()

    assert first.get_status(refresh=True) == "finished" and second.get_status() == "finished"
    first.refresh()
    assert first.meta["progress"] == 100
    data_import = db.session.get(DataImport, import_id)
    assert (data_import.status, data_import.created, data_import.rows_done) == (
        ImportStatus.DONE,
        12,
        12,
    )
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 12


def test_an_importer_who_lost_the_right_gets_a_failed_import_and_no_rows(worker):
    rep = make_user(Role.SALES)
    import_id = _queued_import(rep)
    job = _enqueue(import_id, rep)
    permissions.set_grant(Role.SALES, "customer", "create", permissions.Scope.NONE)
    db.session.commit()
    worker()

    assert job.get_status(refresh=True) == "failed"
    data_import = db.session.get(DataImport, import_id)
    db.session.refresh(data_import)
    assert data_import.status is ImportStatus.FAILED
    assert "PermissionDenied" in data_import.error
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0
