"""What a campaign did and earned: its email figures (from the per-recipient send state),
the leads and deals attributed to it (Lead.campaign_id, Opportunity.campaign_id), and what
that means for its cost (ROI, cost per lead).

Three grouped queries whatever the number of campaigns (recipients, leads, deals), so a
list page computes the figures of all its rows at once (`metrics_for`).

Choices, also explained to users by `definitions()`:
- sent counts recipient rows whose status is SENT (accepted by the mail server). Rows a
  dead worker left UNKNOWN may or may not have been delivered; they are counted apart
  (`unknown`), never as sent. bounced counts sent rows with a bounce; delivered = sent -
  bounced. Opens, clicks and unsubscribes are unique people (the first one is recorded).
- Money is never summed across currencies: won revenue and pipeline are the deals in the
  campaign's currency; deals in other currencies are listed in `other_currencies`.
- ROI = (won revenue - actual cost) / actual cost; None (not computable) when nothing was
  spent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.marketing import Campaign, CampaignRecipient, RecipientStatus
from app.models.sales import Lead, LeadStatus, Opportunity, OpportunityStage

CENT = Decimal("0.01")
RATIO = Decimal("0.0001")
ZERO = Decimal("0.00")
_OPEN_STAGES = [s for s in OpportunityStage if not s.is_closed]


def _ratio(part, whole) -> Decimal | None:
    """part / whole to four decimals; None when `whole` is zero (nothing to divide by)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO)


@dataclasses.dataclass(frozen=True)
class CurrencyTotals:
    """Attributed deals in one currency other than the campaign's."""

    currency: str
    opportunities: int = 0
    won_opportunities: int = 0
    won_revenue: Decimal = ZERO
    pipeline: Decimal = ZERO


@dataclasses.dataclass
class CampaignMetrics:
    """A campaign's figures; rates are fractions (0.25 is 25 %), None when undefined."""

    currency: str
    cost: Decimal = ZERO
    budget: Decimal = ZERO
    impressions: int = 0
    recipients: int = 0
    sent: int = 0
    bounced: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    failed: int = 0
    skipped: int = 0
    unknown: int = 0
    leads: int = 0
    converted_leads: int = 0
    opportunities: int = 0
    won_opportunities: int = 0
    won_revenue: Decimal = ZERO
    pipeline: Decimal = ZERO
    other_currencies: list[CurrencyTotals] = dataclasses.field(default_factory=list)

    @property
    def delivered(self) -> int:
        return max(self.sent - self.bounced, 0)

    @property
    def open_rate(self) -> Decimal | None:
        return _ratio(self.opened, self.delivered)

    @property
    def click_rate(self) -> Decimal | None:
        return _ratio(self.clicked, self.delivered)

    @property
    def click_to_open(self) -> Decimal | None:
        return _ratio(self.clicked, self.opened)

    @property
    def bounce_rate(self) -> Decimal | None:
        return _ratio(self.bounced, self.sent)

    @property
    def lead_conversion_rate(self) -> Decimal | None:
        return _ratio(self.converted_leads, self.leads)

    @property
    def roi(self) -> Decimal | None:
        """(won revenue - cost) / cost; None when the campaign cost nothing."""
        if not self.cost:
            return None
        return ((self.won_revenue - self.cost) / self.cost).quantize(RATIO)

    @property
    def cost_per_lead(self) -> Decimal | None:
        if not self.leads:
            return None
        return (self.cost / self.leads).quantize(CENT)


