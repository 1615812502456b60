"""Erasing a person: no personal value of theirs left in any column of any table, the
business figures unchanged, one audit entry without personal data, everyone else untouched."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.orders import Order
from app.models.records import AuditEntry
from app.models.sales import Opportunity
from app.models.service import PortalUser, Ticket, TicketComment
from app.services import erasure, personal_data
from tests.factories import make_user
from tests.privacy_factories import make_subject


def _text_columns(table: sa.Table):
    for column in table.columns:
        if isinstance(column.type, sa.Enum):
            continue
        if isinstance(column.type, sa.String | sa.Text | sa.JSON):
            yield column


def _as_text(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def find_everywhere(values: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text or JSON cell of the database that contains one
    of `values` (case-insensitively)."""
    wanted = [value.casefold() for value in values if value]
    found = []
    for table in db.metadata.sorted_tables:
        columns = list(_text_columns(table))
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)).mappings():
            for name, value in row.items():
                text = _as_text(value).casefold()
                for item in wanted:
                    if item in text:
                        found.append((table.name, name, item))
    return found


@pytest.fixture
def admin():
    return make_user(Role.ADMIN, name="Ada Admin")


def test_the_test_finds_a_person_before_erasure(admin):
    subject = make_subject(admin)
    tables = {table for table, _, _ in find_everywhere(subject.secrets)}
    assert {
        "contacts",
        "leads",
        "audit_entries",
        "tickets",
        "ticket_comments",
        "consent_records",
        "web_form_submissions",
        "marketing_events",
    } <= tables


def test_erasure_leaves_no_personal_value_anywhere(admin):
    subject = make_subject(admin)
    erasure.erase(admin, "contact", subject.contact_id, subject.email.upper())
    db.session.commit()

    assert find_everywhere(subject.secrets) == []


def test_erasure_keeps_the_figures(admin):
    subject = make_subject(admin)
    before = _figures(subject)
    erasure.erase(admin, "contact", subject.contact_id, f"{subject.first_name} {subject.last_name}")
    db.session.commit()
    assert _figures(subject) == before
    ticket = db.session.get(Ticket, subject.ticket_id)
    assert ticket.contact_id == subject.contact_id and ticket.created_at is not None
    assert db.session.get(PortalUser, 1).is_active is False


def _figures(subject) -> dict:
    order = db.session.get(Order, subject.order_id)
    return {
        "order_total": order.total,
        "deal": db.session.get(Opportunity, subject.opportunity_id).amount,
        "tickets": db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)),
        "comments": db.session.scalar(sa.select(sa.func.count()).select_from(TicketComment)),
    }


def test_the_erasure_entry_says_who_and_how_much_but_nothing_personal(admin):
    subject = make_subject(admin)
    result = erasure.erase(admin, "lead", subject.lead_id, subject.email)
    db.session.commit()
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.entity_type, entry.entity_id, entry.actor_id) == (
        "leads",
        str(subject.lead_id),
        admin.id,
    )
    assert entry.changes["rows_changed"][1] == result.rows
    assert result.rows["contacts"] == 1 and result.rows["leads"] == 1
    text = json.dumps(entry.changes) + entry.label
    assert not any(secret.casefold() in text.casefold() for secret in subject.secrets)
    assert find_everywhere(subject.secrets) == []


def test_someone_elses_data_is_untouched(admin):
    other = make_subject(
        admin,
        first="Marisol",
        last="Oyelaran",
        email="marisol@example.net",
        phone="+1 555 020 3344",
        mobile="+1 555 020 7788",
        note="allergic to mornings",
        comment_text="Order MO-2231 is late",
    )
    kept_before = find_everywhere(other.secrets)
    subject = make_subject(admin)
    erasure.erase(admin, "contact", subject.contact_id, subject.email)
    db.session.commit()
    assert find_everywhere(other.secrets) == kept_before
    assert db.session.get(Opportunity, other.opportunity_id).amount == Decimal("12500.00")


def test_a_wrong_confirmation_erases_nothing(admin):
    subject = make_subject(admin)
    with pytest.raises(erasure.ConfirmationMismatch):
        erasure.erase(admin, "contact", subject.contact_id, "someone else")
    assert find_everywhere([subject.email])


def test_only_administrators_erase(admin):
    subject = make_subject(admin)
    manager = make_user(Role.MANAGER)
    with pytest.raises(erasure.permissions.PermissionDenied):
        erasure.erase(manager, "contact", subject.contact_id, subject.email)


def _classified():
    return personal_data.registered_columns() | set(personal_data.NOT_PERSONAL)


def test_every_text_and_json_column_is_classified():
    """A new column holding text must be added to the registry of personal data or to the
    list of columns that hold none, with the reason: never forgotten silently."""
    missing = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in _text_columns(table)
        if (table.name, column.name) not in _classified()
    ]
    assert missing == []


def test_the_registry_names_real_columns():
    tables = db.metadata.tables
    unknown = [
        f"{table}.{column}"
        for table, column in _classified()
        if table in tables and column not in tables[table].c
    ]
    assert unknown == []
