"""A contact's or lead's text-message state, loaded into their marketing panel: the number
texts go to, SMS consent and opt-out (with the history that is the evidence), and, for
colleagues who may edit the person, recording consent given or withdrawn."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import permissions
from app.blueprints.marketing import bp
from app.blueprints.marketing.people import ConsentForm, person_or_404, record_consent
from app.services.sms import phones, preferences

SOURCE_LABELS = {
    "manual": _l("recorded by a colleague"),
    "sms_keyword": _l("text message keyword"),
    "provider": _l("reported by the SMS provider"),
}


def _panel(entity: str, person, form: ConsentForm | None = None):
    raw = phones.raw_number_of(person)
    number, problem = None, ""
    if raw:
        try:
            number = phones.normalise(raw)
        except phones.PhoneInvalid as invalid:
            problem = str(invalid)
    return render_template(
        "sms/_person_panel.html",
        entity=entity,
        person=person,
        raw=raw,
        number=number,
        problem=problem,
        pref=preferences.preference(number),
        history=preferences.consent_history(number) if number else [],
        source_labels=SOURCE_LABELS,
        may_edit=permissions.can(current_user, "edit", entity, person),
        form=form or ConsentForm(),
    )


@bp.get("/people/<entity>/<int:person_id>/sms")
def person_sms(entity: str, person_id: int):
    return _panel(entity, person_or_404(entity, person_id))


@bp.post("/people/<entity>/<int:person_id>/sms/consent")
def person_sms_consent(entity: str, person_id: int):
    return record_consent(entity, person_id, preferences.record_consent_for, _panel)
