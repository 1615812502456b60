"""The quote pages: the list (search, filters, keyset pages), a new quote (for a customer or
a deal), a version's page with its lines and totals, the header form of a draft and the
deletion of an unsent first draft. Line editing, revising and recording the customer's
decision are in quote_lines.py."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from app import permissions
from app.blueprints.record_forms import save_valid_form
from app.blueprints.sales import bp
from app.blueprints.sales.quote_forms import DecisionForm, LineForm, QuoteForm
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.customers import Contact, Customer
from app.models.identity import User
from app.models.orders import Order, Quote, QuoteStatus
from app.models.sales import Opportunity, PriceBook
from app.services import quote_lists, quotes, record_checks
from app.services.validation import RecordInvalid


def quote_or_404(quote_id, action: str = "read") -> Quote:
    """The quote version, if the user may see it (404 otherwise) and do `action` (403)."""
    quote = db.session.get(Quote, int(quote_id)) if str(quote_id).isdigit() else None
    if quote is None or not permissions.can(current_user, "read", "quote", quote):
        abort(404)
    permissions.require(current_user, action, "quote", quote)
    return quote


def show_url(quote, anchor: str = "") -> str:
    return url_for("sales.quote_show", quote_id=quote.id) + anchor


def status_labels() -> dict:
    return {status: str(label) for status, label in quotes.STATUS_LABELS.items()}


@bp.get("/quotes")
def quotes_index():
    permissions.require(current_user, "read", "quote")
    filters = quote_lists.QuoteFilters.from_args(request.args)
    rows, next_cursor = quote_lists.quote_page(
        current_user, filters, request.args.get("cursor"), limit=50
    )
    args = filters.as_args()
    context = {
        "filters": filters,
        "rows": rows,
        "owners": record_checks.owner_names(rows),
        "customers": quote_lists.customer_names(rows),
        "assignable": record_checks.assignable_users(current_user, "quote"),
        "status_labels": status_labels(),
        "for_customer": _readable_customer(filters.customer_id),
        "pager": {
            "first_url": url_for("sales.quotes_index", **args)
            if request.args.get("cursor")
            else None,
            "next_url": url_for("sales.quotes_index", **args, cursor=next_cursor)
            if next_cursor
            else None,
        },
    }
    return render_page_or_fragment("sales/quotes_index.html", "sales/_quote_rows.html", **context)


def _readable_customer(customer_id) -> Customer | None:
    customer = db.session.get(Customer, customer_id) if customer_id else None
    if customer is None or not permissions.can(current_user, "read", "customer", customer):
        return None
    return customer


def _form(quote) -> QuoteForm:
    form = QuoteForm(obj=quote if request.method == "GET" else None)
    owner = db.session.get(User, quote.owner_id) if quote and quote.owner_id else None
    form.set_owner_choices(current_user, "quote", owner)
    if request.method == "GET" and quote is None:
        deal = db.session.get(Opportunity, request.args.get("opportunity_id", 0, type=int))
        if deal is not None and permissions.can(current_user, "read", "opportunity", deal):
            form.opportunity_id.data = deal.id
            form.customer_id.data = deal.customer_id
            form.currency.data = deal.currency
        else:
            form.customer_id.data = request.args.get("customer_id", type=int)
        form.terms.data = current_app.config.get("RAPPORT_QUOTE_TERMS", "")
    if request.method == "GET" and quote is not None:
        form.valid_until.data = quote.valid_until.isoformat() if quote.valid_until else ""
        form.discount_percent.data = format(quote.discount_percent.normalize(), "f")
    form.set_choices(current_user, quote)
    return form


def _form_page(form: QuoteForm, quote):
    return render_template(
        "sales/quotes_form.html", form=form, quote=quote, validity_days=quotes.validity_days()
    )


@bp.route("/quotes/new", methods=["GET", "POST"])
def quote_new():
    permissions.require(current_user, "create", "quote")
    form = _form(None)
    quote = save_valid_form(form, lambda: quotes.create_quote(current_user, **form.values()))
    if quote is not None:
        flash(_("The quote %(quote)s is created.", quote=quote.reference), "success")
        return redirect(show_url(quote))
    return _form_page(form, None)


@bp.get("/quotes/customer-fields")
def quote_customer_fields():
    """The contact and deal pickers for the customer chosen on the quote form."""
    permissions.require(current_user, "create", "quote")
    form = QuoteForm()
    form.set_customer_choices(current_user, request.args.get("customer_id", type=int))
    return render_template("sales/_quote_customer_fields.html", form=form)


@bp.route("/quotes/<int:quote_id>/edit", methods=["GET", "POST"])
def quote_edit(quote_id: int):
    quote = quote_or_404(quote_id, "edit")
    if not quote.is_editable:
        flash(locked_reason(quote), "error")
        return redirect(show_url(quote))
    form = _form(quote)
    saved = save_valid_form(
        form, lambda: quotes.update_quote(quote, current_user, **_changed_links(form, quote))
    )
    if saved is not None:
        flash(_("The changes to %(quote)s are saved.", quote=quote.reference), "success")
        return redirect(show_url(quote))
    return _form_page(form, quote)


def _changed_links(form: QuoteForm, quote) -> dict:
    """The header's values, without the links left as they were: an unchanged customer,
    contact, deal or price book is not checked again (the rep may since have lost the
    right to link it, or the book may be retired), so the rest of the header still saves."""
    values = form.values()
    links = ("contact_id", "opportunity_id", "price_book_id")
    if values["customer_id"] == quote.customer_id:
        links = ("customer_id", *links)
    elif values["customer_id"] is not None:
        links = ("price_book_id",)
    for name in links:
        if values[name] == getattr(quote, name):
            values.pop(name)
    return values


@bp.route("/quotes/<int:quote_id>/delete", methods=["GET", "POST"])
def quote_delete(quote_id: int):
    quote = quote_or_404(quote_id, "delete")
    if request.method == "POST":
        reference = quote.reference
        try:
            quotes.delete_quote(quote, current_user)
        except RecordInvalid as refused:
            db.session.rollback()
            flash(getattr(refused, "message", None) or " ".join(refused.errors.values()), "error")
            return redirect(show_url(quote))
        db.session.commit()
        flash(_("The quote %(quote)s is deleted.", quote=reference), "success")
        return redirect(url_for("sales.quotes_index"))
    return render_template("sales/quotes_delete.html", quote=quote)


def locked_reason(quote) -> str:
    """Why a version can no longer change, in the service's words."""
    if quote.status is QuoteStatus.SUPERSEDED:
        return _("%(quote)s was replaced by a newer version and is kept as it was.",
                 quote=quote.reference)  # fmt: skip
    try:
        quotes.require_draft(quote)
    except quotes.QuoteLocked as locked:
        return locked.message
    return ""


