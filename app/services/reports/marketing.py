"""Marketing reports: campaign ROI, lead conversion by source, channel effectiveness,
content performance (app.services.reports.content).

A lead's channel is its source; leads from web forms and social media are split by their
UTM source (linkedin, google...). Money is counted in the report's currency only: deals
and campaigns in other currencies are counted in a note, never converted. Campaign costs
are spread over the days a campaign ran (app.services.reports.costs)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.marketing import Campaign
from app.models.sales import Lead, LeadSource, LeadStatus
from app.services import campaign_metrics, targets
from app.services.leads import SOURCE_LABELS
from app.services.reports import costs, sql
from app.services.reports.channels import channel_effectiveness, lead_channels, lead_filters
from app.services.reports.content import content_performance
from app.services.reports.registry import Report, register
from app.services.reports.results import Chart, Column, Figure, Result

ZERO = Decimal("0.00")


def _ratio_percent(ratio: Decimal | None) -> Decimal | None:
    """campaign_metrics' fractions (0.25) as report percentages (25.0)."""
    return None if ratio is None else sql.one_decimal(ratio * 100)


def _won_deals_left_out(counts: Counter) -> list[str]:
    return [
        ngettext(
            "%(num)d won deal in %(currency)s is left out of won revenue (other currencies "
            "are never converted).",
            "%(num)d won deals in %(currency)s are left out of won revenue (other currencies "
            "are never converted).",
            count,
            currency=code,
        )
        for code, count in sorted(counts.items())
    ]


# -- Campaign ROI --------------------------------------------------------------------------


def _running(filters, today: date):
    """Campaigns whose days (see app.services.reports.costs) meet the period."""
    if today >= filters.start:
        open_ended = Campaign.end_date.is_(None)
    else:
        open_ended = sa.and_(Campaign.end_date.is_(None), Campaign.start_date >= filters.start)
    return sa.and_(
        Campaign.start_date < filters.end,
        sa.or_(Campaign.end_date >= filters.start, open_ended),
    )


def campaign_roi(filters, actor) -> Result:
    currency = filters.currency
    campaigns = list(
        db.session.scalars(
            sa.select(Campaign)
            .where(
                filters.owned(actor, "campaign", Campaign.owner_id),
                Campaign.sequence_id.is_(None),
                _running(filters, targets.today()),
            )
            .order_by(Campaign.start_date, Campaign.id)
        )
    )
    mine = [campaign for campaign in campaigns if campaign.currency == currency]
    figures = campaign_metrics.metrics_for(mine, email=False)
    rows, deals_elsewhere = [], Counter()
    for campaign in mine:
        metrics = figures[campaign.id]
        for other in metrics.other_currencies:
            deals_elsewhere[other.currency] += other.won_opportunities
        rows.append(
            {
                "campaign": campaign.name,
                "start": campaign.start_date,
                "cost": metrics.cost,
                "leads": metrics.leads,
                "opportunities": metrics.opportunities,
                "won": metrics.won_opportunities,
                "won_revenue": metrics.won_revenue,
                "roi": _ratio_percent(metrics.roi),
                "cost_per_lead": metrics.cost_per_lead,
            }
        )
    rows.sort(key=lambda row: (row["roi"] is None, -(row["roi"] or 0), row["campaign"]))
    costed = [figures[c.id] for c in mine if figures[c.id].cost]
    spent = sum((m.cost for m in costed), ZERO)
    earned = sum((m.won_revenue for m in costed), ZERO)
    roi = _ratio_percent((earned - spent) / spent) if spent else None
    totals = {
        key: sum((row[key] for row in rows), ZERO if key in ("cost", "won_revenue") else 0)
        for key in ("cost", "leads", "opportunities", "won", "won_revenue")
    }
    totals["roi"] = roi
    totals["cost_per_lead"] = (
        sql.money(totals["cost"] / totals["leads"]) if totals["leads"] else None
    )
    notes = costs.campaigns_left_out(
        Counter(c.currency for c in campaigns if c.currency != currency)
    )
    notes += _won_deals_left_out(+deals_elsewhere)
    if len(costed) < len(mine):
        notes.append(
            gettext("Campaigns without an actual cost have no ROI; the total ROI leaves them out.")
        )
    return Result(
        columns=[
            Column("campaign", str(_l("Campaign"))),
            Column("start", str(_l("Start date")), "date"),
            Column("cost", str(_l("Actual cost")), "money"),
            Column("leads", str(_l("Leads")), "count"),
            Column("opportunities", str(_l("Opportunities")), "count"),
            Column("won", str(_l("Won deals")), "count"),
            Column("won_revenue", str(_l("Won revenue")), "money"),
            Column("roi", str(_l("ROI")), "percent"),
            Column("cost_per_lead", str(_l("Cost per lead")), "money"),
        ],
        rows=rows,
        figures=[
            Figure(str(_l("Actual cost")), totals["cost"], "money"),
            Figure(str(_l("Won revenue")), totals["won_revenue"], "money"),
            Figure(str(_l("ROI")), roi, "percent", hint=str(_l("(won revenue − cost) ÷ cost"))),
        ],
        chart=Chart("hbar", "campaign", ("roi",)),
        notes=notes,
        currency=currency,
        totals=totals,
    )