def _count_where(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _money_where(condition, column):
    total = sa.func.coalesce(sa.func.sum(sa.case((condition, column), else_=0)), 0)
    return sa.type_coerce(total, sa.Numeric(18, 2))


def _add_recipients(figures: dict[int, CampaignMetrics], ids: list[int]) -> None:
    r = CampaignRecipient
    status = r.status
    query = (
        sa.select(
            r.campaign_id,
            sa.func.count(),
            _count_where(status == RecipientStatus.SENT),
            _count_where(sa.and_(status == RecipientStatus.SENT, r.bounced_at.is_not(None))),
            sa.func.count(r.opened_at),
            sa.func.count(r.clicked_at),
            sa.func.count(r.unsubscribed_at),
            _count_where(status == RecipientStatus.FAILED),
            _count_where(status == RecipientStatus.SKIPPED),
            _count_where(status == RecipientStatus.UNKNOWN),
        )
        .where(r.campaign_id.in_(ids))
        .group_by(r.campaign_id)
    )
    names = (
        "recipients", "sent", "bounced", "opened", "clicked", "unsubscribed", "failed",
        "skipped", "unknown",
    )  # fmt: skip
    for campaign_id, *counts in db.session.execute(query):
        for name, value in zip(names, counts, strict=True):
            setattr(figures[campaign_id], name, int(value or 0))


def _add_leads(figures: dict[int, CampaignMetrics], ids: list[int]) -> None:
    query = (
        sa.select(
            Lead.campaign_id,
            sa.func.count(),
            _count_where(Lead.status == LeadStatus.CONVERTED),
        )
        .where(Lead.campaign_id.in_(ids))
        .group_by(Lead.campaign_id)
    )
    for campaign_id, leads, converted in db.session.execute(query):
        figures[campaign_id].leads = int(leads)
        figures[campaign_id].converted_leads = int(converted or 0)


def _add_deals(figures: dict[int, CampaignMetrics], ids: list[int]) -> None:
    won = Opportunity.stage == OpportunityStage.CLOSED_WON
    is_open = Opportunity.stage.in_(_OPEN_STAGES)
    query = (
        sa.select(
            Opportunity.campaign_id,
            Opportunity.currency,
            sa.func.count(),
            _count_where(won),
            _money_where(won, Opportunity.amount),
            _money_where(is_open, Opportunity.amount),
        )
        .where(Opportunity.campaign_id.in_(ids))
        .group_by(Opportunity.campaign_id, Opportunity.currency)
        .order_by(Opportunity.campaign_id, Opportunity.currency)
    )
    for campaign_id, currency, count, won_count, won_total, pipeline in db.session.execute(query):
        target = figures[campaign_id]
        target.opportunities += int(count)
        target.won_opportunities += int(won_count or 0)
        won_total = Decimal(won_total or 0).quantize(CENT)
        pipeline = Decimal(pipeline or 0).quantize(CENT)
        if currency == target.currency:
            target.won_revenue += won_total
            target.pipeline += pipeline
        else:
            target.other_currencies.append(
                CurrencyTotals(currency, int(count), int(won_count or 0), won_total, pipeline)
            )


def metrics_for(campaigns: Iterable[Campaign], email: bool = True) -> dict[int, CampaignMetrics]:
    """The figures of each campaign, by id, in three queries for all of them (two with
    email=False, for readers that show no email figures, like the campaign ROI report)."""
    figures = {
        c.id: CampaignMetrics(
            currency=c.currency,
            cost=Decimal(c.actual_cost or 0).quantize(CENT),
            budget=Decimal(c.budget or 0).quantize(CENT),
            impressions=c.impressions or 0,
        )
        for c in campaigns
    }
    if figures:
        ids = list(figures)
        if email:
            _add_recipients(figures, ids)
        _add_leads(figures, ids)
        _add_deals(figures, ids)
    return figures


def metrics(campaign: Campaign) -> CampaignMetrics:
    """What `campaign` did and earned (see the module's notes for each figure)."""
    return metrics_for([campaign])[campaign.id]


def attributed_leads(actor, campaign: Campaign, limit: int = 10) -> list[Lead]:
    """The latest leads of the campaign that `actor` may read."""
    query = (
        sa.select(Lead)
        .where(Lead.campaign_id == campaign.id, permissions.visible(actor, "lead", Lead.owner_id))
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def attributed_deals(actor, campaign: Campaign, limit: int = 10) -> list[Opportunity]:
    """The latest deals attributed to the campaign that `actor` may read."""
    query = (
        sa.select(Opportunity)
        .where(
            Opportunity.campaign_id == campaign.id,
            permissions.visible(actor, "opportunity", Opportunity.owner_id),
        )
        .order_by(Opportunity.created_at.desc(), Opportunity.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def definitions() -> list[tuple[str, str]]:
    """(figure, how it is counted) for the campaign page's explanation."""
    return [
        (_l("Sent"), _l("Messages the mail server accepted. Sends whose outcome is unknown "
                        "(a worker stopped mid-message) are counted apart, never resent.")),
        (_l("Delivered"), _l("Sent minus bounced.")),
        (_l("Bounced"), _l("Sent messages that came back undeliverable.")),
        (_l("Opened"), _l("People who opened the message at least once (unique), as far as "
                          "their mail program loads images. Open rate: opened / delivered.")),
        (_l("Clicked"), _l("People who clicked a link at least once (unique). Click rate: "
                           "clicked / delivered; click-to-open: clicked / opened.")),
        (_l("Unsubscribed"), _l("People who unsubscribed through this campaign's message.")),
        (_l("Impressions"), _l("Entered by hand for channels Rapport cannot count itself "
                               "(ads, social posts, events).")),
        (_l("Leads"), _l("Leads attributed to the campaign (a tracked link, a web form with "
                         "its campaign, or set by hand); converted: those converted since.")),
        (_l("Opportunities"), _l("Deals attributed to the campaign, usually through the lead "
                                 "they were converted from.")),
        (_l("Won revenue"), _l("The amount of the attributed deals won, in the campaign's "
                               "currency. Deals in other currencies are listed apart, never "
                               "added up.")),
        (_l("Pipeline"), _l("The amount of the attributed deals still open, in the campaign's "
                            "currency.")),
        (_l("ROI"), _l("(Won revenue - actual cost) / actual cost. Shown as — when the "
                       "actual cost is zero: there is nothing to divide by.")),
        (_l("Cost per lead"), _l("Actual cost / leads.")),
    ]  # fmt: skip
