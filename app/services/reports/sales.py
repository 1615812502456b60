"""Sales reports: the funnel, win rate, product sales, regional sales and the pipeline by
expected close month. Deals are opportunities; revenue is orders (every order but a
cancelled one, on its order date, net of discounts and before tax). Money is added up in
the report's currency only: records in other currencies are counted in a note, never
converted."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.customers import AddressKind, CustomerAddress
from app.models.sales import (
    Lead,
    LeadSource,
    Opportunity,
    OpportunityProduct,
    OpportunityStage,
    Product,
    StageChange,
)
from app.services.leads import SOURCE_LABELS
from app.services.opportunities import STAGE_LABELS
from app.services.reports import sql
from app.services.reports.registry import Report, register
from app.services.reports.results import Chart, Column, Figure, Result

WON, LOST = OpportunityStage.CLOSED_WON, OpportunityStage.CLOSED_LOST
# The funnel's steps in order; a lost deal went as far as the last step it reached.
STEPS = [
    OpportunityStage.PROSPECTING,
    OpportunityStage.QUALIFICATION,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
    WON,
]
# Deal sizes for win rate by size, in the report's currency: (upper bound, label).
SIZE_BANDS = [
    (Decimal("10000"), _l("Under 10,000")),
    (Decimal("50000"), _l("10,000 to 50,000")),
    (Decimal("200000"), _l("50,000 to 200,000")),
    (None, _l("200,000 and more")),
]


def _deals_note(counts: Counter) -> list[str]:
    """ "The amounts leave out 3 deals in EUR" for each other currency met."""
    return [
        ngettext(
            "The amounts leave out %(num)d deal in %(currency)s (other currencies are never "
            "converted).",
            "The amounts leave out %(num)d deals in %(currency)s (other currencies are never "
            "converted).",
            count,
            currency=currency,
        )
        for currency, count in sorted(counts.items())
    ]


def _lead_channels() -> list[tuple[str, str]]:
    return [(source.value, str(SOURCE_LABELS[source])) for source in LeadSource]


def _deal_filters(filters, actor) -> list:
    """The WHERE clauses every deal report shares: visible deals, the team and owner
    chosen, and the product, region and channel (the source of the lead) filters."""
    clauses = [filters.owned(actor, "opportunity", Opportunity.owner_id)]
    if filters.product_id is not None:
        clauses.append(
            sa.select(OpportunityProduct.id)
            .where(
                OpportunityProduct.opportunity_id == Opportunity.id,
                OpportunityProduct.product_id == filters.product_id,
            )
            .exists()
        )
    if filters.region:
        clauses.append(
            sa.select(CustomerAddress.id)
            .where(
                CustomerAddress.customer_id == Opportunity.customer_id,
                CustomerAddress.kind == AddressKind.BILLING,
                CustomerAddress.country == filters.region,
            )
            .exists()
        )
    if filters.channel:
        clauses.append(
            Opportunity.lead_id.in_(sa.select(Lead.id).where(Lead.source == filters.channel))
        )
    return clauses


# -- Funnel ------------------------------------------------------------------------------


def funnel(filters, actor) -> Result:
    first, after = filters.moments()
    created = [Opportunity.created_at >= first, Opportunity.created_at < after]
    where = created + _deal_filters(filters, actor)
    # How far each deal went: its furthest stage, kept on the deal as it moves.
    depth = sa.case(
        *[(Opportunity.furthest_stage == stage, index) for index, stage in enumerate(STEPS, 1)],
        else_=0,
    )
    mine = Opportunity.currency == filters.currency
    columns = [sa.func.count(sa.case((~mine, 1)))]
    for index in range(1, len(STEPS) + 1):
        columns += [
            sa.func.count(sa.case((depth >= index, 1))),
            sa.func.sum(sa.case((sa.and_(depth >= index, mine), Opportunity.amount), else_=0)),
        ]
    other, *row = db.session.execute(sa.select(*columns).where(*where)).one()
    others = Counter()
    if other:
        others = Counter(
            dict(
                db.session.execute(
                    sa.select(Opportunity.currency, sa.func.count())
                    .where(*where, ~mine)
                    .group_by(Opportunity.currency)
                ).all()
            )
        )
    days = _days_in_stage(where)
    rows = []
    for index, stage in enumerate(STEPS):
        count, amount = row[index * 2], sql.money(row[index * 2 + 1])
        following = row[(index + 1) * 2] if index + 1 < len(STEPS) else None
        rows.append(
            {
                "stage": str(STAGE_LABELS[stage]),
                "deals": count,
                "amount": amount,
                "conversion": None if following is None else sql.percent(following, count),
                "days": days.get(stage),
            }
        )
    created_count, won_count = row[0], row[(len(STEPS) - 1) * 2]
    return Result(
        columns=[
            Column("stage", str(_l("Stage"))),
            Column("deals", str(_l("Deals that reached it")), "count"),
            Column("amount", str(_l("Their amount")), "money"),
            Column("conversion", str(_l("Went on to the next stage")), "percent"),
            Column("days", str(_l("Average days in stage")), "days"),
        ],
        rows=rows,
        figures=[
            Figure(str(_l("Deals created")), created_count),
            Figure(str(_l("Won")), won_count),
            Figure(str(_l("Created to won")), sql.percent(won_count, created_count), "percent"),
        ],
        chart=Chart("hbar", "stage", ("deals",)),
        notes=_deals_note(others),
        currency=filters.currency,
    )


def _days_in_stage(where: list) -> dict[OpportunityStage, Decimal]:
    """The mean days the deals of `where` spent in each stage they have left: the stay
    each stage change ended, kept on the change when it was made."""
    rows = db.session.execute(
        sa.select(StageChange.from_stage, sa.func.avg(StageChange.stay_seconds) / 86400)
        .where(
            StageChange.opportunity_id.in_(sa.select(Opportunity.id).where(*where)),
            StageChange.from_stage.is_not(None),
            StageChange.stay_seconds.is_not(None),
        )
        .group_by(StageChange.from_stage)
    ).all()
    return {OpportunityStage(stage): sql.one_decimal(value) for stage, value in rows}


# -- Win rate ----------------------------------------------------------------------------

WIN_RATE_GROUPS = {
    "rep": _l("Sales rep"),
    "source": _l("Lead source"),
    "product": _l("Product"),
    "size": _l("Deal size"),
}


def win_rate(filters, actor) -> Result:
    first, after = filters.moments()
    where = [
        Opportunity.stage.in_([WON, LOST]),
        Opportunity.closed_at >= first,
        Opportunity.closed_at < after,
        *_deal_filters(filters, actor),
    ]
    group = filters.group or "rep"
    notes: list[str] = []
    if group == "rep":
        from app.models.identity import User

        label = sa.func.coalesce(User.name, "")
        query = sa.select(label, Opportunity.stage, sa.func.count()).outerjoin(
            User, User.id == Opportunity.owner_id
        )
    elif group == "source":
        label = Lead.source
        query = sa.select(label, Opportunity.stage, sa.func.count()).outerjoin(
            Lead, Lead.id == Opportunity.lead_id
        )
    elif group == "product":
        label = Product.name
        query = (
            sa.select(label, Opportunity.stage, sa.func.count(sa.distinct(Opportunity.id)))
            .join(OpportunityProduct, OpportunityProduct.opportunity_id == Opportunity.id)
            .join(Product, Product.id == OpportunityProduct.product_id)
        )
        notes.append(gettext("A deal with several products counts once for each of them."))
    else:
        bands = [(upper, str(text)) for upper, text in SIZE_BANDS]
        label = sa.case(
            *[(Opportunity.amount < upper, text) for upper, text in bands if upper is not None],
            else_=bands[-1][1],
        )
        where.append(Opportunity.currency == filters.currency)
        query = sa.select(label, Opportunity.stage, sa.func.count())
        notes.append(
            gettext(
                "Sizes are amounts in %(currency)s; deals in other currencies are left out.",
                currency=filters.currency,
            )
        )
    counts: dict[str, Counter] = {}
    for name, stage, count in db.session.execute(
        query.where(*where).group_by(label, Opportunity.stage)
    ):
        counts.setdefault(_group_label(group, name), Counter())[stage] = count
    if group == "size":
        order = [str(text) for _upper, text in SIZE_BANDS]
        names = [name for name in order if name in counts]
    else:
        names = sorted(counts, key=lambda name: (-sum(counts[name].values()), name))
    rows = [
        {
            "group": name,
            "won": counts[name][WON],
            "lost": counts[name][LOST],
            "rate": sql.percent(counts[name][WON], counts[name][WON] + counts[name][LOST]),
        }
        for name in names
    ]
    won = sum(row["won"] for row in rows) if group != "product" else None
    lost = sum(row["lost"] for row in rows) if group != "product" else None
    figures = []
    if won is not None:
        figures = [
            Figure(str(_l("Won")), won),
            Figure(str(_l("Lost")), lost),
            Figure(str(_l("Win rate")), sql.percent(won, won + lost), "percent"),
        ]
    return Result(
        columns=[
            Column("group", str(WIN_RATE_GROUPS[group])),
            Column("won", str(_l("Won")), "count"),
            Column("lost", str(_l("Lost")), "count"),
            Column("rate", str(_l("Win rate")), "percent"),
        ],
        rows=rows,
        figures=figures,
        chart=Chart("hbar", "group", ("rate",)),
        notes=notes,
        currency=filters.currency,
    )


def _group_label(group: str, name) -> str:
    if group == "source":
        if name is None:
            return gettext("No lead (entered directly)")
        return str(SOURCE_LABELS[LeadSource(name)])
    if group == "rep" and not name:
        return gettext("Nobody")
    return str(name)


register(
    Report(
        key="sales-funnel",
        family="sales",
        title=_l("Sales funnel"),
        definition=_l(
            "The opportunities created in the period. For each stage: how many of them "
            "reached it or a later stage (from their stage history; a deal that skipped a "
            "stage counts as having passed it) and their amount; the share of those that "
            "went on to the next stage; and the average days deals spent in the stage "
            "before leaving it. Lost deals count up to the last stage they reached."
        ),
        entity="opportunity",
        compute=funnel,
        filters=("period", "team", "owner", "product", "region", "channel"),
        channels=_lead_channels,
    )
)
register(
    Report(
        key="win-rate",
        family="sales",
        title=_l("Win rate"),
        definition=_l(
            "Deals closed in the period: won out of won plus lost, grouped by the deal's "
            "owner, the source of the lead it came from, its products, or its size. Open "
            "deals do not count."
        ),
        entity="opportunity",
        compute=win_rate,
        filters=("period", "team", "owner", "product", "region", "channel"),
        channels=_lead_channels,
        groups=WIN_RATE_GROUPS,
    )
)
