"""Customer reports: acquisition cost, lifetime value, churn rate, satisfaction trend.

A new customer is one whose first order (cancelled orders never count) is dated in the
period. Money is counted in the report's currency only: costs and orders in other
currencies are counted in a note, never converted. Lifetime value and churn live in
app.services.reports.customer_value; the costs spread over months in
app.services.reports.costs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_date, gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.orders import Order, OrderStatus
from app.services import targets
from app.services.reports import costs, sql
from app.services.reports.churn import churn_rate
from app.services.reports.customer_value import lifetime_value
from app.services.reports.filters import add_months
from app.services.reports.registry import Report, register
from app.services.reports.results import Chart, Column, Figure, Result
from app.services.reports.satisfaction import satisfaction_trend

# -- Customer acquisition cost -------------------------------------------------------------


def new_customers(filters) -> dict[date, int]:
    """How many customers placed their first order in each month of the period (every
    customer: acquisition cost sets the company's costs against them)."""
    firsts = (
        sa.select(Order.customer_id, sa.func.min(Order.order_date).label("first"))
        .where(Order.status != OrderStatus.CANCELLED)
        .group_by(Order.customer_id)
        .subquery()
    )
    months = filters.months()
    month = sa.case(
        *[(firsts.c.first < add_months(m, 1), index) for index, m in enumerate(months)],
        else_=None,
    )
    rows = db.session.execute(
        sa.select(month, sa.func.count())
        .where(firsts.c.first >= filters.start, firsts.c.first < filters.end)
        .group_by(month)
    )
    return {months[index]: count for index, count in rows if index is not None}


def _per_customer(cost: Decimal, customers: int) -> Decimal | None:
    return sql.money(cost / customers) if customers else None


def _cost_notes(campaigns: costs.CampaignCosts, sales: costs.SalesCosts) -> list[str]:
    notes = costs.campaigns_left_out(campaigns.other_currencies)
    notes += [
        ngettext(
            "%(num)d monthly sales cost in %(currency)s is left out (other currencies are "
            "never converted).",
            "%(num)d monthly sales costs in %(currency)s are left out (other currencies are "
            "never converted).",
            count,
            currency=code,
        )
        for code, count in sorted(sales.other_currencies.items())
    ]
    if campaigns.undated:
        notes.append(
            ngettext(
                "%(num)d campaign with a cost has no start date and is left out.",
                "%(num)d campaigns with a cost have no start date and are left out.",
                campaigns.undated,
            )
        )
    if sales.missing:
        notes.append(
            gettext(
                "No sales cost entered for %(months)s: only campaign costs count there. "
                "Managers enter them on the Sales costs page.",
                months=", ".join(format_date(month, "MMM y") for month in sales.missing),
            )
        )
    return notes


def acquisition_cost(filters, actor) -> Result:
    currency = filters.currency
    campaigns = costs.campaign_costs(filters, currency, targets.today())
    sales = costs.sales_costs(filters, currency)
    customers = new_customers(filters)
    rows = []
    for window in costs.windows(filters):
        campaign = sql.money(campaigns.by_month[window.month])
        selling = sql.money(sales.by_month[window.month])
        count = customers.get(window.month, 0)
        rows.append(
            {
                "month": window.month,
                "campaign_cost": campaign,
                "sales_cost": selling,
                "cost": campaign + selling,
                "customers": count,
                "cac": _per_customer(campaign + selling, count),
            }
        )
    total = sum((row["cost"] for row in rows), Decimal("0.00"))
    count = sum(row["customers"] for row in rows)
    totals = {
        "campaign_cost": sum((row["campaign_cost"] for row in rows), Decimal("0.00")),
        "sales_cost": sum((row["sales_cost"] for row in rows), Decimal("0.00")),
        "cost": total,
        "customers": count,
        "cac": _per_customer(total, count),
    }
    return Result(
        columns=[
            Column("month", str(_l("Month")), "month"),
            Column("campaign_cost", str(_l("Campaign costs")), "money"),
            Column("sales_cost", str(_l("Sales costs")), "money"),
            Column("cost", str(_l("Total cost")), "money"),
            Column("customers", str(_l("New customers")), "count"),
            Column("cac", str(_l("Cost per new customer")), "money"),
        ],
        rows=rows,
        figures=[
            Figure(str(_l("Acquisition cost")), totals["cac"], "money"),
            Figure(str(_l("Total cost")), total, "money"),
            Figure(str(_l("New customers")), count),
        ],
        chart=Chart("line", "month", ("cac",)),
        notes=_cost_notes(campaigns, sales),
        currency=currency,
        totals=totals,
    )


# -- The catalogue -------------------------------------------------------------------------

CUSTOMER_FILTERS = ("period", "team", "owner", "region", "segment")

register(
    Report(
        key="cac",
        family="customers",
        title=_l("Customer acquisition cost"),
        definition=_l(
            "What it cost to win each new customer, per month and for the period: campaign "
            "costs plus sales costs, divided by the new customers. A new customer is one "
            "whose first order (cancelled orders never count) is dated in the month. A "
            "campaign's actual cost is spread evenly over the days it ran, start and end "
            "dates included (to today while it has no end date); each month counts the "
            "share of its days. A month's sales cost, entered by managers, counts in full "
            "for a whole month and by its share of days for part of one. The costs are the "
            "company's, so every new customer counts; only readers of sales costs see it."
        ),
        entity="sales_cost",
        compute=acquisition_cost,
        filters=("period",),
    )
)
register(
    Report(
        key="ltv",
        family="customers",
        title=_l("Customer lifetime value"),
        definition=_l(
            "By formula: revenue per customer per year × gross margin ÷ annual churn rate, "
            "over the twelve months to the end of the period (or to today). Revenue per "
            "customer is the revenue of the year's orders divided by the customers who "
            "ordered in it; the annual churn rate is the share of the customers who ordered "
            "in the year before that and did not order again. Observed: the customers whose "
            "first order is in the period, by its quarter, with the average revenue they "
            "brought in within 3, 6, 12 and 24 months of that first order. Revenue is "
            "orders net of discounts and before tax, cancelled orders excepted, in the "
            "report's currency; the customers are those you may read."
        ),
        entity="customer",
        compute=lifetime_value,
        filters=CUSTOMER_FILTERS,
        segment_entity="CONTACT",
    )
)
register(
    Report(
        key="churn-rate",
        family="customers",
        title=_l("Churn rate"),
        definition=_l(
            "A customer is active while it has ordered in the last 12 months (cancelled "
            "orders never count). It is lost in the month its last order turns 12 months "
            "old without a new one; a lost customer that orders again has returned. Each "
            "month: the customers active at its start, the new (first order ever) and "
            "returned ones, the lost ones, and the churn rate: lost ÷ active at the start. "
            "Counts the customers you may read."
        ),
        entity="customer",
        compute=churn_rate,
        filters=CUSTOMER_FILTERS,
        segment_entity="CONTACT",
    )
)
register(
    Report(
        key="satisfaction-trend",
        family="customers",
        title=_l("Satisfaction trend"),
        definition=_l(
            "The satisfaction surveys sent each month (by when they were sent, as in the "
            "service reports). CSAT, after a ticket is resolved: the average score from 1 "
            "to 5 and the share of satisfied answers (4 or 5). NPS: the percentage of "
            "promoters (9-10) minus the percentage of detractors (0-6), from -100 to 100. "
            "Surveys not answered do not count."
        ),
        entity="survey",
        compute=satisfaction_trend,
        filters=("period",),
    )
)
