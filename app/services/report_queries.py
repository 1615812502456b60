"""How a custom report (app.services.report_builder) becomes SQL: each filter a WHERE clause
(bound values only), one SELECT over the record type's table outer-joined only to what the
fields in use need and restricted to the records the reader may read
(permissions.visible), and values shown as the report shows them (choice labels, local
dates, exact cents). A listing is built here, capped at LIMIT rows; groupings are in
app.services.report_groups."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from app import permissions, timezones
from app.extensions import db
from app.models.base import utcnow
from app.services import report_fields as rf
from app.services import segment_clauses as sc
from app.services import targets
from app.services.reports.results import Column, Result

LIMIT = 500  # rows of a listing on the page
EXPORT_LIMIT = 5000  # rows of a listing in its CSV
CENT = Decimal("0.01")
_SEGMENT_TYPES = {rf.TEXT: sc.TEXT, rf.NUMBER: sc.NUMBER, rf.MONEY: sc.NUMBER, rf.DATE: sc.DATE}
_SEGMENT_TYPES[rf.CHOICE] = sc.CHOICE


def _day_clause(expr, op: str, value):
    """A condition on a calendar-date column (no time zone to apply)."""
    if op in ("is_empty", "is_not_empty"):
        return expr.is_(None) if op == "is_empty" else expr.is_not(None)
    if op == "before":
        return expr < date.fromisoformat(value)
    if op == "after":
        return expr > date.fromisoformat(value)
    today = targets.today()
    cutoff = today - timedelta(days=value)
    if op == "within_days":
        return sa.and_(expr >= cutoff, expr <= today)
    return expr < cutoff


def clause(field: rf.Field, op: str, value):
    """The WHERE clause of one checked filter (values are always bound parameters)."""
    if field.clause is not None:
        return field.clause(op, value)
    expr = field.expr
    if field.type == rf.BOOLEAN:
        return expr.is_(True) if op == "is_true" else sa.or_(expr.is_(False), expr.is_(None))
    if field.type == rf.DATE and field.dates == rf.DAY:
        return _day_clause(expr, op, value)
    where = sc.column_clause(_SEGMENT_TYPES[field.type], expr, None, field.integer)(op, value)
    if field.type == rf.DATE and op == "within_days":
        where = sa.and_(where, expr <= utcnow())  # "in the last days", not the days to come
    return where


def base_query(entity: rf.Entity, used, viewer, filters, fields, *columns) -> sa.Select:
    """SELECT `columns` from the records `viewer` may read that pass `filters`, joined to
    what the fields `used` read through."""
    query = sa.select(*columns).select_from(entity.model)
    joined = []
    for field in used:
        if field.join and field.join not in joined:
            target, onclause = entity.joins[field.join]
            query = query.outerjoin(target, onclause)
            joined.append(field.join)
    visible = permissions.visible(
        viewer, entity.permission, entity.owner_column, team_column=entity.team_column
    )
    conditions = [clause(fields[c["field"]], c["op"], c["value"]) for c in filters]
    return query.where(visible, *conditions)


def local_day(field: rf.Field, raw) -> date | None:
    """A date value: a moment's day in the installation's zone, a custom field's ISO text."""
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw.astimezone(timezones.user_zone(None)).date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        return None


def plain_number(raw):
    """An int as it is; a decimal without trailing zeros (12.500000 -> 12.5)."""
    if isinstance(raw, int) or raw is None:
        return raw
    number = Decimal(str(raw)).normalize()
    return number.quantize(Decimal(1)) if number.as_tuple().exponent > 0 else number


def shown(field: rf.Field, raw):
    """A value as the report shows it: choice labels, Yes/No, local dates, exact cents."""
    if raw is None:
        return None
    if field.type == rf.CHOICE:
        return field.choice_label(raw)
    if field.type == rf.BOOLEAN:
        return gettext("Yes") if raw else gettext("No")
    if field.type == rf.DATE:
        return local_day(field, raw)
    if field.type == rf.MONEY:
        return Decimal(str(raw)).quantize(CENT)
    if field.type == rf.NUMBER:
        return plain_number(raw)
    return str(raw)


def column_kind(field: rf.Field, mixed: bool) -> str:
    """How a result column shows a field (money only when one currency is met)."""
    if field.type == rf.MONEY:
        return "number" if mixed else "money"
    return {rf.NUMBER: "number", rf.DATE: "date"}.get(field.type, "text")


def _order(field: rf.Field, direction: str) -> list:
    """ORDER BY a field, empty values last either way; choices in their own order."""
    expr = field.expr
    if field.type == rf.CHOICE and field.choices:
        positions = {value: n for n, (value, _label) in enumerate(field.choices)}
        expr = sa.case(positions, value=field.expr, else_=len(positions))
    return [
        sa.case((field.expr.is_(None), 1), else_=0),
        expr.desc() if direction == "desc" else expr,
    ]


def currency_of(currencies: set, money: bool) -> tuple[str, bool]:
    """(the result's currency, whether several were met)."""
    if len(currencies) > 1:
        return "", True
    if currencies:
        return next(iter(currencies)), False
    return (current_app.config["DEFAULT_CURRENCY"] if money else ""), False


def listing(entity, clean, fields, viewer, limit: int) -> Result:
    """The chosen columns of the records a checked definition selects, at most `limit`."""
    chosen = [fields[key] for key in clean["columns"]]
    sort = clean["sort"]
    money = entity.currency is not None and any(f.type == rf.MONEY for f in chosen)
    columns = [field.expr.label(f"c{n}") for n, field in enumerate(chosen)]
    if money:
        columns.append(entity.currency.label("currency_"))
    used = [*chosen, *(fields[c["field"]] for c in clean["filters"])]
    if sort:
        used.append(fields[sort["field"]])
    query = base_query(entity, used, viewer, clean["filters"], fields, *columns)
    if sort:
        query = query.order_by(*_order(fields[sort["field"]], sort["direction"]), entity.model.id)
    else:
        query = query.order_by(entity.model.id.desc())
    found = db.session.execute(query.limit(limit + 1)).all()
    rows = found[:limit]
    currency, mixed = currency_of({row.currency_ for row in rows} if money else set(), money)
    result = Result(
        columns=[
            Column(field.key, str(field.label), column_kind(field, mixed)) for field in chosen
        ],
        rows=[{field.key: shown(field, row[n]) for n, field in enumerate(chosen)} for row in rows],
        currency=currency,
    )
    if mixed:
        if "currency" not in clean["columns"]:
            result.columns.append(Column("currency", gettext("Currency")))
            for row, raw in zip(result.rows, rows, strict=True):
                row["currency"] = raw.currency_
        result.notes.append(
            gettext("Amounts are in each record's own currency; they are never converted.")
        )
    if len(found) > limit:
        result.notes.append(
            gettext(
                "Only the first %(max)s records are shown: narrow the filters to see the others.",
                max=f"{limit:,}",
            )
        )
    return result
