"""Jobs that send portal account email: the invitation and the password-reset link."""

from flask import render_template, url_for
from flask_babel import force_locale, gettext

from app.extensions import db
from app.jobs import background_job, finish
from app.models.service import PortalUser
from app.services import mail


@background_job
def send_portal_password_link(portal_user_id: int, token: str, kind: str, *, actor) -> None:
    """Email a link to choose a portal password, in the portal user's language."""
    portal_user = db.session.get(PortalUser, portal_user_id)
    if portal_user is None or not portal_user.is_active:
        return
    with force_locale(portal_user.locale):
        link = url_for("portal.set_password", token=token, _external=True)
        if kind == "invite":
            subject = gettext("You are invited to our customer portal")
        else:
            subject = gettext("Reset your customer portal password")
        text = render_template(f"email/portal_{kind}.txt", portal_user=portal_user, link=link)
    mail.send(mail.build_message(portal_user.email, subject, text))
    finish(message="sent")
