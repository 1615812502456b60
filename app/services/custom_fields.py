"""Administrator-defined fields on business records: definitions, validation and storage.

A record type registers itself with `register_entity_type`; administrators then add fields
to it. Values live in the record's `custom` JSON column keyed by the field's `key`, in a
form both databases compare the same way: numbers as exact decimal strings, dates as ISO
strings, checkboxes as booleans. Form integration and list filters build on this module
(app.services.custom_field_forms, app.services.custom_field_filters).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.records import CustomField, FieldType

MAX_TEXT_LENGTH = 1000
MAX_LABEL_LENGTH = 120
MAX_CHOICES = 100
# NUMERIC(28, 6) holds every value these limits allow, on both databases.
MAX_INTEGER_DIGITS = 18
MAX_DECIMAL_PLACES = 6
_KEY_LENGTH = 40
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = {"1", "true", "y", "yes", "on"}
_FALSE = {"", "0", "false", "n", "no", "off"}

ENTITY_TYPES: dict[str, object] = {}

FIELD_TYPE_LABELS = {
    FieldType.TEXT: _l("Text"),
    FieldType.NUMBER: _l("Number"),
    FieldType.DATE: _l("Date"),
    FieldType.CHOICE: _l("Choice"),
    FieldType.CHECKBOX: _l("Checkbox"),
}


class CustomFieldError(ValueError):
    """A definition or value that breaks a rule; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def register_entity_type(name: str, label) -> None:
    """Let administrators define fields for records of type `name` (e.g. "customer")."""
    ENTITY_TYPES[name] = label


for _name, _label in (
    ("customer", _l("Customers")),
    ("contact", _l("Contacts")),
    ("lead", _l("Leads")),
    ("opportunity", _l("Opportunities")),
    ("ticket", _l("Tickets")),
):
    register_entity_type(_name, _label)


def field_label(field: CustomField) -> str:
    """The label to show: the Chinese one in a zh_Hant session when it is set."""
    if field.label_zh and str(get_locale()) == "zh_Hant":
        return field.label_zh
    return field.label


def fields_for(entity_type: str, include_inactive: bool = False) -> list[CustomField]:
    """The fields of `entity_type` in display order (active ones only, unless asked)."""
    query = sa.select(CustomField).where(CustomField.entity_type == entity_type)
    if not include_inactive:
        query = query.where(CustomField.is_active.is_(True))
    return list(db.session.scalars(query.order_by(CustomField.position, CustomField.id)))


def _slug(label: str) -> str:
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_")[: _KEY_LENGTH - 8]


def _unique_key(entity_type: str, label: str) -> str:
    taken = set(
        db.session.scalars(sa.select(CustomField.key).where(CustomField.entity_type == entity_type))
    )
    base = _slug(label)
    if not base:
        # A label without Latin letters (e.g. Chinese only) still needs a stable ASCII key.
        n = len(taken) + 1
        while f"field_{n}" in taken:
            n += 1
        return f"field_{n}"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _clean_label(label: str, field: str, required: bool = True) -> str:
    label = " ".join((label or "").split())
    if required and not label:
        raise CustomFieldError(gettext("Enter a label."), field)
    if len(label) > MAX_LABEL_LENGTH:
        raise CustomFieldError(
            gettext("Use at most %(max)d characters.", max=MAX_LABEL_LENGTH), field
        )
    return label


def _clean_choices(field_type: FieldType, choices) -> list[str]:
    if field_type is not FieldType.CHOICE:
        return []
    cleaned = [" ".join(str(c).split()) for c in choices or []]
    cleaned = [c for c in cleaned if c]
    if not cleaned:
        raise CustomFieldError(gettext("A choice field needs at least one choice."), "choices")
    if len(cleaned) > MAX_CHOICES:
        raise CustomFieldError(gettext("Use at most %(max)d choices.", max=MAX_CHOICES), "choices")
    seen = set()
    for choice in cleaned:
        if len(choice) > MAX_LABEL_LENGTH:
            raise CustomFieldError(
                gettext("Each choice may have at most %(max)d characters.", max=MAX_LABEL_LENGTH),
                "choices",
            )
        if choice.casefold() in seen:
            raise CustomFieldError(
                gettext("The choice “%(choice)s” is listed twice.", choice=choice), "choices"
            )
        seen.add(choice.casefold())
    return cleaned


def define_field(
    actor,
    entity_type: str,
    label: str,
    field_type: FieldType | str,
    choices=None,
    required: bool = False,
    label_zh: str = "",
) -> CustomField:
    """Add a field to `entity_type`, last in order, with a key derived from its label."""
    permissions.require(actor, "create", "custom_field")
    if entity_type not in ENTITY_TYPES:
        raise CustomFieldError(gettext("Unknown record type."), "entity_type")
    try:
        field_type = FieldType(field_type)
    except ValueError:
        raise CustomFieldError(gettext("Choose a field type."), "field_type") from None
    label = _clean_label(label, "label")
    field = CustomField(
        entity_type=entity_type,
        key=_unique_key(entity_type, label),
        label=label,
        label_zh=_clean_label(label_zh, "label_zh", required=False),
        field_type=field_type,
        choices=_clean_choices(field_type, choices),
        required=bool(required),
        position=_next_position(entity_type),
    )
    db.session.add(field)
    db.session.flush()
    return field


