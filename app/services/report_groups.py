"""A custom report's grouping and aggregate as SQL and a report Result: one SELECT (two when
grouping by a date) over the records the reader may read, counting and adding up per group,
at most GROUP_LIMIT groups. Money is added up per currency and never converted: an
aggregate of an amount also groups by currency, and the currency shows as a column when
more than one is met. Dates group by month (by year over long spans) in the installation's
time zone, the same on SQLite and PostgreSQL: a first query finds the span, the grouping
query buckets each date with a nested CASE (a binary search: a million rows make a few
comparisons each, not one per month)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext, ngettext

from app.extensions import db
from app.services import report_fields as rf
from app.services import report_queries, targets
from app.services.report_queries import CENT
from app.services.reports.results import Chart, Column, Figure, Result

GROUP_LIMIT = 200
MAX_MONTHS = 60  # a longer span groups by year
CHART_ROWS = 60


@dataclasses.dataclass(frozen=True)
class _Buckets:
    starts: list[date]  # the first day of each month (or year)
    bounds: list  # where each begins, in the column's terms, and where the last ends
    yearly: bool


def _bound(field: rf.Field, day: date):
    if field.dates == rf.MOMENT:
        return targets.day_bounds(day, day)[0]
    return day if field.dates == rf.DAY else day.isoformat()


def _buckets(field: rf.Field, base) -> _Buckets | None:
    """The months (or years) the dates of the rows span; None when no row has one."""
    low, high = db.session.execute(base(sa.func.min(field.expr), sa.func.max(field.expr))).one()
    first, last = report_queries.local_day(field, low), report_queries.local_day(field, high)
    if first is None or last is None:
        return None
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    if span > MAX_MONTHS:
        starts = [date(year, 1, 1) for year in range(first.year, last.year + 2)]
    else:
        starts = [targets.month_of(first).start]
        while len(starts) <= span:
            starts.append(targets.month_of(starts[-1]).end)
    bounds = [_bound(field, day) for day in starts]
    return _Buckets(starts[:-1], bounds, span > MAX_MONTHS)


def _bucket(expr, bounds: list):
    """The index i of the interval [bounds[i], bounds[i+1]) holding `expr`, by halving."""

    def node(low: int, high: int):
        if high - low == 1:
            return sa.literal_column(str(low), sa.Integer)
        middle = (low + high) // 2
        return sa.case((expr < bounds[middle], node(low, middle)), else_=node(middle, high))

    return sa.case((expr.is_(None), sa.null()), else_=node(0, len(bounds) - 1))


def _group_expr(field: rf.Field, buckets: _Buckets | None):
    if field.type == rf.DATE:
        return _bucket(field.expr, buckets.bounds) if buckets else sa.cast(sa.null(), sa.Integer)
    if field.type == rf.TEXT:
        return sa.func.nullif(field.expr, "")  # "" and no value are one group
    return field.expr


def _group_label(field: rf.Field, raw, buckets: _Buckets | None):
    if field.type == rf.DATE:
        yearly = buckets is not None and buckets.yearly
        if raw is None:
            return gettext("(not set)") if yearly else None
        start = buckets.starts[raw]
        return str(start.year) if yearly else start
    if field.type == rf.NUMBER:
        return report_queries.plain_number(raw)
    if raw is None:
        return gettext("(not set)")
    return report_queries.shown(field, raw)


def _group_kind(field: rf.Field, buckets: _Buckets | None) -> str:
    if field.type == rf.DATE:
        return "text" if buckets and buckets.yearly else "month"
    return "number" if field.type == rf.NUMBER else "text"


def _natural(field: rf.Field, rows: list) -> list:
    """Choices in their own order, yes before no; empty last."""
    if field.type == rf.CHOICE:
        positions = {value: n for n, (value, _label) in enumerate(field.choices)}
        return sorted(rows, key=lambda row: positions.get(getattr(row.g, "value", row.g), 10**6))
    if field.type == rf.BOOLEAN:
        return sorted(rows, key=lambda row: 2 if row.g is None else (0 if row.g else 1))
    return rows


def _measure(fn: str, target: rf.Field | None, raw):
    if fn == "count" or raw is None:
        return raw
    if target.type == rf.DATE:
        return report_queries.local_day(target, raw)
    if target.type == rf.MONEY:
        return Decimal(str(raw)).quantize(CENT)
    if fn == "avg":
        return Decimal(str(raw)).quantize(CENT)
    return report_queries.plain_number(raw)


def grouped(entity, clean, fields, viewer) -> Result:
    """The counts (and sums, averages, lows or highs) per group of a checked definition."""
    group = fields[clean["group_by"]] if clean["group_by"] else None
    fn, target_key = clean["aggregate"]["fn"], clean["aggregate"]["field"]
    target = fields[target_key] if target_key else None
    money = target is not None and target.type == rf.MONEY and entity.currency is not None
    used = [f for f in (group, target) if f] + [fields[c["field"]] for c in clean["filters"]]

    def base(*columns):
        return report_queries.base_query(entity, used, viewer, clean["filters"], fields, *columns)

    buckets = _buckets(group, base) if group is not None and group.type == rf.DATE else None
    inner = []
    if group is not None:
        inner.append(_group_expr(group, buckets).label("g"))
    if money:
        inner.append(entity.currency.label("cur"))
    if target is not None:
        inner.append(target.expr.label("v"))
    inner = base(*(inner or [entity.model.id.label("id")])).subquery()
    count = sa.func.count().label("n")
    measures = [count] if fn == "count" else [count, getattr(sa.func, fn)(inner.c.v).label("v")]
    keys = ([inner.c.g] if group is not None else []) + ([inner.c.cur] if money else [])
    query = sa.select(*keys, *measures).select_from(inner)
    if keys:
        query = query.group_by(*keys)
    if group is not None and group.type == rf.TEXT:
        last = measures[-1]
        nulls_last = [sa.case((key.is_(None), 1), else_=0) for key in keys]
        ties = [item for pair in zip(nulls_last, keys, strict=True) for item in pair]
        query = query.order_by(sa.case((last.is_(None), 1), else_=0), last.desc(), *ties)
    else:
        query = query.order_by(*(sa.case((key.is_(None), 1), else_=0) for key in keys), *keys)
    found = db.session.execute(query.limit(GROUP_LIMIT + 1)).all()
    rows = _natural(group, found[:GROUP_LIMIT]) if group is not None else found
    currency, mixed = report_queries.currency_of(
        {row.cur for row in rows} if money else set(), money
    )
    return _grouped_result(group, fn, target, buckets, rows, currency, mixed, len(found))


def _grouped_result(group, fn, target, buckets, rows, currency, mixed, found) -> Result:
    columns = []
    if group is not None:
        columns.append(Column("group", str(group.label), _group_kind(group, buckets)))
    if mixed:
        columns.append(Column("currency", gettext("Currency")))
    columns.append(Column("count", gettext("Records"), "count"))
    if fn != "count":
        label = gettext("%(fn)s of %(field)s", fn=rf.FUNCTIONS[fn], field=target.label)
        columns.append(Column("value", label, report_queries.column_kind(target, mixed)))
    table = []
    for row in rows:
        values = {"count": row.n}
        if group is not None:
            values["group"] = _group_label(group, row.g, buckets)
        if mixed:
            values["currency"] = row.cur
        if fn != "count":
            values["value"] = _measure(fn, target, row.v)
        table.append(values)
    result = Result(columns=columns, rows=table, currency=currency)
    shown_key = "value" if fn != "count" and target.type != rf.DATE else "count"
    if group is None and len(table) == 1:
        result.figures.append(Figure(gettext("Records"), table[0]["count"]))
        if fn != "count":
            result.figures.append(Figure(columns[-1].label, table[0]["value"], columns[-1].kind))
    elif group is not None and table and not mixed and len(table) <= CHART_ROWS:
        kind = "line" if buckets is not None and not buckets.yearly else "hbar"
        result.chart = Chart(kind, "group", (shown_key,))
    if group is not None and len(table) > 1 and found <= GROUP_LIMIT and not mixed:
        total = {"count": sum(row["count"] for row in table)}
        if result.columns[0].kind == "text":
            total["group"] = gettext("Total")
        if fn == "sum":
            total["value"] = sum((row["value"] or 0 for row in table), Decimal(0))
        result.totals = total
    if mixed:
        result.notes.append(
            gettext("Amounts are added up per currency, never converted between currencies.")
        )
    if buckets is not None and buckets.yearly:
        result.notes.append(
            gettext(
                "The dates span more than %(n)d months: they are grouped by year.", n=MAX_MONTHS
            )
        )
    if found > GROUP_LIMIT:
        result.notes.append(
            ngettext(
                "Only the first %(num)d group is shown.",
                "Only the first %(num)d groups are shown.",
                GROUP_LIMIT,
            )
        )
    return result
