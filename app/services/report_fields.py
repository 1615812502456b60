"""What a field of the custom report builder is: a key the request names, a label, a type
(text, number, money, date, choice, boolean) and the SQL expression it reads, with the
operators its filters take (the segment builder's vocabulary) and the aggregates it allows.
The record types and their allowlisted fields are in app.services.report_entities; custom
fields join them here, from their definitions (app.services.custom_fields), filtered with
app.services.segment_clauses. A field drawn from another record (a deal's customer) is
offered only to readers who may read that kind of record."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.models.records import CustomField, FieldType
from app.services import custom_fields
from app.services import segment_clauses as sc
from app.services import segment_fields as sf

TEXT, NUMBER, MONEY, DATE, CHOICE, BOOLEAN = "text", "number", "money", "date", "choice", "boolean"
# The segment builder's operators, one vocabulary for every condition a reader writes.
OPERATORS = {
    TEXT: sf.TYPE_OPERATORS[sc.TEXT],
    NUMBER: sf.TYPE_OPERATORS[sc.NUMBER],
    MONEY: sf.TYPE_OPERATORS[sc.NUMBER],
    DATE: sf.TYPE_OPERATORS[sc.DATE],
    CHOICE: sf.TYPE_OPERATORS[sc.CHOICE],
    BOOLEAN: sf.TYPE_OPERATORS[sc.BOOLEAN],
}
OPERATOR_LABELS = sf.OPERATOR_LABELS
NO_VALUE = sf.NO_VALUE
CUSTOM_PREFIX = sf.CUSTOM_PREFIX
FUNCTIONS = {
    "count": _l("Count"),
    "sum": _l("Sum"),
    "avg": _l("Average"),
    "min": _l("Lowest"),
    "max": _l("Highest"),
}
# The field types each aggregate applies to (a count needs no field).
FUNCTION_TYPES = {
    "sum": (NUMBER, MONEY),
    "avg": (NUMBER, MONEY),
    "min": (NUMBER, MONEY, DATE),
    "max": (NUMBER, MONEY, DATE),
}
# Dates are of three sorts: a moment (UTC timestamp, its day in the installation's zone),
# a calendar day (sa.Date) or a custom field's ISO text.
MOMENT, DAY, ISO = "moment", "day", "iso"


@dataclasses.dataclass(frozen=True)
class Field:
    key: str
    label: object
    type: str
    expr: object
    join: str = ""  # the join of its record type it reads through
    choices: tuple = ()  # (stored value, label)
    integer: bool = False
    dates: str = MOMENT
    needs: str = ""  # a permission entity the reader must be able to read
    ops: tuple = ()
    clause: Callable | None = None  # (op, value) -> WHERE clause; custom fields only

    def __post_init__(self):
        if not self.ops:
            object.__setattr__(self, "ops", OPERATORS[self.type])

    @property
    def groupable(self) -> bool:
        return self.type in (TEXT, CHOICE, BOOLEAN, DATE) or (self.type == NUMBER and self.integer)

    def choice_label(self, value) -> str:
        stored = getattr(value, "value", value)
        return str(dict(self.choices).get(stored, stored))


@dataclasses.dataclass(frozen=True)
class Entity:
    key: str
    label: object
    model: type
    permission: str
    fields: tuple[Field, ...]
    defaults: tuple[str, ...]
    joins: dict = dataclasses.field(default_factory=dict)  # name -> (target, onclause)
    currency: object = None  # the currency of its money fields
    custom_type: str = ""  # its custom fields' entity type

    @property
    def owner_column(self):
        return getattr(self.model, permissions.ENTITIES[self.permission].owner_column)

    @property
    def team_column(self):
        name = permissions.ENTITIES[self.permission].team_column
        return getattr(self.model, name) if name else None


_CUSTOM_TYPES = {
    FieldType.TEXT: (TEXT, ()),
    FieldType.NUMBER: (NUMBER, ()),
    FieldType.DATE: (DATE, ()),
    # custom_field_filters has no "is none of" for choices.
    FieldType.CHOICE: (CHOICE, ("eq", "ne", "in", "is_empty", "is_not_empty")),
    FieldType.CHECKBOX: (BOOLEAN, ()),
}


def custom_field(entity: Entity, definition: CustomField) -> Field:
    """The report field of one custom field definition."""
    type_, ops = _CUSTOM_TYPES[definition.field_type]
    value = entity.model.custom[definition.key]
    if definition.field_type is FieldType.NUMBER:
        expr = sa.cast(value.as_string(), sa.Numeric(28, custom_fields.MAX_DECIMAL_PLACES))
    elif definition.field_type is FieldType.CHECKBOX:
        expr = value.as_boolean()
    else:
        expr = value.as_string()
    return Field(
        CUSTOM_PREFIX + definition.key,
        custom_fields.field_label(definition),
        type_,
        expr,
        choices=tuple((choice, choice) for choice in definition.choices or ()),
        dates=ISO,
        ops=ops,
        clause=sc.custom_clause(entity.model, definition),
    )


def may_read(viewer, permission: str) -> bool:
    return permissions.scope_for(viewer, permission, "read") is not permissions.Scope.NONE


def fields_for(entity: Entity, viewer, with_custom: bool = True) -> dict[str, Field]:
    """The fields of `entity` offered to `viewer`, custom fields last (one query)."""
    fields = {
        field.key: field
        for field in entity.fields
        if not field.needs or may_read(viewer, field.needs)
    }
    if with_custom and entity.custom_type and may_read(viewer, "custom_field"):
        for definition in custom_fields.fields_for(entity.custom_type):
            field = custom_field(entity, definition)
            fields[field.key] = field
    return fields


def unknown_field_message(entity: Entity, key) -> str:
    """One message for a field that does not exist and one the reader may not use."""
    return gettext(
        "There is no field “%(field)s” for %(entity)s.", field=key, entity=str(entity.label)
    )
