"""The custom report form and its builder. The builder's inputs are plain form fields
(`entity`, `columns`, `f0-field`, `f0-op`, `f0-value`, `group_by`, `aggregate_fn`,
`aggregate_field`, `sort_field`, `sort_direction`), so the page works as a plain form:
posting it with a `builder_action` (add or remove a filter row, another record type)
re-renders it from what was posted. The rules and messages live in
app.services.report_builder; the fields in app.services.report_fields."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField

from app.services import report_builder, report_entities
from app.services import report_fields as rf

_FILTER = re.compile(r"^f(\d{1,2})-field$")
PREFIX = re.compile(r"^f\d{1,2}$")


class CustomReportForm(FlaskForm):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"))
    shared = BooleanField(_l("Share with my team"))

    def show_errors(self, errors: dict) -> None:
        """Put a service's messages on the fields they are about; the builder shows the
        definition's own (`errors` in its context)."""
        for key, message in errors.items():
            field = self._fields.get(key)
            if field is not None:
                field.errors.append(message)

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "description": self.description.data,
            "shared": bool(self.shared.data),
        }


def entity_key(viewer, value) -> str:
    """The record type a request names, if `viewer` may report on it; else their first."""
    entity = report_entities.entity_for(value, viewer)
    if entity is not None:
        return entity.key
    offered = report_entities.entities_for(viewer)
    return offered[0].key if offered else ""


def blank_definition(entity_key: str) -> dict:
    entity = report_entities.ENTITIES.get(entity_key)
    return {
        "columns": list(entity.defaults) if entity else [],
        "filters": [blank_filter()],
        "group_by": None,
        "aggregate": None,
        "sort": None,
    }


def blank_filter() -> dict:
    return {"field": "", "op": "", "value": ""}


def _filter_value(form, prefix: str, op: str):
    if op in ("in", "not_in"):
        return form.getlist(f"{prefix}-value")
    return form.get(f"{prefix}-value", "")


def definition_from(form) -> dict:
    """The definition as posted by the builder, unchecked, filter rows in the order shown."""
    rows = sorted(int(m.group(1)) for key in form if (m := _FILTER.match(key)))
    filters = []
    for n in rows:
        prefix, op = f"f{n}", form.get(f"f{n}-op", "")
        field = form.get(f"{prefix}-field", "")
        filters.append({"field": field, "op": op, "value": _filter_value(form, prefix, op)})
    fn = form.get("aggregate_fn", "")
    sort = form.get("sort_field", "")
    return {
        "columns": [key for key in form.getlist("columns") if key],
        "filters": filters,
        "group_by": form.get("group_by") or None,
        "aggregate": {"fn": fn, "field": form.get("aggregate_field") or None} if fn else None,
        "sort": {"field": sort, "direction": form.get("sort_direction", "asc")} if sort else None,
    }


def apply_action(definition: dict, action: str) -> dict:
    """The definition after a builder button: add-filter or remove-filter-<n>."""
    filters = definition["filters"]
    if action == "add-filter" and len(filters) < report_builder.MAX_FILTERS:
        filters.append(blank_filter())
    elif action.startswith("remove-filter-") and action[14:].isdigit():
        n = int(action[14:])
        if n < len(filters):
            del filters[n]
    return definition


def filter_row(fields: dict, prefix: str, form) -> dict:
    """One filter row after its field or operator changed: the operator kept if the new
    field allows it (else its first), the value kept where it still fits."""
    field = fields.get(form.get(f"{prefix}-field", ""))
    if field is None:
        return blank_filter()
    op = form.get(f"{prefix}-op", "")
    if op not in field.ops:
        op = field.ops[0]
    return {"field": field.key, "op": op, "value": _filter_value(form, prefix, op)}


def builder_context(viewer, entity_key: str, definition: dict, errors=None) -> dict:
    """What _custom_builder.html and _custom_filter.html need."""
    entity = report_entities.entity_for(entity_key, viewer)
    fields = rf.fields_for(entity, viewer) if entity else {}
    return {
        "entity": entity,
        "entities": report_entities.entities_for(viewer),
        "definition": definition,
        "fields": fields,
        "groupable": [field for field in fields.values() if field.groupable],
        "aggregatable": [f for f in fields.values() if f.type in rf.FUNCTION_TYPES["min"]],
        "functions": rf.FUNCTIONS,
        "directions": report_builder.DIRECTIONS,
        "operator_labels": rf.OPERATOR_LABELS,
        "errors": errors or {},
        "types": rf,
    }
