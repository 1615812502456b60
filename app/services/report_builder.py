"""The custom report builder: a definition over one record type, checked against the fields
its reader is offered (app.services.report_fields), and run for that reader
(app.services.report_queries) into a report Result, so the report page, its CSV and its
PDF show a custom report like a standard one.

A definition is `{"columns": [field, ...], "filters": [{"field", "op", "value"}],
"group_by": field or None, "aggregate": {"fn": count|sum|avg|min|max, "field"} or None,
"sort": {"field", "direction": asc|desc} or None}`. Without a grouping or an aggregate it
lists records (the columns, in the sort asked); with one, it counts (and adds up) per
group. A stored definition is checked again every time it runs, with the rights of whoever
runs it: a shared report never shows a teammate a field or a record they may not read."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import database
from app.extensions import db
from app.services import condition_values as cv
from app.services import report_entities, report_groups, report_queries
from app.services import report_fields as rf
from app.services.report_fields import FUNCTION_TYPES, FUNCTIONS
from app.services.validation import RecordInvalid

MAX_COLUMNS = 20
MAX_FILTERS = 20
DIRECTIONS = {"asc": _l("ascending"), "desc": _l("descending")}


def _clean_value(field: rf.Field, op: str, value):
    if op in rf.NO_VALUE:
        return None
    if field.type == rf.TEXT:
        return cv.text(value)
    if field.type in (rf.NUMBER, rf.MONEY):
        return cv.number(value, field.integer)
    if field.type == rf.DATE:
        return cv.days(value) if op in ("within_days", "older_than_days") else cv.day(value)
    return cv.choice(field.choices, op, value)


def _clean_filter(entity: rf.Entity, fields: dict, condition) -> dict | None:
    """A filter in its stored form; None for a row whose field is still blank."""
    if not isinstance(condition, dict):
        raise cv.BadValue(gettext("This condition is not valid."))
    key = condition.get("field")
    if key in (None, ""):
        return None
    field = fields.get(key) if isinstance(key, str) else None
    if field is None:
        raise cv.BadValue(rf.unknown_field_message(entity, key))
    op = condition.get("op")
    if op not in field.ops:
        if op in (None, ""):
            raise cv.BadValue(gettext("Choose how to compare %(field)s.", field=field.label))
        shown = rf.OPERATOR_LABELS.get(op, op) if isinstance(op, str) else op
        raise cv.BadValue(
            gettext("“%(op)s” does not apply to %(field)s.", op=shown, field=field.label)
        )
    return {"field": key, "op": op, "value": _clean_value(field, op, condition.get("value"))}


def _field(entity, fields, key, errors, name) -> rf.Field | None:
    if key in (None, ""):
        return None
    field = fields.get(key) if isinstance(key, str) else None
    if field is None:
        errors[name] = rf.unknown_field_message(entity, key)
    return field


def _columns(entity, fields, raw, errors) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(key, str) for key in raw):
        errors["columns"] = gettext("Choose the columns from the list.")
        return []
    columns = list(dict.fromkeys(raw))
    for key in columns:
        if _field(entity, fields, key, errors, "columns") is None:
            return []
    if len(columns) > MAX_COLUMNS:
        errors["columns"] = gettext("Choose at most %(max)d columns.", max=MAX_COLUMNS)
    return columns


def _filters(entity, fields, raw, errors) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors["filters"] = gettext("The filters are not in a known form.")
        return []
    if len(raw) > MAX_FILTERS:
        errors["filters"] = gettext("Use at most %(max)d filters.", max=MAX_FILTERS)
        return []
    cleaned = []
    for n, condition in enumerate(raw):
        try:
            clean = _clean_filter(entity, fields, condition)
        except cv.BadValue as bad:
            errors[f"filters.{n}"] = gettext("Filter %(n)d: %(problem)s", n=n + 1, problem=bad)
            continue
        if clean is not None:
            cleaned.append(clean)
    return cleaned


def _group(entity, fields, key, errors) -> str | None:
    field = _field(entity, fields, key, errors, "group_by")
    if field is not None and not field.groupable:
        errors["group_by"] = gettext("Records cannot be grouped by %(field)s.", field=field.label)
    return field.key if field is not None else None


def _aggregate(entity, fields, raw, errors) -> dict | None:
    if raw in (None, {}):
        return None
    fn = raw.get("fn") if isinstance(raw, dict) else None
    if fn not in FUNCTIONS:
        errors["aggregate"] = gettext("Choose count, sum, average, lowest or highest.")
        return None
    if fn == "count":
        return {"fn": "count", "field": None}
    field = _field(entity, fields, raw.get("field"), errors, "aggregate")
    if field is None:
        errors.setdefault(
            "aggregate", gettext("Choose a field for the %(fn)s.", fn=str(FUNCTIONS[fn]).lower())
        )
        return None
    if field.type not in FUNCTION_TYPES[fn]:
        errors["aggregate"] = gettext(
            "%(fn)s does not apply to %(field)s.", fn=FUNCTIONS[fn], field=field.label
        )
    return {"fn": fn, "field": field.key}


def _sort(entity, fields, raw, errors) -> dict | None:
    if raw in (None, {}):
        return None
    if not isinstance(raw, dict):
        errors["sort"] = gettext("Choose a field to sort by.")
        return None
    field = _field(entity, fields, raw.get("field"), errors, "sort")
    direction = raw.get("direction") or "asc"
    if direction not in DIRECTIONS:
        errors["sort"] = gettext("Sort ascending or descending.")
    return {"field": field.key, "direction": direction} if field is not None else None


def checked(entity: rf.Entity, definition, viewer) -> tuple[dict, dict[str, rf.Field]]:
    """(the clean definition, the fields it was checked against); RecordInvalid with a
    message per bad part, keyed "columns", "filters.<n>", "group_by", "aggregate", "sort"."""
    if not isinstance(definition, dict):
        raise RecordInvalid({"definition": gettext("The report is not in a known form.")})
    fields = rf.fields_for(entity, viewer)
    errors: dict[str, str] = {}
    clean = {
        "columns": _columns(entity, fields, definition.get("columns"), errors),
        "filters": _filters(entity, fields, definition.get("filters"), errors),
        "group_by": _group(entity, fields, definition.get("group_by"), errors),
        "aggregate": _aggregate(entity, fields, definition.get("aggregate"), errors),
        "sort": _sort(entity, fields, definition.get("sort"), errors),
    }
    if not (clean["columns"] or clean["group_by"] or clean["aggregate"] or errors):
        errors["columns"] = gettext("Choose at least one column to show, or a grouping.")
    if errors:
        raise RecordInvalid(errors)
    if clean["group_by"] and clean["aggregate"] is None:
        clean["aggregate"] = {"fn": "count", "field": None}
    return clean, fields


def entity_or_invalid(entity_key, viewer) -> rf.Entity:
    """The record type a definition is about, if `viewer` may report on it."""
    entity = report_entities.entity_for(entity_key, viewer)
    if entity is None:
        raise RecordInvalid({"entity": gettext("Choose one of the record types offered.")})
    return entity


def validate(entity_key, definition, viewer) -> dict:
    """`definition` checked for `viewer` and normalised (blank filter rows dropped, values
    in their stored form), or RecordInvalid naming every bad part."""
    return checked(entity_or_invalid(entity_key, viewer), definition, viewer)[0]


def run(entity_key, definition, viewer, limit: int | None = None):
    """The report's Result for `viewer`: one query over the records they may read (two
    when grouping by a date, to find its months). RecordInvalid for a bad definition."""
    return run_and_describe(entity_key, definition, viewer, limit)[0]


def describe(entity_key, definition, viewer) -> str:
    """The definition in words, for the report page ("Opportunities you may read, where
    Stage is Closed won; grouped by Stage: count and sum of Amount.")."""
    entity = entity_or_invalid(entity_key, viewer)
    return _words(entity, *checked(entity, definition, viewer))


def run_and_describe(entity_key, definition, viewer, limit: int | None = None):
    """(the Result, the definition in words), checking the definition once."""
    entity = entity_or_invalid(entity_key, viewer)
    clean, fields = checked(entity, definition, viewer)
    database.room_for_hashes(db.session)  # aggregates and sorts stay in memory
    if clean["aggregate"] is not None:
        result = report_groups.grouped(entity, clean, fields, viewer)
    else:
        result = report_queries.listing(
            entity, clean, fields, viewer, limit or report_queries.LIMIT
        )
    return result, _words(entity, clean, fields)


def _value_words(field: rf.Field, op: str, value) -> str:
    if op in rf.NO_VALUE:
        return ""
    if op in ("within_days", "older_than_days"):
        return str(value)
    if field.type == rf.CHOICE:
        values = value if isinstance(value, list) else [value]
        return ", ".join(field.choice_label(v) for v in values)
    return str(value)


def _words(entity: rf.Entity, clean: dict, fields: dict) -> str:
    words = gettext("%(records)s you may read", records=entity.label)
    conditions = []
    for condition in clean["filters"]:
        field, op = fields[condition["field"]], condition["op"]
        parts = (str(field.label), str(rf.OPERATOR_LABELS[op]))
        value = _value_words(field, op, condition["value"])
        conditions.append(" ".join(part for part in (*parts, value) if part))
    if conditions:
        words += ", " + gettext("where %(conditions)s", conditions="; ".join(conditions))
    aggregate = clean["aggregate"]
    if aggregate is not None:
        what = str(FUNCTIONS["count"]).lower()
        if aggregate["fn"] != "count":
            what = gettext(
                "count and %(fn)s of %(field)s",
                fn=str(FUNCTIONS[aggregate["fn"]]).lower(),
                field=fields[aggregate["field"]].label,
            )
        if clean["group_by"]:
            group = fields[clean["group_by"]]
            words += "; " + gettext("grouped by %(field)s", field=group.label)
        words += ": " + what
    return words + "."
