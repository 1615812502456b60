"""Customer pages: the list (active search, filters, sort, keyset pages, bulk actions), the
create/edit form, deletion, the credit rating, and the customer's 360-degree page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.customers import bp
from app.blueprints.customers.forms import (
    RATING_KINDS,
    RATING_LABELS,
    SIZE_LABELS,
    STATUS_KINDS,
    STATUS_LABELS,
    CreditRatingForm,
    CustomerForm,
)
from app.blueprints.customers.lists import bulk_action, list_context
from app.blueprints.record_forms import save_valid_form
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.customers import Customer
from app.models.identity import User
from app.services import contacts, custom_fields, customers, opportunities, record_checks, tags
from app.services.custom_field_forms import form_with_custom_fields
from app.services.validation import RecordInvalid

LABELS = {
    "status_labels": STATUS_LABELS,
    "size_labels": SIZE_LABELS,
    "rating_labels": RATING_LABELS,
    "status_kinds": STATUS_KINDS,
    "rating_kinds": RATING_KINDS,
}


def _labels() -> dict:
    """LABELS with each lazy string translated once for this request, not once a row."""
    return {name: {key: str(text) for key, text in group.items()} for name, group in LABELS.items()}


def _customer_or_404(customer_id: int, action: str = "read") -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        abort(404)
    permissions.require(current_user, action, "customer", customer)
    return customer


@bp.get("/customers")
def index():
    permissions.require(current_user, "read", "customer")
    filters = customers.CustomerFilters.from_args(request.args)
    rows, next_cursor = customers.customer_page(
        current_user, filters, request.args.get("cursor"), limit=50
    )
    context = list_context("customers", "customers.index", filters, rows, next_cursor)
    return render_page_or_fragment(
        "customers/index.html", "customers/_rows.html", **context, **_labels()
    )


@bp.post("/customers/bulk")
def bulk():
    return bulk_action("customers", "customers.index")


def _form(customer: Customer | None):
    form = form_with_custom_fields(CustomerForm, "customer", record=customer)
    owner = db.session.get(User, customer.owner_id) if customer and customer.owner_id else None
    form.set_owner_choices(current_user, "customer", owner)
    if customer is not None and request.method == "GET":
        form.fill_addresses(customer)
    return form


@bp.route("/customers/new", methods=["GET", "POST"])
def new():
    permissions.require(current_user, "create", "customer")
    form = _form(None)
    customer = save_valid_form(
        form, lambda: customers.create_customer(current_user, **form.values(form.custom_data))
    )
    if customer is not None:
        flash(_("The customer %(name)s is created.", name=customer.name), "success")
        return redirect(url_for("customers.show", customer_id=customer.id))
    return render_template("customers/form.html", form=form, customer=None)


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
def edit(customer_id: int):
    customer = _customer_or_404(customer_id, "edit")
    form = _form(customer)
    saved = save_valid_form(
        form,
        lambda: customers.update_customer(customer, current_user, **form.values(form.custom_data)),
    )
    if saved is not None:
        flash(_("The changes to %(name)s are saved.", name=customer.name), "success")
        return redirect(url_for("customers.show", customer_id=customer.id))
    return render_template("customers/form.html", form=form, customer=customer)


@bp.route("/customers/<int:customer_id>/delete", methods=["GET", "POST"])
def delete(customer_id: int):
    customer = _customer_or_404(customer_id, "delete")
    if request.method == "POST":
        name = customer.name
        customers.delete_customer(customer, current_user)
        db.session.commit()
        flash(_("The customer %(name)s is deleted.", name=name), "success")
        return redirect(url_for("customers.index"))
    return render_template("customers/delete.html", customer=customer)


@bp.post("/customers/<int:customer_id>/credit-rating")
def credit_rating(customer_id: int):
    customer = _customer_or_404(customer_id, "edit")
    form = CreditRatingForm()
    if form.validate_on_submit():
        try:
            customers.set_credit_rating(customer, current_user, form.rating.data, form.note.data)
        except RecordInvalid as invalid:
            db.session.rollback()
            flash(" ".join(invalid.errors.values()), "error")
        else:
            db.session.commit()
            flash(_("The credit rating is saved."), "success")
    return redirect(url_for("customers.show", customer_id=customer.id) + "#credit-rating")


@bp.get("/customers/<int:customer_id>")
def show(customer_id: int):
    """The 360-degree view: a fixed number of queries however many contacts there are."""
    customer = _customer_or_404(customer_id)
    people = contacts.contacts_of(customer, current_user)
    return render_template(
        "customers/show.html",
        customer=customer,
        contacts=people,
        tags=tags.tags_for("customers", [customer.id])[customer.id],
        owners=record_checks.owner_names([customer]),
        credit_history=customers.credit_history(customer),
        credit_form=CreditRatingForm(data={"rating": customer.credit_rating}),
        field_definitions=custom_fields.fields_for("customer"),
        may_edit=permissions.can(current_user, "edit", "customer", customer),
        may_delete=permissions.can(current_user, "delete", "customer", customer),
        open_deals=opportunities.open_for_customer(current_user, customer.id),
        deal_stage_labels=opportunities.STAGE_LABELS,
        **_labels(),
    )
