"""The customer's quotes and orders on the portal. A quote opens on the signed-link quote
page (views.py), which already shows it, offers the PDF and takes the accept or decline:
the portal links to it rather than copying it. Lookups go through `portal_access`."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for

from app.blueprints.portal import bp
from app.blueprints.portal.session import current_portal_user, portal_login_required
from app.extensions import db
from app.models.orders import Order, Quote
from app.services import orders, portal_access, quotes

LIST_LIMIT = 100


@bp.get("/my-quotes")
@portal_login_required
def quotes_index():
    rows = db.session.scalars(
        portal_access.quotes_query(current_portal_user())
        .order_by(Quote.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    return render_template(
        "portal/quotes.html",
        quotes=rows,
        tokens={quote.id: quotes.portal_token(quote) for quote in rows},
        status_labels=quotes.STATUS_LABELS,
    )


@bp.get("/my-quotes/<int:quote_id>")
@portal_login_required
def quote_open(quote_id: int):
    quote = portal_access.quote(current_portal_user(), quote_id)
    if quote is None:
        abort(404)
    return redirect(url_for("portal.quote", token=quotes.portal_token(quote)))


@bp.get("/my-quotes/<int:quote_id>/pdf")
@portal_login_required
def quote_open_pdf(quote_id: int):
    quote = portal_access.quote(current_portal_user(), quote_id)
    if quote is None:
        abort(404)
    return redirect(url_for("portal.quote_pdf", token=quotes.portal_token(quote)))


@bp.get("/orders")
@portal_login_required
def orders_index():
    rows = db.session.scalars(
        portal_access.orders_query(current_portal_user())
        .order_by(Order.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    return render_template("portal/orders.html", orders=rows, status_labels=orders.STATUS_LABELS)


@bp.get("/orders/<int:order_id>")
@portal_login_required
def order_show(order_id: int):
    order = portal_access.order(current_portal_user(), order_id)
    if order is None:
        abort(404)
    return render_template("portal/order.html", order=order, status_labels=orders.STATUS_LABELS)
