"""Channel effectiveness: the leads of the period by channel (their source, and for web
forms and social media their UTM source), with the deals made from them, the won revenue
and the campaign cost attributed to each channel: a campaign's cost in the period (spread
over its days, app.services.reports.costs) is shared among the channels of the leads it
brought in the period, in proportion to their number."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_currency, gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.sales import Lead, LeadSource, Opportunity, OpportunityStage
from app.services import targets
from app.services.leads import SOURCE_LABELS
from app.services.reports import costs, sql
from app.services.reports.results import Chart, Column, Figure, Result

ZERO = Decimal("0.00")
# Sources whose leads are told apart by their UTM source.
BY_UTM = (LeadSource.WEB_FORM, LeadSource.SOCIAL)


def lead_channels() -> list[tuple[str, str]]:
    """The channel filter's choices: the lead sources."""
    return [(source.value, str(SOURCE_LABELS[source])) for source in LeadSource]


def lead_filters(filters, actor) -> list:
    """The leads created in the period that the reader may read, of the chosen team, owner
    and channel (source)."""
    return [*_created_in(filters), *_chosen(filters, actor)]


def _created_in(filters) -> list:
    first, after = filters.moments()
    return [Lead.created_at >= first, Lead.created_at < after]


def _chosen(filters, actor) -> list:
    clauses = [filters.owned(actor, "lead", Lead.owner_id)]
    if filters.channel:
        clauses.append(Lead.source == LeadSource(filters.channel))
    members = filters.segment_members()
    if members is not None:
        clauses.append(Lead.id.in_(members))
    return clauses


def _channel(source, utm: str) -> tuple[str, str]:
    source = LeadSource(source)
    utm = (utm or "").strip().lower() if source in BY_UTM else ""
    return source.value, utm


def _channel_label(key: tuple[str, str]) -> str:
    label = str(SOURCE_LABELS[LeadSource(key[0])])
    return f"{label} · {key[1]}" if key[1] else label


