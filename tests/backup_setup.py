"""Helpers for the backup tests: a scratch database to restore into (never the shared test
database), real records with an uploaded file to back up, and archive surgery."""

from __future__ import annotations

import contextlib
import io
import secrets
import tarfile

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app.models.identity import Role
from app.services import opportunity_parts
from tests.factories import make_contact, make_customer, make_opportunity, make_quote, make_user

PDF = b"%PDF-1.4 signed contract \x00\x01\x02"


@contextlib.contextmanager
def scratch_database(app_url: str, tmp_path):
    """The URL of a new empty database on the same backend: a SQLite file path that does
    not exist yet, or a PostgreSQL database created for the test and dropped after."""
    url = make_url(app_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"rapport_restore_{secrets.token_hex(4)}"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def seed_records():
    """A sales rep's customer, contact, deal with an uploaded contract, and a quote with
    money, dates and non-ASCII text: what a backup must bring back unchanged."""
    rep = make_user(Role.SALES, name="Rita Rep")
    customer = make_customer(rep, name="Acme 股份有限公司")
    make_contact(rep, customer, first_name="Mei", last_name="陳")
    deal = make_opportunity(rep, customer, name="Renewal")
    lines = [{"name": "顧問服務", "quantity": "2", "unit_price": "500.00", "tax_rate": "5"}]
    make_quote(rep, customer, lines=lines, title="Consulting")
    document = opportunity_parts.save_document(deal, rep, "contract.pdf", io.BytesIO(PDF))
    from app.extensions import db

    db.session.commit()
    return {"rep": rep, "customer": customer, "deal": deal, "document": document}


def rewrite_archive(source: str, target: str, change=None, extra: dict | None = None) -> None:
    """Copy an archive member by member, `change(name, data)` returning each member's
    (possibly altered) bytes, then add the `extra` members (name -> bytes)."""

    def add(tar, name: str, data: bytes, mtime: int = 0) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), mtime, 0o600
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for member in old:
            data = old.extractfile(member).read()
            add(new, member.name, change(member.name, data) if change else data, member.mtime)
        for name, data in (extra or {}).items():
            add(new, name, data)
