"""Jobs that send account email."""

from flask import render_template, url_for
from flask_babel import force_locale, gettext

from app.extensions import db
from app.jobs import background_job, finish
from app.models.identity import User
from app.services import mail


@background_job
def send_password_reset(user_id: int, token: str, *, actor) -> None:
    """Email a password-reset link, in the user's own language."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return
    with force_locale(user.locale):
        link = url_for("auth.reset_password", token=token, _external=True)
        subject = gettext("Reset your Rapport password")
        text = render_template("email/password_reset.txt", user=user, link=link)
    mail.send(mail.build_message(user.email, subject, text))
    finish(message="sent")
