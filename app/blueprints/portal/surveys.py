"""The survey links of the satisfaction emails: one click records the score (no login: the
signed token is the authorisation) and shows a thank-you page, where the customer may add
one comment. Shown in the contact's portal language when known, else the browser's."""

from __future__ import annotations

from contextlib import nullcontext

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from app.blueprints.portal import bp
from app.blueprints.portal.survey_forms import SurveyCommentForm
from app.extensions import db, limiter
from app.models.service import SurveyKind
from app.services import survey_mail, surveys
from app.services.validation import RecordInvalid

DEFAULT_RATE_LIMIT = "10 per minute; 100 per hour"


def _rate_limit() -> str:
    return current_app.config.get("RAPPORT_PORTAL_RATE_LIMIT") or DEFAULT_RATE_LIMIT


def _invalid_link():
    text = _("This link is not valid. Please use the link from the email you received.")
    return render_template("portal/message.html", title=_("Survey not found"), text=text), 404


def _thanks(result: surveys.Answer, token: str, form=None, status: int = 200, error: str = ""):
    """The thank-you page; `form` given: the answer to a comment post."""
    response = result.response
    locale = survey_mail.contact_locale(response.contact_id)
    with force_locale(locale) if locale else nullcontext():
        html = render_template(
            "portal/survey_thanks.html",
            response=response,
            result=result,
            token=token,
            is_csat=response.kind is SurveyKind.CSAT,
            csat_labels=surveys.CSAT_LABELS,
            form=form or SurveyCommentForm(formdata=None),
            error=error,
            commenting=form is not None or bool(error),
        )
    return html, status


@bp.get("/survey/<token>")
@limiter.limit(_rate_limit)
def survey(token: str):
    try:
        result = surveys.answer(token)
    except RecordInvalid:  # a link without a score: these emails always carry one
        result = None
    if result is None:
        db.session.rollback()
        return _invalid_link()
    db.session.commit()
    return _thanks(result, token)


@bp.post("/survey/<token>/comment")
@limiter.limit(_rate_limit)
def survey_comment(token: str):
    found = surveys.read_token(token)
    if found is None:
        return _invalid_link()
    form = SurveyCommentForm()
    unchanged = surveys.Answer(found[0], recorded=False, commented=False)
    if not form.validate_on_submit():
        return _thanks(unchanged, token, form=form, status=422)
    try:
        result = surveys.answer(token, comment=form.comment.data)
    except RecordInvalid as invalid:
        db.session.rollback()
        error = next(iter(invalid.errors.values()))
        return _thanks(unchanged, token, status=409, error=error)
    db.session.commit()
    return _thanks(result, token, form=form)
