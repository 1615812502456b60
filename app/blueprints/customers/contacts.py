"""Contact pages: the list, the create/edit form (linked only to customers the user may
edit), deletion and the contact's page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.customers import bp
from app.blueprints.customers.forms import ContactForm
from app.blueprints.customers.lists import bulk_action, list_context
from app.blueprints.record_forms import save_valid_form
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.customers import Contact, Customer
from app.models.identity import User
from app.services import contacts, custom_fields, record_checks, tags
from app.services.custom_field_forms import form_with_custom_fields


def _contact_or_404(contact_id: int, action: str = "read") -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        abort(404)
    permissions.require(current_user, action, "contact", contact)
    return contact


@bp.get("/contacts")
def contacts_index():
    permissions.require(current_user, "read", "contact")
    filters = contacts.ContactFilters.from_args(request.args)
    rows, next_cursor = contacts.contact_page(
        current_user, filters, request.args.get("cursor"), limit=50
    )
    context = list_context("contacts", "customers.contacts_index", filters, rows, next_cursor)
    return render_page_or_fragment(
        "contacts/index.html",
        "contacts/_rows.html",
        customer_names=contacts.customer_names(rows),
        **context,
    )


@bp.post("/contacts/bulk")
def contacts_bulk():
    return bulk_action("contacts", "customers.contacts_index")


def _form(contact: Contact | None):
    form = form_with_custom_fields(ContactForm, "contact", record=contact)
    owner = db.session.get(User, contact.owner_id) if contact and contact.owner_id else None
    form.set_owner_choices(current_user, "contact", owner)
    linked = None
    if contact is not None and contact.customer_id:
        linked = db.session.get(Customer, contact.customer_id)
    form.set_customer_choices(current_user, linked)
    if contact is None and request.method == "GET":
        # "Add a contact" on a customer's page arrives with the customer chosen.
        form.customer_id.data = form.customer_id.coerce(request.args.get("customer_id"))
    return form


@bp.route("/contacts/new", methods=["GET", "POST"])
def contact_new():
    permissions.require(current_user, "create", "contact")
    form = _form(None)
    contact = save_valid_form(
        form, lambda: contacts.create_contact(current_user, **form.values(form.custom_data))
    )
    if contact is not None:
        flash(_("The contact %(name)s is created.", name=contact.full_name), "success")
        return redirect(url_for("customers.contact_show", contact_id=contact.id))
    return render_template("contacts/form.html", form=form, contact=None)


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def contact_edit(contact_id: int):
    contact = _contact_or_404(contact_id, "edit")
    form = _form(contact)
    saved = save_valid_form(
        form,
        lambda: contacts.update_contact(contact, current_user, **form.values(form.custom_data)),
    )
    if saved is not None:
        flash(_("The changes to %(name)s are saved.", name=contact.full_name), "success")
        return redirect(url_for("customers.contact_show", contact_id=contact.id))
    return render_template("contacts/form.html", form=form, contact=contact)


@bp.route("/contacts/<int:contact_id>/delete", methods=["GET", "POST"])
def contact_delete(contact_id: int):
    contact = _contact_or_404(contact_id, "delete")
    if request.method == "POST":
        name = contact.full_name
        contacts.delete_contact(contact, current_user)
        db.session.commit()
        flash(_("The contact %(name)s is deleted.", name=name), "success")
        return redirect(url_for("customers.contacts_index"))
    return render_template("contacts/delete.html", contact=contact)


@bp.get("/contacts/<int:contact_id>")
def contact_show(contact_id: int):
    contact = _contact_or_404(contact_id)
    customer = db.session.get(Customer, contact.customer_id) if contact.customer_id else None
    return render_template(
        "contacts/show.html",
        contact=contact,
        customer=customer,
        may_see_customer=customer is not None
        and permissions.can(current_user, "read", "customer", customer),
        tags=tags.tags_for("contacts", [contact.id])[contact.id],
        owners=record_checks.owner_names([contact]),
        field_definitions=custom_fields.fields_for("contact"),
        may_edit=permissions.can(current_user, "edit", "contact", contact),
        may_delete=permissions.can(current_user, "delete", "contact", contact),
    )
