"""Order pages: the filtered, keyset-paged list, entering an order (for a customer, or from
a won deal with its products), the detail page with its lines (editable while pending, over
htmx), status changes along orders.NEXT_STATUSES, and deleting a pending order."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.record_forms import save_valid_form
from app.blueprints.sales import bp
from app.blueprints.sales.order_forms import OrderForm, OrderLineForm, OrderStatusForm
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.customers import Contact, Customer
from app.models.identity import User
from app.models.orders import Order, OrderStatus, Quote
from app.models.sales import Opportunity, Product
from app.services import (
    customer_documents,
    opportunity_parts,
    order_lists,
    orders,
    record_checks,
)
from app.services.validation import RecordInvalid


def _order_or_404(order_id: int, action: str = "read") -> Order:
    order = db.session.get(Order, order_id)
    if order is None or not permissions.can(current_user, "read", "order", order):
        abort(404)
    permissions.require(current_user, action, "order", order)
    return order


def _show_url(order: Order) -> str:
    return url_for("sales.order_show", order_id=order.id)


def status_labels() -> dict:
    return {status: str(label) for status, label in orders.STATUS_LABELS.items()}


STATUS_KINDS = {
    OrderStatus.PENDING: "warning",
    OrderStatus.CONFIRMED: "info",
    OrderStatus.FULFILLED: "success",
    OrderStatus.CANCELLED: "neutral",
}


def _names(model, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    column = model.name
    query = sa.select(model.id, column).where(model.id.in_(ids))
    return dict(db.session.execute(query).tuples().all())


@bp.get("/orders")
def orders_index():
    permissions.require(current_user, "read", "order")
    filters = order_lists.OrderFilters.from_args(request.args)
    rows, next_cursor = order_lists.order_page(
        current_user, filters, request.args.get("cursor"), limit=50
    )
    args = filters.as_args()

    def sort_url(column):
        flip = filters.sort == column and filters.direction == "desc"
        return url_for(
            "sales.orders_index", **args | {"sort": column}, direction="asc" if flip else "desc"
        )

    context = {
        "filters": filters,
        "rows": rows,
        "owners": record_checks.owner_names(rows),
        "customers": _names(Customer, (row.customer_id for row in rows)),
        "assignable": record_checks.assignable_users(current_user, "order"),
        "status_labels": status_labels(),
        "status_kinds": STATUS_KINDS,
        "sort_url": sort_url,
        "pager": {
            "first_url": url_for("sales.orders_index", **args)
            if request.args.get("cursor")
            else None,
            "next_url": url_for("sales.orders_index", **args, cursor=next_cursor)
            if next_cursor
            else None,
        },
    }
    return render_page_or_fragment("sales/orders_index.html", "sales/_order_rows.html", **context)


def _form(order: Order | None, deal: Opportunity | None = None) -> OrderForm:
    form = OrderForm(obj=order if request.method == "GET" else None)
    owner = db.session.get(User, order.owner_id) if order and order.owner_id else None
    form.set_owner_choices(current_user, "order", owner)
    if request.method == "GET" and order is None:
        form.customer_id.data = (
            deal.customer_id if deal else request.args.get("customer_id", type=int)
        )
        form.opportunity_id.data = deal.id if deal else None
        form.currency.data = deal.currency if deal else current_app.config["DEFAULT_CURRENCY"]
    if request.method == "GET" and order is not None:
        form.order_date.data = order.order_date.isoformat()
        form.discount_percent.data = str(order.discount_percent)
    return form


def _deal_from_args() -> Opportunity | None:
    deal_id = request.values.get("opportunity_id", type=int)
    deal = db.session.get(Opportunity, deal_id) if deal_id else None
    if deal is not None and permissions.can(current_user, "read", "opportunity", deal):
        return deal
    return None


@bp.route("/orders/new", methods=["GET", "POST"])
def order_new():
    permissions.require(current_user, "create", "order")
    deal = _deal_from_args()
    form = _form(None, deal)

    def create():
        if deal is not None and form.opportunity_id.data == deal.id:
            return orders.create_from_opportunity(deal, current_user, **form.values())
        return orders.create_order(current_user, **form.values())

    order = save_valid_form(form, create)
    if order is not None:
        flash(_("The order %(number)s is created.", number=order.number), "success")
        return redirect(_show_url(order))
    deal_lines = opportunity_parts.product_lines(deal) if deal else []
    return render_template("sales/orders_form.html", form=form, order=None, deal=deal,
                           deal_lines=deal_lines)  # fmt: skip


@bp.get("/orders/<int:order_id>")
def order_show(order_id: int):
    order = _order_or_404(order_id)
    return render_template("sales/orders_show.html", **show_context(order))


def show_context(order: Order, line_form: OrderLineForm | None = None) -> dict:
    """What the detail page and its lines fragment need."""
    may_edit = permissions.can(current_user, "edit", "order", order)
    editable = may_edit and order.status is OrderStatus.PENDING
    if line_form is None and editable:
        line_form = OrderLineForm(formdata=None)
    if line_form is not None:
        line_form.product_id.choices = [(None, "–"), *product_choices()]
    return {
        "order": order,
        "customer": db.session.get(Customer, order.customer_id),
        "contact": db.session.get(Contact, order.contact_id) if order.contact_id else None,
        "deal": db.session.get(Opportunity, order.opportunity_id) if order.opportunity_id else None,
        "quote": db.session.get(Quote, order.quote_id) if order.quote_id else None,
        "owners": record_checks.owner_names([order]),
        "status_labels": status_labels(),
        "status_kinds": STATUS_KINDS,
        "next_statuses": orders.NEXT_STATUSES[order.status] if may_edit else (),
        "status_form": OrderStatusForm(),
        "line_form": line_form,
        "may_edit": may_edit,
        "lines_editable": editable,
        "may_delete": order.status is OrderStatus.PENDING
        and order.quote_id is None
        and permissions.can(current_user, "delete", "order", order),
    }


def product_choices() -> list[tuple[int, str]]:
    query = (
        sa.select(Product.id, Product.name)
        .where(Product.is_active.is_(True))
        .order_by(Product.name)
        .limit(500)
    )
    return db.session.execute(query).tuples().all()


@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
def order_edit(order_id: int):
    order = _order_or_404(order_id, "edit")
    form = _form(order)
    names = [name for name in OrderForm.NAMES if name != "customer_id"]
    saved = save_valid_form(
        form, lambda: orders.update_order(order, current_user, **form.values(names))
    )
    if saved is not None:
        flash(_("The changes to %(number)s are saved.", number=order.number), "success")
        return redirect(_show_url(order))
    return render_template("sales/orders_form.html", form=form, order=order, deal=None,
                           deal_lines=[])  # fmt: skip


@bp.post("/orders/<int:order_id>/status")
def order_status(order_id: int):
    order = _order_or_404(order_id, "edit")
    form = OrderStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        orders.set_status(order, current_user, form.status.data)
    except RecordInvalid as invalid:
        db.session.rollback()
        flash(" ".join(invalid.errors.values()), "error")
        return redirect(_show_url(order))
    db.session.commit()
    flash(
        _("%(number)s is now %(status)s.", number=order.number,
          status=str(orders.STATUS_LABELS[order.status]).lower()),
        "success",
    )  # fmt: skip
    return redirect(_show_url(order))


@bp.route("/orders/<int:order_id>/delete", methods=["GET", "POST"])
def order_delete(order_id: int):
    order = _order_or_404(order_id, "delete")
    if request.method == "POST":
        number = order.number
        try:
            orders.delete_order(order, current_user)
        except orders.OrderLocked as locked:
            db.session.rollback()
            flash(locked.message, "error")
            return redirect(_show_url(order))
        db.session.commit()
        flash(_("The order %(number)s is deleted.", number=number), "success")
        return redirect(url_for("sales.orders_index"))
    return render_template("sales/orders_delete.html", order=order)


from app.blueprints.sales import order_lines  # noqa: E402,F401


@bp.get("/orders/customer/<int:customer_id>")
def order_customer_panel(customer_id: int):
    """The customer page's "Quotes and orders" panel, loaded after the page."""
    customer = db.session.get(Customer, customer_id)
    if customer is None or not permissions.can(current_user, "read", "customer", customer):
        abort(404)
    context = customer_documents.summary(current_user, customer.id)
    return render_template("sales/_order_customer_panel.html", customer_id=customer.id, **context)