def channel_effectiveness(filters, actor) -> Result:
    currency = filters.currency
    won = Opportunity.stage == OpportunityStage.CLOSED_WON
    won_here = sa.and_(won, Opportunity.currency == currency)
    # The deals of each lead first (one row per lead), so the leads are counted without a
    # DISTINCT and grouped by hashing.
    deals = (
        sa.select(
            Opportunity.lead_id.label("lead_id"),
            sa.func.count().label("deals"),
            sa.func.sum(sa.case((won, 1), else_=0)).label("won"),
            sa.func.sum(sa.case((won_here, Opportunity.amount), else_=0)).label("revenue"),
            sa.func.sum(sa.case((sa.and_(won, ~won_here), 1), else_=0)).label("elsewhere"),
        )
        .where(Opportunity.lead_id.is_not(None))
        .group_by(Opportunity.lead_id)
        .subquery()
    )
    # One pass over the period's leads: the reader's chosen ones are counted, and every
    # lead of a campaign counts for sharing its cost.
    chosen = sa.and_(*_chosen(filters, actor))

    def mine(value):
        return sa.func.coalesce(sa.func.sum(sa.case((chosen, value), else_=0)), 0)

    query = (
        sa.select(
            Lead.source,
            Lead.utm_source,
            Lead.campaign_id,
            sa.func.count(),
            mine(1),
            mine(deals.c.deals),
            mine(deals.c.won),
            mine(deals.c.revenue),
            mine(deals.c.elsewhere),
        )
        .select_from(Lead)
        .outerjoin(deals, deals.c.lead_id == Lead.id)
        .where(*_created_in(filters))
        .group_by(Lead.source, Lead.utm_source, Lead.campaign_id)
    )
    channels: dict[tuple[str, str], Counter] = {}
    by_campaign: dict[int, Counter] = {}
    campaign_leads: Counter = Counter()
    for source, utm, campaign_id, every, leads, *made in db.session.execute(query):
        if campaign_id is not None:
            campaign_leads[campaign_id] += every
        if not leads:
            continue
        key = _channel(source, utm)
        figures = channels.setdefault(key, Counter())
        figures.update(leads=leads, deals=made[0], won=made[1], elsewhere=made[3])
        figures["revenue"] += sql.money(made[2])
        if campaign_id is not None:
            by_campaign.setdefault(campaign_id, Counter())[key] += leads
    spend = _attributed_costs(filters, currency, by_campaign, campaign_leads)
    rows = []
    for key, figures in channels.items():
        cost = spend["channels"].get(key)  # exact: rounded once, here
        rows.append(
            {
                "channel": _channel_label(key),
                "leads": figures["leads"],
                "opportunities": figures["deals"],
                "won": figures["won"],
                "won_revenue": sql.money(figures["revenue"]),
                "cost": sql.money(cost) if cost else None,
                "cost_per_lead": sql.money(cost / figures["leads"]) if cost else None,
            }
        )
    rows.sort(key=lambda row: (-row["leads"], row["channel"]))
    totals = {
        key: sum((row[key] or 0 for row in rows), ZERO if key in ("won_revenue", "cost") else 0)
        for key in ("leads", "opportunities", "won", "won_revenue", "cost")
    }
    totals["cost_per_lead"] = (
        sql.money(totals["cost"] / totals["leads"]) if totals["leads"] and totals["cost"] else None
    )
    elsewhere = sum(figures["elsewhere"] for figures in channels.values())
    notes = []
    if elsewhere:
        notes.append(
            ngettext(
                "%(num)d won deal in another currency is left out of won revenue (other "
                "currencies are never converted).",
                "%(num)d won deals in other currencies are left out of won revenue (other "
                "currencies are never converted).",
                elsewhere,
            )
        )
    notes += spend["notes"]
    return Result(
        columns=[
            Column("channel", str(_l("Channel"))),
            Column("leads", str(_l("Leads")), "count"),
            Column("opportunities", str(_l("Opportunities")), "count"),
            Column("won", str(_l("Won deals")), "count"),
            Column("won_revenue", str(_l("Won revenue")), "money"),
            Column("cost", str(_l("Campaign cost")), "money"),
            Column("cost_per_lead", str(_l("Cost per lead")), "money"),
        ],
        rows=rows,
        figures=[
            Figure(str(_l("Leads")), totals["leads"]),
            Figure(str(_l("Won revenue")), totals["won_revenue"], "money"),
            Figure(str(_l("Campaign cost")), totals["cost"], "money"),
        ],
        chart=Chart("hbar", "channel", ("leads",)),
        notes=notes,
        currency=currency,
        totals=totals,
    )


def _attributed_costs(
    filters, currency: str, by_campaign: dict[int, Counter], campaign_leads: Counter
) -> dict:
    """Each campaign's cost in the period, shared among the channels of its leads of the
    period (`campaign_leads`, every reader's) in proportion to their number: the reader's
    leads (`by_campaign`) get their share of it."""
    spread = costs.campaign_costs(filters, currency, targets.today())
    ids = [campaign_id for campaign_id in spread.by_campaign if spread.by_campaign[campaign_id]]
    shares: dict[tuple[str, str], Decimal] = {}
    unattributed = Decimal(0)
    for campaign_id in ids:
        cost, whole = spread.by_campaign[campaign_id], campaign_leads[campaign_id]
        if not whole:
            unattributed += cost
            continue
        for key, leads in by_campaign.get(campaign_id, {}).items():
            shares[key] = shares.get(key, Decimal(0)) + cost * leads / whole
    notes = costs.campaigns_left_out(spread.other_currencies)
    if sql.money(unattributed):
        notes.append(
            gettext(
                "%(amount)s of campaign costs in the period brought no lead in it and is not "
                "attributed to a channel.",
                amount=format_currency(sql.money(unattributed), currency),
            )
        )
    return {"channels": shares, "notes": notes}
