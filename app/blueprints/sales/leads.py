"""Lead pages: the list (active search, filters, sort, keyset pages, bulk actions), the
create/edit form, deletion, the lead's page, and converting it into a customer."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.customers.lists import bulk_action, list_context
from app.blueprints.record_forms import save_valid_form
from app.blueprints.sales import bp
from app.blueprints.sales.lead_forms import (
    SOURCE_LABELS,
    STATUS_KINDS,
    STATUS_LABELS,
    ConvertForm,
    LeadForm,
)
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models.customers import Contact, Customer
from app.models.identity import User
from app.models.sales import Lead, LeadStatus
from app.services import (
    custom_fields,
    lead_conversion,
    lead_duplicates,
    leads,
    record_checks,
    tags,
    timeline,
)
from app.services.custom_field_forms import form_with_custom_fields
from app.services.predictions import lead_scores
from app.services.predictions.lead_features import FACTORS, NEVER

LABELS = {
    "status_labels": STATUS_LABELS,
    "source_labels": SOURCE_LABELS,
}


def _labels() -> dict:
    """LABELS with each lazy string translated once for this request, not once a row."""
    labels = {
        name: {key: str(text) for key, text in group.items()} for name, group in LABELS.items()
    }
    return labels | {"status_kinds": STATUS_KINDS}


def _lead_or_404(lead_id: int, action: str = "read") -> Lead:
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        abort(404)
    permissions.require(current_user, action, "lead", lead)
    return lead


@bp.get("/leads")
def leads_index():
    permissions.require(current_user, "read", "lead")
    filters = leads.LeadFilters.from_args(request.args)
    rows, next_cursor = leads.lead_page(current_user, filters, request.args.get("cursor"), limit=50)
    context = list_context("leads", "sales.leads_index", filters, rows, next_cursor)
    return render_page_or_fragment(
        "sales/leads_index.html", "sales/leads_rows.html", **context, **_labels()
    )


@bp.post("/leads/bulk")
def leads_bulk():
    return bulk_action("leads", "sales.leads_index")


def _form(lead: Lead | None):
    converted = lead is not None and lead.status is LeadStatus.CONVERTED
    form = form_with_custom_fields(LeadForm, "lead", record=lead, converted=converted)
    owner = db.session.get(User, lead.owner_id) if lead and lead.owner_id else None
    form.set_owner_choices(current_user, "lead", owner)
    return form


@bp.route("/leads/new", methods=["GET", "POST"])
def lead_new():
    permissions.require(current_user, "create", "lead")
    form = _form(None)
    lead = save_valid_form(
        form, lambda: leads.create_lead(current_user, **form.values(form.custom_data))
    )
    if lead is not None:
        flash(_("The lead %(name)s is created.", name=lead.full_name), "success")
        return redirect(url_for("sales.lead_show", lead_id=lead.id))
    return render_template("sales/leads_form.html", form=form, lead=None)


@bp.route("/leads/<int:lead_id>/edit", methods=["GET", "POST"])
def lead_edit(lead_id: int):
    lead = _lead_or_404(lead_id, "edit")
    form = _form(lead)
    saved = save_valid_form(
        form, lambda: leads.update_lead(lead, current_user, **form.values(form.custom_data))
    )
    if saved is not None:
        flash(_("The changes to %(name)s are saved.", name=lead.full_name), "success")
        return redirect(url_for("sales.lead_show", lead_id=lead.id))
    return render_template("sales/leads_form.html", form=form, lead=lead)


@bp.route("/leads/<int:lead_id>/delete", methods=["GET", "POST"])
def lead_delete(lead_id: int):
    lead = _lead_or_404(lead_id, "delete")
    if request.method == "POST":
        name = lead.full_name
        leads.delete_lead(lead, current_user)
        db.session.commit()
        flash(_("The lead %(name)s is deleted.", name=name), "success")
        return redirect(url_for("sales.leads_index"))
    return render_template("sales/leads_delete.html", lead=lead)


@bp.get("/leads/<int:lead_id>")
def lead_show(lead_id: int):
    lead = _lead_or_404(lead_id)
    customer = db.session.get(Customer, lead.customer_id) if lead.customer_id else None
    contact = db.session.get(Contact, lead.contact_id) if lead.contact_id else None
    may_edit = permissions.can(current_user, "edit", "lead", lead)
    return render_template(
        "sales/leads_show.html",
        lead=lead,
        customer=customer,
        contact=contact,
        may_see_customer=customer is not None
        and permissions.can(current_user, "read", "customer", customer),
        may_see_contact=contact is not None
        and permissions.can(current_user, "read", "contact", contact),
        activities=leads.lead_activities(lead, current_user),
        kind_labels={key: str(label) for key, label in timeline.KIND_LABELS.items()},
        tags=tags.tags_for("leads", [lead.id])[lead.id],
        owners=record_checks.owner_names([lead]),
        field_definitions=custom_fields.fields_for("lead"),
        may_edit=may_edit,
        may_convert=may_edit and lead.status is not LeadStatus.CONVERTED,
        may_delete=permissions.can(current_user, "delete", "lead", lead),
        duplicates=_duplicates_of(lead),
        lead_score=lead_scores.shown_score(lead),
        score_factor_labels={key: str(label) for key, (_c, label, _t) in FACTORS.items()},
        never=NEVER,
        kind_names={"lead": _("Lead"), "contact": _("Contact"), "customer": _("Customer")},
        **_labels(),
    )


def _duplicates_of(lead: Lead) -> list:
    """Records that may be this lead again (not once it is converted: then they are it)."""
    if lead.status is LeadStatus.CONVERTED:
        return []
    return lead_duplicates.find_duplicates(
        email=lead.email, phone=lead.phone or lead.mobile, first_name=lead.first_name,
        last_name=lead.last_name, company=lead.company, exclude_lead_id=lead.id,
        actor=current_user,
    )  # fmt: skip


@bp.get("/leads/<int:lead_id>/activities")
def lead_activities(lead_id: int):
    """The lead's activities; the page reloads them when one is saved (timelineChanged)."""
    lead = _lead_or_404(lead_id)
    return render_template(
        "sales/leads_activities.html",
        lead=lead,
        activities=leads.lead_activities(lead, current_user),
        kind_labels={key: str(label) for key, label in timeline.KIND_LABELS.items()},
    )


@bp.route("/leads/<int:lead_id>/convert", methods=["GET", "POST"])
def lead_convert(lead_id: int):
    """Convert the lead; done, the user lands on the customer's page."""
    lead = _lead_or_404(lead_id, "edit")
    if lead.status is LeadStatus.CONVERTED:
        flash(_("This lead is already converted."), "error")
        return redirect(url_for("sales.lead_show", lead_id=lead.id))
    form = ConvertForm()
    form.set_choices(current_user)
    if request.method == "GET":
        form.opportunity_name.data = lead.company or lead.full_name
    form.general_errors = []
    done = save_valid_form(
        form, lambda: lead_conversion.convert_lead(lead, current_user, **form.values())
    )
    if done is not None:
        flash(_("The lead %(name)s is converted.", name=lead.full_name), "success")
        return redirect(url_for("customers.show", customer_id=done.customer.id))
    return render_template(
        "sales/leads_convert.html",
        form=form,
        lead=lead,
        may_create_opportunity=permissions.can(current_user, "create", "opportunity")
        and permissions.can(current_user, "create", "opportunity"),
    )
