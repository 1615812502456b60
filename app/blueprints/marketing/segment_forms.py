"""The segment form and its condition builder. The builder's inputs are named by position
(`g0-match`, `g0c1-field`, `g0c1-op`, `g0c1-value`, `g0c1-days`...) so the page works as a
plain form: posting it with a `builder_action` (add or remove a row or group) re-renders it
from what was posted. The rules and their messages live in app.services.segment_rules."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app import permissions
from app.extensions import db
from app.models.marketing import Campaign, SegmentEntity
from app.services import segment_fields as sf
from app.services import segment_rules

ENTITY_LABELS = {SegmentEntity.CONTACT: _l("Contacts"), SegmentEntity.LEAD: _l("Leads")}
MATCH_LABELS = {"all": _l("all"), "any": _l("any")}
_CONDITION = re.compile(r"^g(\d{1,2})c(\d{1,2})-field$")
_GROUP = re.compile(r"^g(\d{1,2})-match$")
PREFIX = re.compile(r"^g\d{1,2}c\d{1,2}$")
_PARTS = {
    sf.ACTIVITY: ("kind", "days"),
    sf.CAMPAIGN: ("campaign_id", "days"),
    sf.EVENTS: ("kind", "days", "count"),
}


class SegmentForm(FlaskForm):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"))
    entity = SelectField(
        _l("Made of"),
        choices=[SelectChoice(e.value, label) for e, label in ENTITY_LABELS.items()],
        default=SegmentEntity.CONTACT.value,
        validate_choice=False,
    )

    def show_errors(self, errors: dict) -> None:
        """Put a service's messages on the fields they are about; the conditions' messages
        are shown by the builder (`builder_errors`)."""
        for key, message in errors.items():
            field = self._fields.get(key)
            if field is not None:
                field.errors.append(message)
            elif not key.startswith("definition"):
                self.form_errors.append(message)

    def values(self) -> dict:
        return {"name": self.name.data, "description": self.description.data}


def entity_of(value) -> SegmentEntity:
    """The entity a request names (contacts unless it says leads)."""
    return SegmentEntity.LEAD if value == SegmentEntity.LEAD.value else SegmentEntity.CONTACT


def blank_condition() -> dict:
    return {"field": "", "op": "", "value": ""}


def blank_definition() -> dict:
    return {"match": "all", "groups": [{"match": "all", "conditions": [blank_condition()]}]}


def _value(form, prefix: str, field: sf.Field | None, op: str):
    if field is None:
        return form.get(f"{prefix}-value", "")
    if field.type in _PARTS:
        return {part: form.get(f"{prefix}-{part}", "") for part in _PARTS[field.type]}
    if op in ("in", "not_in"):
        return form.getlist(f"{prefix}-value")
    return form.get(f"{prefix}-value", "")


def definition_from(form, entity: SegmentEntity) -> dict:
    """The definition as posted by the builder, unchecked, rows in the order shown."""
    fields = segment_rules.fields_for(entity)
    group_ids = sorted({int(m.group(1)) for key in form if (m := _GROUP.match(key))})
    rows: dict[int, list[int]] = {}
    for key in form:
        if m := _CONDITION.match(key):
            rows.setdefault(int(m.group(1)), []).append(int(m.group(2)))
    groups = []
    for g in sorted(set(group_ids) | set(rows)):
        conditions = []
        for c in sorted(rows.get(g, [])):
            prefix = f"g{g}c{c}"
            key = form.get(f"{prefix}-field", "")
            op = form.get(f"{prefix}-op", "")
            value = _value(form, prefix, fields.get(key), op)
            conditions.append({"field": key, "op": op, "value": value})
        groups.append({"match": form.get(f"g{g}-match", "all"), "conditions": conditions})
    return {"match": form.get("match", "all"), "groups": groups}


def apply_action(definition: dict, action: str) -> dict:
    """The definition after a builder button: add-group, add-condition-<g>,
    remove-group-<g>, remove-condition-<g>-<c> (unknown actions change nothing)."""
    groups = definition["groups"]
    parts = action.split("-")
    numbers = [int(p) for p in parts[2:] if p.isdigit()]
    if action == "add-group" and len(groups) < segment_rules.MAX_GROUPS:
        groups.append({"match": "all", "conditions": [blank_condition()]})
    elif action.startswith("add-condition-") and numbers and numbers[0] < len(groups):
        conditions = groups[numbers[0]]["conditions"]
        if len(conditions) < segment_rules.MAX_CONDITIONS:
            conditions.append(blank_condition())
    elif action.startswith("remove-group-") and numbers and numbers[0] < len(groups):
        del groups[numbers[0]]
    elif action.startswith("remove-condition-") and len(numbers) == 2:
        g, c = numbers
        if g < len(groups) and c < len(groups[g]["conditions"]):
            del groups[g]["conditions"][c]
            if not groups[g]["conditions"]:
                del groups[g]
    return definition


def _campaigns() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(Campaign.id, Campaign.name).order_by(Campaign.name, Campaign.id).limit(500)
    )
    return [(row.id, row.name) for row in rows]


def _grouped(fields: dict) -> list[tuple[str, list[sf.Field]]]:
    groups: dict[str, list[sf.Field]] = {}
    for field in fields.values():
        groups.setdefault(str(field.group), []).append(field)
    return list(groups.items())


def builder_context(viewer, entity: SegmentEntity, definition: dict, errors=None) -> dict:
    """What _segment_builder.html and _segment_condition.html need."""
    fields = segment_rules.fields_for(entity)
    may_see_campaigns = permissions.can(viewer, "read", "campaign")
    return {
        "entity": entity,
        "definition": definition,
        "fields": fields,
        "field_groups": _grouped(fields),
        "errors": errors or {},
        "operator_labels": sf.OPERATOR_LABELS,
        "match_labels": MATCH_LABELS,
        "campaigns": _campaigns() if may_see_campaigns else [],
        "activity_kinds": sf.ACTIVITY_KINDS,
        "event_kinds": sf.EVENT_KINDS,
        "types": sf,
    }


def condition_row(entity: SegmentEntity, prefix: str, form) -> dict:
    """One condition row after its field or operator changed: the operator kept if the new
    field allows it (else its first), the value kept where it still fits."""
    fields = segment_rules.fields_for(entity)
    field = fields.get(form.get(f"{prefix}-field", ""))
    op = form.get(f"{prefix}-op", "")
    if field is not None and op not in field.ops:
        op = field.ops[0]
    value = _value(form, prefix, field, op)
    if field is not None and field.type in _PARTS and not isinstance(value, dict):
        value = {}
    return {"field": field.key if field else "", "op": op if field else "", "value": value}