# -- Lead conversion -----------------------------------------------------------------------

CONVERSION_GROUPS = {"source": _l("Lead source"), "month": _l("Month created")}


def lead_conversion(filters, actor) -> Result:
    converted = Lead.status == LeadStatus.CONVERTED
    days = sa.case(
        (sa.and_(converted, Lead.converted_at.is_not(None)),
         sql.days_between(Lead.created_at, Lead.converted_at)),
        else_=None,
    )  # fmt: skip
    months = filters.months()
    if filters.group == "month":
        label = sql.bucket(Lead.created_at, sql.month_bounds(months))
    else:
        label = Lead.source
    query = (
        sa.select(
            label,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((converted, 1), else_=0)), 0),
            sa.func.sum(days),
            sa.func.count(days),
        )
        .where(*lead_filters(filters, actor))
        .group_by(label)
    )
    found = {key: values for key, *values in db.session.execute(query)}
    if filters.group == "month":
        keys = [(index, month) for index, month in enumerate(months)]
    else:
        keys = [(key, str(SOURCE_LABELS[LeadSource(key)])) for key in found]
    rows = [_conversion_row(name, *found.get(key, (0, 0, None, 0))) for key, name in keys]
    if filters.group != "month":
        rows.sort(key=lambda row: (-row["leads"], row["group"]))
    total = _conversion_row(
        None,
        sum(values[0] for values in found.values()),
        sum(values[1] for values in found.values()),
        sum((Decimal(str(values[2])) for values in found.values() if values[2] is not None),
            Decimal(0)),
        sum(values[3] for values in found.values()),
    )  # fmt: skip
    by_month = filters.group == "month"
    return Result(
        columns=[
            Column(
                "group",
                str(CONVERSION_GROUPS[filters.group or "source"]),
                "month" if by_month else "text",
            ),
            Column("leads", str(_l("Leads")), "count"),
            Column("converted", str(_l("Converted")), "count"),
            Column("rate", str(_l("Conversion rate")), "percent"),
            Column("days", str(_l("Average days to convert")), "days"),
        ],  # fmt: skip
        rows=rows,
        figures=[
            Figure(str(_l("Leads")), total["leads"]),
            Figure(str(_l("Converted")), total["converted"]),
            Figure(str(_l("Conversion rate")), total["rate"], "percent"),
            Figure(str(_l("Average days to convert")), total["days"], "days"),
        ],
        chart=Chart("line" if by_month else "hbar", "group", ("rate",)),
    )


def _conversion_row(name, leads, converted, days_total, days_count) -> dict:
    average = Decimal(str(days_total)) / days_count if days_count else None
    return {
        "group": name,
        "leads": leads,
        "converted": converted,
        "rate": sql.percent(converted, leads),
        "days": sql.one_decimal(average),
    }


# -- The catalogue -------------------------------------------------------------------------

register(
    Report(
        key="campaign-roi",
        family="marketing",
        title=_l("Campaign ROI"),
        definition=_l(
            "The campaigns that ran in the period (from their start date to their end date, "
            "or to today while they have none), each with its whole results as its page "
            "shows them: actual cost, the leads and deals attributed to it, the deals won "
            "and their amount. ROI = (won revenue − actual cost) ÷ actual cost; a campaign "
            "without a cost has none. Cost per lead = actual cost ÷ leads."
        ),
        entity="campaign",
        compute=campaign_roi,
    )
)
register(
    Report(
        key="lead-conversion",
        family="marketing",
        title=_l("Lead conversion"),
        definition=_l(
            "The leads created in the period, by source or by month: how many, how many "
            "have been converted since (into a customer, contact and deal), the conversion "
            "rate, and the average days from creation to conversion of those converted."
        ),
        entity="lead",
        compute=lead_conversion,
        filters=("period", "team", "owner", "channel", "segment"),
        segment_entity="LEAD",
        channels=lead_channels,
        groups=CONVERSION_GROUPS,
    )
)
register(
    Report(
        key="channel-effectiveness",
        family="marketing",
        title=_l("Channel effectiveness"),
        definition=_l(
            "The leads created in the period by channel: their source, and for web forms "
            "and social media their UTM source as well. For each channel: the deals made "
            "from its leads, those won and their amount, the campaign cost attributed to "
            "it and the cost per lead. A campaign's cost in the period (spread over the "
            "days it ran) is shared among the channels of the leads it brought in the "
            "period, in proportion to their number."
        ),
        entity="lead",
        compute=channel_effectiveness,
        filters=("period", "team", "owner", "channel", "segment"),
        segment_entity="LEAD",
        channels=lead_channels,
    )
)
register(
    Report(
        key="content-performance",
        family="marketing",
        title=_l("Content performance"),
        definition=_l(
            "Landing pages and web forms: views, submissions and conversion rate of each A/B "
            "variant since it was made (views are counted, not dated), with the submissions "
            "of the period and the A/B test verdict against the first variant. Knowledge "
            "base articles: views and helpful votes since publication. Downloads: the "
            "downloads of the period by file."
        ),
        entity="web_form",
        also_reads=("kb_article",),
        compute=content_performance,
        filters=("period",),
        groups={"forms": _l("Landing pages and forms"), "articles": _l("Knowledge base"),
                "downloads": _l("Downloads")},
    )
)  # fmt: skip
