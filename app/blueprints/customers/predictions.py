"""The customer's predictions: the churn risk panel and the recommended products panel of
the 360 page (lazy htmx fragments), the recommended products shown while building a quote,
and the customers-at-risk list."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user

from app import permissions
from app.blueprints.customers import bp
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.customers import Customer
from app.models.orders import Quote
from app.models.predictions import PredictionMode
from app.services import record_checks
from app.services.predictions import (
    churn,
    churn_factors,
    churn_lists,
    model_store,
    suggested_products,
)

LEVELS = {
    "labels": churn_factors.LEVEL_LABELS,
    "kinds": churn_factors.LEVEL_KINDS,
    "factor_labels": churn_factors.FACTOR_LABELS,
}


def _readable_customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        abort(404)
    permissions.require(current_user, "read", "customer", customer)
    return customer


def _uses_rules(version) -> bool:
    return version is None or version.mode is PredictionMode.RULES


@bp.get("/customers/<int:customer_id>/churn-risk")
def churn_risk(customer_id: int):
    """The churn panel: the stored risk (or one computed now before the first scoring
    run), its factors, the retention actions and how the figure was made."""
    customer = _readable_customer(customer_id)
    assessment = churn.stored(customer) or churn.assess(customer.id)
    actions = churn_factors.retention_actions(customer.id, assessment.factors) if assessment else []
    version = model_store.latest(churn.KIND)
    return render_template(
        "customers/_churn_risk.html",
        customer=customer,
        assessment=assessment,
        actions=actions,
        notice=churn_factors.mode_notice(version),
        uses_rules=_uses_rules(version),
        levels=LEVELS,
    )


@bp.get("/customers/<int:customer_id>/recommendations")
def recommendations(customer_id: int):
    """Recommended products; with `quote_id`, for that quote of the customer: products
    already on it are left out, and a draft the user may edit gets one-click lines."""
    quote = None
    if request.args.get("quote_id"):
        quote = db.session.get(Quote, request.args.get("quote_id", type=int) or 0)
        if quote is None or quote.customer_id != customer_id:
            abort(404)
        permissions.require(current_user, "read", "quote", quote)
        exclude = {line.product_id for line in quote.lines if line.product_id}
    else:
        _readable_customer(customer_id)
        exclude = set()
    may_add = (
        quote is not None
        and quote.is_editable
        and permissions.can(current_user, "edit", "quote", quote)
    )
    return render_template(
        "customers/_recommendations.html",
        customer_id=customer_id,
        suggested=suggested_products.for_customer(customer_id, exclude),
        quote=quote,
        may_add=may_add,
    )


@bp.get("/customers/at-risk")
def at_risk():
    """The customers the user may read, riskiest first, in keyset pages."""
    permissions.require(current_user, "read", "customer")
    filters = churn_lists.AtRiskFilters.from_args(request.args)
    rows, next_cursor = churn_lists.at_risk_page(
        current_user, filters, request.args.get("cursor"), limit=50
    )
    args = filters.as_args()
    version = model_store.latest(churn.KIND)
    return render_page_or_fragment(
        "customers/at_risk.html",
        "customers/_at_risk_rows.html",
        rows=rows,
        filters=filters,
        owners=record_checks.owner_names(rows),
        assignable=record_checks.assignable_users(current_user, "customer"),
        counts=churn_lists.level_counts(current_user),
        sort_url=lambda column: url_for("customers.at_risk", **filters.sorted_by(column)),
        pager={
            "first_url": url_for("customers.at_risk", **args)
            if request.args.get("cursor")
            else None,
            "next_url": url_for("customers.at_risk", **args, cursor=next_cursor)
            if next_cursor
            else None,
        },
        notice=churn_factors.mode_notice(version),
        uses_rules=_uses_rules(version),
        levels=LEVELS,
    )
