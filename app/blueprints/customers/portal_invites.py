"""A contact's customer-portal account, from their page: the invitation (a signed link to
choose a password is emailed once it is committed), company admin, deactivation."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import permissions
from app.blueprints.customers import bp
from app.blueprints.customers.contacts import _contact_or_404
from app.extensions import db
from app.services import portal_accounts
from app.services.validation import RecordInvalid


@bp.post("/contacts/<int:contact_id>/portal-invite")
def contact_portal_invite(contact_id: int):
    contact = _contact_or_404(contact_id)
    try:
        portal_user = portal_accounts.invite(contact, current_user)
    except RecordInvalid as invalid:
        db.session.rollback()
        flash(next(iter(invalid.errors.values())), "error")
    else:
        db.session.commit()
        flash(
            _("An invitation to the portal is on its way to %(email)s.", email=portal_user.email),
            "success",
        )
    return redirect(url_for("customers.contact_show", contact_id=contact_id))


def _account_or_404(contact_id: int):
    contact = _contact_or_404(contact_id)
    permissions.require(current_user, "read", "portal_user")
    return contact, portal_accounts.account_of(contact)


@bp.get("/contacts/<int:contact_id>/portal-account")
def contact_portal_account(contact_id: int):
    """The contact's portal account, loaded into their page: its state and what staff may
    change (company admin, deactivation; inviting again reactivates it)."""
    contact, account = _account_or_404(contact_id)
    return render_template("contacts/_portal_account.html", contact=contact, account=account)


@bp.post("/contacts/<int:contact_id>/portal-account")
def contact_portal_account_change(contact_id: int):
    contact, account = _account_or_404(contact_id)
    action = request.form.get("action")
    if account is None or action not in ("make_admin", "remove_admin", "deactivate"):
        abort(400)
    if action == "deactivate":
        portal_accounts.deactivate(account, current_user)
    else:
        portal_accounts.set_company_admin(account, current_user, action == "make_admin")
    db.session.commit()
    return render_template("contacts/_portal_account.html", contact=contact, account=account)