def order_url(order_id: int) -> str:
    try:
        return url_for("sales.order_show", order_id=order_id)
    except BuildError:
        return f"{url_for('sales.orders_index')}/{order_id}"


def lines_context(
    quote, line_form=None, edit_form=None, editing=None, message="", message_kind="error"
) -> dict:
    """What the lines and totals fragment needs: the add form (kept with its errors after
    a refused add), the line being edited and its form, a message about the last change."""
    may_edit = quote.is_editable and permissions.can(current_user, "edit", "quote", quote)
    if line_form is None and may_edit:
        line_form = LineForm(formdata=None)
    if line_form is not None:
        line_form.set_product_choices()
    return {
        "quote": quote,
        "line_form": line_form if may_edit else None,
        "edit_form": edit_form if may_edit else None,
        "editing": editing if may_edit else None,
        "may_edit_lines": may_edit,
        "locked": "" if quote.is_editable else locked_reason(quote),
        "message": message,
        "message_kind": message_kind,
    }


@bp.get("/quotes/<int:quote_id>")
def quote_show(quote_id: int):
    quote = quote_or_404(quote_id)
    may_edit = permissions.can(current_user, "edit", "quote", quote)
    versions = quotes.versions(quote)
    latest = versions[-1]
    order = None
    if quote.status is QuoteStatus.ACCEPTED:
        order = db.session.scalar(db.select(Order).where(Order.quote_id == quote.id))
    return render_template(
        "sales/quotes_show.html",
        customer=db.session.get(Customer, quote.customer_id),
        contact=db.session.get(Contact, quote.contact_id) if quote.contact_id else None,
        deal=db.session.get(Opportunity, quote.opportunity_id) if quote.opportunity_id else None,
        price_book=db.session.get(PriceBook, quote.price_book_id) if quote.price_book_id else None,
        owners=record_checks.owner_names([quote]),
        versions=versions,
        latest=latest,
        order=order,
        order_url=order_url(order.id) if order else None,
        expired=quotes.is_expired(quote),
        may_edit=may_edit,
        may_revise=may_edit
        and quote.id == latest.id
        and quote.status in (QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.DECLINED),
        may_delete=quote.status is QuoteStatus.DRAFT
        and quote.version == 1
        and permissions.can(current_user, "delete", "quote", quote),
        decision_form=DecisionForm(formdata=None),
        status_labels=status_labels(),
        **lines_context(quote),
    )


from app.blueprints.sales import quote_lines  # noqa: E402,F401
