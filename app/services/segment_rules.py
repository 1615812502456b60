"""A dynamic segment's conditions, checked and compiled to one SQL WHERE clause.

A definition is `{"match": "all"|"any", "groups": [{"match": "all"|"any", "conditions":
[{"field", "op", "value"}]}]}`: the groups combine by the top-level match, the conditions
of a group by the group's. Fields are the allowlist of app.services.segment_fields; an
empty definition matches everyone. A condition whose field is still blank (a row just
added in the builder) is ignored, so half-built definitions count while being edited.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext

from app.extensions import db
from app.models.activities import ActivityKind
from app.models.marketing import Campaign, SegmentEntity
from app.services import condition_values as cv
from app.services import segment_fields as sf
from app.services import tags
from app.services.validation import RecordInvalid

MAX_GROUPS = 10
MAX_CONDITIONS = 20
MATCHES = ("all", "any")


def as_entity(entity) -> SegmentEntity:
    """A SegmentEntity from itself or its value ("CONTACT", "LEAD")."""
    return entity if isinstance(entity, SegmentEntity) else SegmentEntity(entity)


def _uses_custom_fields(definition) -> bool:
    groups = definition.get("groups") if isinstance(definition, dict) else None
    return any(
        str(condition.get("field") or "").startswith(sf.CUSTOM_PREFIX)
        for group in (groups if isinstance(groups, list) else [])
        if isinstance(group, dict) and isinstance(group.get("conditions"), list)
        for condition in group["conditions"]
        if isinstance(condition, dict)
    )


def fields_for(entity, definition=None) -> dict[str, sf.Field]:
    """The fields of `entity`; custom fields are read only when `definition` (if given)
    names one, so compiling a definition without them runs no query."""
    with_custom = definition is None or _uses_custom_fields(definition)
    return sf.fields_for(as_entity(entity), with_custom=with_custom)


def _parts(value) -> dict:
    if not isinstance(value, dict):
        raise cv.BadValue(gettext("Fill in this condition's values."))
    return value


def _clean_value(field: sf.Field, op: str, value):
    """The value in its stored form (JSON: strings, numbers, lists, small dicts)."""
    if op in sf.NO_VALUE:
        return None
    if field.type == sf.TEXT:
        return cv.text(value)
    if field.type == sf.NUMBER:
        return cv.number(value, field.integer)
    if field.type == sf.DATE:
        return cv.days(value) if op in ("within_days", "older_than_days") else cv.day(value)
    if field.type == sf.CHOICE:
        return cv.choice(field.choices, op, value)
    if field.type == sf.TAG:
        try:
            return tags.normalise(value if isinstance(value, str) else "")
        except tags.TagError as error:
            raise cv.BadValue(str(error)) from None
    parts = _parts(value)
    if field.type == sf.ACTIVITY:
        kind = parts.get("kind") or ""
        if kind and kind not in {k.value for k in ActivityKind}:
            raise cv.BadValue(gettext("Choose a kind of activity from the list."))
        return {"kind": kind, "days": cv.days(parts.get("days"))}
    if field.type == sf.CAMPAIGN:
        campaign_id = parts.get("campaign_id")
        if campaign_id in (None, "", 0, "0"):
            campaign_id = None
        else:
            campaign_id = cv.integer(campaign_id, 1, 2**31 - 1, gettext("Choose a campaign."))
        return {"campaign_id": campaign_id, "days": cv.days(parts.get("days"), optional=True)}
    kind = parts.get("kind")
    if kind not in {key for key, _label in sf.EVENT_KINDS}:
        raise cv.BadValue(gettext("Choose a kind of event from the list."))
    count_problem = gettext("Enter a number of times from 0 to 1,000,000.")
    return {
        "kind": kind,
        "days": cv.days(parts.get("days")),
        "count": cv.integer(parts.get("count"), 0, 1_000_000, count_problem),
    }


def _clean_condition(fields: dict, entity: SegmentEntity, condition) -> dict | None:
    """A condition in its stored form; None for a blank row; cv.BadValue for a bad one."""
    if not isinstance(condition, dict):
        raise cv.BadValue(gettext("This condition is not valid."))
    key = condition.get("field")
    if key in (None, ""):
        return None
    field = fields.get(key) if isinstance(key, str) else None
    if field is None:
        label = gettext("contacts") if entity is SegmentEntity.CONTACT else gettext("leads")
        raise cv.BadValue(
            gettext("There is no field “%(field)s” for %(entity)s.", field=key, entity=label)
        )
    op = condition.get("op")
    if op not in field.ops:
        if op in (None, ""):
            raise cv.BadValue(gettext("Choose how to compare %(field)s.", field=field.label))
        raise cv.BadValue(
            gettext(
                "“%(op)s” does not apply to %(field)s.",
                op=sf.OPERATOR_LABELS.get(op, op) if isinstance(op, str) else op,
                field=field.label,
            )
        )
    return {"field": key, "op": op, "value": _clean_value(field, op, condition.get("value"))}


def _where(group: int, condition: int | None = None) -> str:
    if condition is None:
        return gettext("Group %(group)d", group=group + 1)
    return gettext(
        "Group %(group)d, condition %(condition)d", group=group + 1, condition=condition + 1
    )


def validate(entity, definition) -> dict:
    """`definition` checked and normalised (blank rows and empty groups dropped, values in
    their stored form); RecordInvalid naming the group and condition of every problem,
    keyed "definition" or "definition.groups.<i>[.conditions.<j>]" (0-based)."""
    return _checked(as_entity(entity), definition)[0]


def _checked(entity: SegmentEntity, definition) -> tuple[dict, dict]:
    """(the normalised definition, the fields it was checked against)."""
    if definition in (None, {}):
        return {"match": "all", "groups": []}, {}
    if not isinstance(definition, dict) or not isinstance(definition.get("groups", []), list):
        raise RecordInvalid({"definition": gettext("The conditions are not in a known form.")})
    errors: dict[str, str] = {}
    match = definition.get("match", "all")
    if match not in MATCHES:
        errors["definition"] = gettext("Choose whether all or any of the groups must match.")
    raw_groups = definition.get("groups", [])
    if len(raw_groups) > MAX_GROUPS:
        errors["definition"] = gettext("Use at most %(max)d groups.", max=MAX_GROUPS)
        raise RecordInvalid(errors)
    fields = fields_for(entity, definition)
    groups = []
    for g, group in enumerate(raw_groups):
        key = f"definition.groups.{g}"
        conditions = group.get("conditions", []) if isinstance(group, dict) else None
        if not isinstance(conditions, list) or group.get("match", "all") not in MATCHES:
            errors[key] = gettext("%(where)s is not valid.", where=_where(g))
            continue
        if len(conditions) > MAX_CONDITIONS:
            errors[key] = gettext(
                "%(where)s: use at most %(max)d conditions.", where=_where(g), max=MAX_CONDITIONS
            )
            continue
        cleaned = []
        for c, condition in enumerate(conditions):
            try:
                clean = _clean_condition(fields, entity, condition)
            except cv.BadValue as bad:
                errors[f"{key}.conditions.{c}"] = f"{_where(g, c)}: {bad}"
                continue
            if clean is not None:
                cleaned.append(clean)
        if cleaned:
            groups.append({"match": group.get("match", "all"), "conditions": cleaned})
    if errors:
        raise RecordInvalid(errors)
    return {"match": match, "groups": groups}, fields


def where_clause(entity, definition: dict):
    """`definition` (checked again: stored JSON is never trusted) as a WHERE clause over
    Contact or Lead. Bound values only; no query runs unless a custom field is named."""
    clean, fields = _checked(as_entity(entity), definition)
    if not clean["groups"]:
        return sa.true()
    combined = []
    for group in clean["groups"]:
        clauses = [fields[c["field"]].clause(c["op"], c["value"]) for c in group["conditions"]]
        combined.append(sa.and_(*clauses) if group["match"] == "all" else sa.or_(*clauses))
    return sa.and_(*combined) if clean["match"] == "all" else sa.or_(*combined)


def _choice_label(field: sf.Field, value) -> str:
    labels = {key: str(label) for key, label in field.choices}
    return labels.get(value, str(value))


def _value_words(field: sf.Field, op: str, value, campaigns: dict) -> str:
    if op in sf.NO_VALUE:
        return ""
    if field.type == sf.CHOICE:
        values = value if isinstance(value, list) else [value]
        return ", ".join(_choice_label(field, v) for v in values)
    if field.type == sf.ACTIVITY:
        kinds = {key: str(label) for key, label in sf.ACTIVITY_KINDS}
        kind = kinds.get(value["kind"]) or gettext("of any kind")
        return gettext("%(kind)s, in the last %(days)d days", kind=kind, days=value["days"])
    if field.type == sf.CAMPAIGN:
        campaign = campaigns.get(value["campaign_id"]) if value["campaign_id"] else None
        words = campaign or (
            gettext("a deleted campaign") if value["campaign_id"] else gettext("any campaign")
        )
        if value["days"]:
            words = gettext("%(what)s, in the last %(days)d days", what=words, days=value["days"])
        return words
    if field.type == sf.EVENTS:
        kinds = {key: str(label) for key, label in sf.EVENT_KINDS}
        return gettext(
            "%(count)d × %(kind)s in the last %(days)d days",
            count=value["count"],
            kind=kinds[value["kind"]],
            days=value["days"],
        )
    return str(value)


def describe(entity, definition) -> dict:
    """The definition in words, for the segment page: {"match", "groups": [{"match",
    "conditions": [sentence, ...]}]}. Raises RecordInvalid like `validate`."""
    clean, fields = _checked(as_entity(entity), definition)
    campaign_ids = {
        c["value"]["campaign_id"]
        for group in clean["groups"]
        for c in group["conditions"]
        if fields[c["field"]].type == sf.CAMPAIGN and c["value"]["campaign_id"]
    }
    campaigns = {}
    if campaign_ids:
        rows = db.session.execute(
            sa.select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids))
        )
        campaigns = {campaign_id: name for campaign_id, name in rows}
    groups = []
    for group in clean["groups"]:
        sentences = []
        for c in group["conditions"]:
            field = fields[c["field"]]
            if c["op"] == "within_days":
                sentence = gettext(
                    "%(field)s in the last %(days)d days", field=field.label, days=c["value"]
                )
            elif c["op"] == "older_than_days":
                sentence = gettext(
                    "%(field)s more than %(days)d days ago", field=field.label, days=c["value"]
                )
            elif field.type in (sf.BOOLEAN, sf.CAMPAIGN):
                yes = c["op"] in ("is_true", "has")
                if field.type == sf.BOOLEAN:
                    answer = gettext("yes") if yes else gettext("no")
                else:
                    what = _value_words(field, c["op"], c["value"], campaigns)
                    answer = what if yes else gettext("no (%(what)s)", what=what)
                sentence = gettext("%(field)s: %(answer)s", field=field.label, answer=answer)
            else:
                words = _value_words(field, c["op"], c["value"], campaigns)
                op = str(sf.OPERATOR_LABELS[c["op"]])
                sentence = " ".join(part for part in (str(field.label), op, words) if part)
            sentences.append(sentence)
        groups.append({"match": group["match"], "conditions": sentences})
    return {"match": clean["match"], "groups": groups}
