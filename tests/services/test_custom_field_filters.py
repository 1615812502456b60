"""Lists filter on custom values with the same SQL on SQLite and PostgreSQL.

No record type has shipped yet, so the JSON `changes` column of the audit trail stands in
for a record's `custom` column: same type, real table."""

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models.records import AuditAction, AuditEntry, CustomField, FieldType
from app.services.custom_field_filters import filter_clause, filter_for
from app.services.custom_fields import CustomFieldError

BUDGET = CustomField(key="budget", field_type=FieldType.NUMBER, choices=[])
CLOSE = CustomField(key="close", field_type=FieldType.DATE, choices=[])
TIER = CustomField(key="tier", field_type=FieldType.CHOICE, choices=["Gold", "Silver"])
NDA = CustomField(key="nda", field_type=FieldType.CHECKBOX, choices=[])
NOTES = CustomField(key="notes", field_type=FieldType.TEXT, choices=[])


@pytest.fixture
def rows():
    values = {
        "a": {
            "budget": "900",
            "close": "2025-01-31",
            "tier": "Gold",
            "nda": True,
            "notes": "50% off",
        },
        "b": {"budget": "1000.50", "close": "2025-02-01", "tier": "Silver", "nda": False},
        "c": {"budget": "12", "notes": "Call Monday"},
    }
    for label, custom in values.items():
        db.session.add(
            AuditEntry(
                action=AuditAction.UPDATE, entity_type="deal", entity_id=label, changes=custom
            )
        )
    db.session.flush()


def matching(field, op, value=None):
    clause = filter_clause(AuditEntry.changes, field, op, value)
    query = sa.select(AuditEntry.entity_id).where(AuditEntry.entity_type == "deal", clause)
    return sorted(db.session.scalars(query))


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        (BUDGET, "gt", "100", ["a", "b"]),  # compared as text, "12" > "100" too
        (BUDGET, "le", "900", ["a", "c"]),
        (BUDGET, "eq", "1000.5", ["b"]),
        (BUDGET, "ne", "12", ["a", "b"]),
        (CLOSE, "lt", "2025-02-01", ["a"]),
        (CLOSE, "ge", "2025-02-01", ["b"]),
        (CLOSE, "empty", None, ["c"]),
        (TIER, "eq", "Gold", ["a"]),
        (TIER, "ne", "Gold", ["b", "c"]),
        (TIER, "in", ["Gold", "Silver"], ["a", "b"]),
        (NDA, "eq", True, ["a"]),
        (NDA, "eq", "off", ["b", "c"]),  # no value counts as unticked
        (NOTES, "contains", "call", ["c"]),
        (NOTES, "contains", "50%", ["a"]),
        (NOTES, "contains", "0%", ["a"]),
        (NOTES, "contains", "_", []),
        (NOTES, "not_empty", None, ["a", "c"]),
    ],
)
def test_filters_match_the_right_records(rows, field, op, value, expected):
    assert matching(field, op, value) == expected


@pytest.mark.parametrize("dialect", [postgresql.dialect(), sqlite.dialect()])
def test_expressions_compile_for_both_databases(dialect):
    for field, op, value in [
        (BUDGET, "gt", "5"),
        (CLOSE, "lt", "2025-01-01"),
        (TIER, "eq", "Gold"),
        (NDA, "eq", True),
        (NOTES, "contains", "x"),
    ]:
        sql = str(filter_clause(AuditEntry.changes, field, op, value).compile(dialect=dialect))
        assert "audit_entries.changes" in sql
    numeric = str(filter_clause(AuditEntry.changes, BUDGET, "gt", "5").compile(dialect=dialect))
    assert "NUMERIC(28, 6)" in numeric


@pytest.mark.parametrize(
    ("field", "op", "value"),
    [(BUDGET, "gt", "lots"), (BUDGET, "contains", "1"), (CLOSE, "lt", "soon"), (TIER, "eq", "Tin")],
)
def test_a_bad_filter_is_refused_before_it_reaches_the_database(field, op, value):
    with pytest.raises(CustomFieldError):
        filter_clause(AuditEntry.changes, field, op, value)


def test_filter_for_accepts_only_defined_keys():
    class Record:
        custom = AuditEntry.changes

    with pytest.raises(CustomFieldError, match="no field"):
        filter_for(Record, "customer", "password_hash", "eq", "x")
