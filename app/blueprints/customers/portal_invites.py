"""Inviting a contact to the customer portal from their page (a signed link to choose a
password is emailed once the invitation is committed)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

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
