"""Costs spread over a report's period, in one currency (other currencies are counted for a
note, never converted):

- a campaign's actual cost is spread evenly over the days it ran, from its start date to
  its end date, both included (still running, without an end date: to today); the part of
  the period gets the share of its days. A campaign without a start date cannot be placed
  in time and is left out (counted).
- a month's sales cost is spread evenly over the days of that month; a period covering
  part of a month gets the share of its days.

Shares are exact Decimals; callers round once, to the cent, where they show an amount."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import ngettext

from app.extensions import db
from app.models.analytics import SalesCost
from app.models.marketing import Campaign
from app.services.reports.filters import Filters, add_months

ZERO = Decimal("0")


@dataclasses.dataclass(frozen=True)
class Window:
    """One month of a period, cut to the period: `month` (its first day) and the days
    [first, after) of it that the period covers."""

    month: date
    first: date
    after: date


def windows(filters: Filters) -> list[Window]:
    """The months the period touches, each cut to the period's days."""
    return [
        Window(month, max(month, filters.start), min(add_months(month, 1), filters.end))
        for month in filters.months()
    ]


def overlap_days(first: date, last: date, window_first: date, window_after: date) -> int:
    """How many days of [first, last] (both included) fall in [window_first, window_after)."""
    start, end = max(first, window_first), min(last + timedelta(days=1), window_after)
    return max((end - start).days, 0)


def campaign_span(start: date | None, end: date | None, today: date) -> tuple[date, date] | None:
    """The days a campaign ran, first and last included: to today when it has no end date
    (or on its start day alone, when that is still to come); None without a start date."""
    if start is None:
        return None
    last = end if end is not None else max(start, today)
    return start, max(last, start)


@dataclasses.dataclass
class CampaignCosts:
    """Campaign costs of a period: each campaign's share (exact) by campaign id and by
    month, and what was left out."""

    by_campaign: dict[int, Decimal] = dataclasses.field(default_factory=dict)
    by_month: dict[date, Decimal] = dataclasses.field(default_factory=dict)
    other_currencies: Counter = dataclasses.field(default_factory=Counter)  # campaigns
    undated: int = 0  # campaigns with a cost but no start date


def campaign_costs(filters: Filters, currency: str, today: date) -> CampaignCosts:
    """The actual costs of the campaigns that ran in the period, spread by days (one query
    for the few campaigns whose dates meet the period)."""
    result = CampaignCosts(by_month={window.month: ZERO for window in windows(filters)})
    has_cost = Campaign.actual_cost > 0
    result.undated = db.session.scalar(
        sa.select(sa.func.count()).where(has_cost, Campaign.start_date.is_(None))
    )
    rows = db.session.execute(
        sa.select(
            Campaign.id, Campaign.start_date, Campaign.end_date, Campaign.actual_cost,
            Campaign.currency,
        ).where(
            has_cost,
            Campaign.start_date < filters.end,
            sa.or_(Campaign.end_date.is_(None), Campaign.end_date >= filters.start),
        )
    )  # fmt: skip
    months = windows(filters)
    for campaign_id, start, end, cost, code in rows:
        first, last = campaign_span(start, end, today)
        if not overlap_days(first, last, filters.start, filters.end):
            continue
        if code != currency:
            result.other_currencies[code] += 1
            continue
        whole = (last - first).days + 1
        total = ZERO
        for window in months:
            days = overlap_days(first, last, window.first, window.after)
            if days:
                part = Decimal(cost) * days / whole
                result.by_month[window.month] += part
                total += part
        result.by_campaign[campaign_id] = total
    return result


def campaigns_left_out(counts: Counter) -> list[str]:
    """ "2 campaigns in EUR are left out" for each other currency met."""
    return [
        ngettext(
            "%(num)d campaign in %(currency)s is left out (other currencies are never converted).",
            "%(num)d campaigns in %(currency)s are left out (other currencies are never "
            "converted).",
            count,
            currency=code,
        )
        for code, count in sorted(counts.items())
    ]


@dataclasses.dataclass
class SalesCosts:
    """Monthly sales costs of a period (exact shares by month), and what is missing."""

    by_month: dict[date, Decimal]
    other_currencies: Counter  # months entered only in another currency, by currency
    missing: list[date]  # months with no cost in the report's currency


def sales_costs(filters: Filters, currency: str) -> SalesCosts:
    """The sales costs of the months the period touches, each month's amount shared by the
    days of it the period covers."""
    months = windows(filters)
    by_month = {window.month: ZERO for window in months}
    found, others = set(), Counter()
    rows = db.session.execute(
        sa.select(SalesCost.month, SalesCost.amount, SalesCost.currency).where(
            SalesCost.month >= filters.start.replace(day=1), SalesCost.month < filters.end
        )
    )
    spans = {window.month: window for window in months}
    for month, amount, code in rows:
        window = spans.get(month)
        if window is None:
            continue
        if code != currency:
            others[code] += 1
            continue
        found.add(month)
        whole = (add_months(month, 1) - month).days
        by_month[month] += Decimal(amount) * (window.after - window.first).days / whole
    missing = [window.month for window in months if window.month not in found]
    return SalesCosts(by_month, others, missing)