def _next_position(entity_type: str) -> int:
    last = db.session.scalar(
        sa.select(sa.func.max(CustomField.position)).where(CustomField.entity_type == entity_type)
    )
    return 0 if last is None else last + 1


def update_field(
    actor, field: CustomField, label: str, label_zh: str = "", choices=None, required=False
) -> CustomField:
    """Change a field's labels, choices or required flag; its key and type never change,
    because stored values are keyed by the one and shaped by the other."""
    permissions.require(actor, "edit", "custom_field")
    field.label = _clean_label(label, "label")
    field.label_zh = _clean_label(label_zh, "label_zh", required=False)
    field.choices = _clean_choices(field.field_type, choices)
    field.required = bool(required)
    db.session.flush()
    return field


def set_active(actor, field: CustomField, active: bool) -> CustomField:
    """Hide a field from forms and lists (or bring it back); stored values are kept."""
    permissions.require(actor, "edit", "custom_field")
    field.is_active = bool(active)
    db.session.flush()
    return field


def deactivate_field(actor, field: CustomField) -> CustomField:
    """Hide a field from forms and lists; values already stored on records are kept."""
    return set_active(actor, field, False)


def reorder(actor, entity_type: str, field_ids: list[int]) -> list[CustomField]:
    """Put the fields of `entity_type` in the order of `field_ids`; unlisted ones follow."""
    permissions.require(actor, "edit", "custom_field")
    fields = fields_for(entity_type, include_inactive=True)
    rank = {field_id: n for n, field_id in enumerate(field_ids)}
    ordered = sorted(fields, key=lambda f: (rank.get(f.id, len(rank)), f.position, f.id))
    for position, field in enumerate(ordered):
        field.position = position
    db.session.flush()
    return ordered


def move(actor, field: CustomField, offset: int) -> list[CustomField]:
    """Move a field up (offset -1) or down (+1) among its entity type's fields."""
    ids = [f.id for f in fields_for(field.entity_type, include_inactive=True)]
    here = ids.index(field.id)
    there = min(max(here + offset, 0), len(ids) - 1)
    ids.insert(there, ids.pop(here))
    return reorder(actor, field.entity_type, ids)


def convert(field: CustomField, value):
    """One value in its stored form (None for empty); CustomFieldError when invalid."""
    convert_type = _CONVERTERS[field.field_type]
    return convert_type(field, value)


def _text(field, value):
    if value is None:
        return None
    if not isinstance(value, str | int | float | Decimal):
        raise CustomFieldError(gettext("Enter text."), field.key)
    text = str(value).strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise CustomFieldError(
            gettext("Use at most %(max)d characters.", max=MAX_TEXT_LENGTH), field.key
        )
    return text or None


def _number(field, value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise CustomFieldError(gettext("Enter a number, for example 1250 or 99.90."), field.key)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise CustomFieldError(gettext("Enter a number, for example 1250 or 99.90."), field.key)
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise CustomFieldError(gettext("Enter a number below one quintillion (10^18)."), field.key)
    if number.as_tuple().exponent < -MAX_DECIMAL_PLACES:
        raise CustomFieldError(
            gettext("Use at most %(places)d decimal places.", places=MAX_DECIMAL_PLACES),
            field.key,
        )
    # Fixed-point text keeps the value exact ("0.10" stays "0.10", 1E+3 becomes "1000").
    return format(number, "f")


def _date(field, value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise CustomFieldError(
        gettext("Enter a date as YYYY-MM-DD, for example 2025-03-31."), field.key
    )


def _choice(field, value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    choice = " ".join(str(value).split())
    if choice not in field.choices:
        raise CustomFieldError(
            gettext("Choose one of: %(choices)s.", choices=", ".join(field.choices)), field.key
        )
    return choice


def _checkbox(field, value):
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CustomFieldError(gettext("Enter yes or no."), field.key)


_CONVERTERS = {
    FieldType.TEXT: _text,
    FieldType.NUMBER: _number,
    FieldType.DATE: _date,
    FieldType.CHOICE: _choice,
    FieldType.CHECKBOX: _checkbox,
}


def validate_values(
    entity_type: str, raw: dict, partial: bool = False, fields: list[CustomField] | None = None
) -> tuple[dict, dict]:
    """Check submitted values against the active fields of `entity_type`.

    Returns (clean, errors): clean maps keys to stored forms (None means "clear it"),
    errors maps keys to messages. Unknown keys are errors, never stored. With `partial`
    (an API PATCH), only the keys given are checked and the rest are left alone.
    """
    fields = fields_for(entity_type) if fields is None else fields
    by_key = {field.key: field for field in fields}
    clean, errors = {}, {}
    for key in raw:
        if key not in by_key:
            errors[key] = gettext("There is no field “%(key)s” on this record.", key=key)
    for key, field in by_key.items():
        if partial and key not in raw:
            continue
        try:
            value = convert(field, raw.get(key))
        except CustomFieldError as error:
            errors[key] = str(error)
            continue
        if field.required and value in (None, False):
            errors[key] = (
                gettext("Tick this box to continue.")
                if field.field_type is FieldType.CHECKBOX
                else gettext("This field is required.")
            )
            continue
        clean[key] = value
    return clean, errors


def apply_values(record, clean: dict) -> None:
    """Store validated values on `record`, keeping values of fields not given (inactive
    ones too). A new dict is assigned so the ORM and the audit trail see the change."""
    merged = {**(record.custom or {}), **clean}
    record.custom = {key: value for key, value in merged.items() if value is not None}
