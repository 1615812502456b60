"""List filters on custom field values, as SQL that SQLite (JSON) and PostgreSQL (JSONB)
both run: text and choices compare as strings, numbers as NUMERIC, ISO dates as strings
(which sort like dates), checkboxes as booleans, with a missing key counted as unticked.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext

from app.models.records import CustomField, FieldType
from app.services import custom_fields
from app.services.custom_fields import CustomFieldError

_COMPARE = ("eq", "ne", "lt", "le", "gt", "ge")
OPERATORS = {
    FieldType.TEXT: ("eq", "ne", "contains", "empty", "not_empty"),
    FieldType.CHOICE: ("eq", "ne", "in", "empty", "not_empty"),
    FieldType.NUMBER: _COMPARE + ("empty", "not_empty"),
    FieldType.DATE: _COMPARE + ("empty", "not_empty"),
    FieldType.CHECKBOX: ("eq",),
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _compare(expr, op: str, value):
    if op == "ne":
        # "Not X" includes records that have no value at all.
        return sa.or_(expr != value, expr.is_(None))
    return {
        "eq": expr.__eq__,
        "lt": expr.__lt__,
        "le": expr.__le__,
        "gt": expr.__gt__,
        "ge": expr.__ge__,
    }[op](value)


def filter_clause(column, field: CustomField, op: str, value=None):
    """A WHERE clause on `column[field.key]` (`column` is a JSON column such as
    Customer.custom). `op` must be one of OPERATORS[field.field_type]; `value` is checked
    like a submitted value, so a bad filter raises CustomFieldError instead of querying."""
    if op not in OPERATORS[field.field_type]:
        raise CustomFieldError(gettext("That filter does not apply to this field."), field.key)
    text = column[field.key].as_string()
    if op in ("empty", "not_empty"):
        return text.is_(None) if op == "empty" else text.is_not(None)
    if field.field_type is FieldType.CHECKBOX:
        flag = column[field.key].as_boolean()
        if custom_fields.convert(field, value):
            return flag == sa.true()
        return sa.or_(flag == sa.false(), flag.is_(None))
    if op == "in":
        choices = [custom_fields.convert(field, v) for v in (value or [])]
        return text.in_([c for c in choices if c is not None])
    converted = custom_fields.convert(field, value)
    if converted is None:
        raise CustomFieldError(gettext("Enter a value to filter by."), field.key)
    if op == "contains":
        return text.ilike(f"%{_escape_like(converted)}%", escape="\\")
    if field.field_type is FieldType.NUMBER:
        # Explicit casts: SQLite would otherwise compare the stored text with a number.
        number = sa.cast(text, sa.Numeric(28, custom_fields.MAX_DECIMAL_PLACES))
        return _compare(number, op, Decimal(converted))
    return _compare(text, op, converted)


def filter_for(model, entity_type: str, key: str, op: str, value=None):
    """filter_clause on `model.custom` for the active field `key` of `entity_type`; the
    key must name a defined field, so a request cannot filter on arbitrary JSON paths."""
    field = next((f for f in custom_fields.fields_for(entity_type) if f.key == key), None)
    if field is None:
        raise CustomFieldError(gettext("There is no field “%(key)s” on this record.", key=key), key)
    return filter_clause(model.custom, field, op, value)
