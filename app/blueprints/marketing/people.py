"""A contact's or lead's marketing state, loaded into their page: consent (with its
history, the evidence), unsubscribe and bounce, topics opted out of, the latest marketing
events; colleagues who may edit the person record consent given or withdrawn and topics."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from app import permissions
from app.blueprints.marketing import bp
from app.extensions import db
from app.models.customers import Contact
from app.models.marketing import EventKind, MarketingTopic
from app.models.sales import Lead
from app.services import email_preferences
from app.services.validation import RecordInvalid

MODELS = {"contact": Contact, "lead": Lead}
TOPIC_LABELS = {
    MarketingTopic.NEWSLETTER: _l("Newsletter"),
    MarketingTopic.PRODUCT: _l("Product news"),
    MarketingTopic.EVENTS: _l("Events and webinars"),
    MarketingTopic.OFFERS: _l("Offers and promotions"),
}

EVENT_LABELS = {
    EventKind.VISIT: _l("Visited the website"),
    EventKind.EMAIL_OPEN: _l("Opened an email"),
    EventKind.EMAIL_CLICK: _l("Clicked a link"),
    EventKind.DOWNLOAD: _l("Downloaded"),
    EventKind.FORM_SUBMIT: _l("Sent a form"),
    EventKind.UNSUBSCRIBE: _l("Unsubscribed"),
    EventKind.BOUNCE: _l("Email bounced"),
}
SOURCE_LABELS = {
    "form": _l("web form"),
    "import": _l("import"),
    "manual": _l("recorded by a colleague"),
    "api": _l("API"),
    "portal": _l("customer portal"),
    "preferences": _l("preferences page"),
    "unsubscribe_link": _l("unsubscribe link"),
    "list_unsubscribe": _l("one-click unsubscribe"),
}


class ConsentForm(FlaskForm):
    note = StringField(
        _l("How was it given or withdrawn?"),
        validators=[Length(max=500)],
        render_kw={"placeholder": _l("e.g. signed form at the trade fair")},
    )


def person_or_404(entity: str, person_id: int, action: str = "read"):
    model = MODELS.get(entity)
    person = db.session.get(model, person_id) if model else None
    if person is None:
        abort(404)
    permissions.require(current_user, action, entity, person)
    return person


def _panel(entity: str, person, form: ConsentForm | None = None):
    email = person.email or ""
    pref = email_preferences.preference(email) if email else None
    return render_template(
        "marketing/_person_panel.html",
        entity=entity,
        person=person,
        email=email,
        pref=pref,
        opted_out=set(pref.topics_opted_out or []) if pref else set(),
        topics=TOPIC_LABELS,
        event_labels=EVENT_LABELS,
        source_labels=SOURCE_LABELS,
        history=email_preferences.consent_history(email) if email else [],
        events=email_preferences.latest_events(person),
        may_edit=permissions.can(current_user, "edit", entity, person),
        form=form or ConsentForm(),
    )


@bp.get("/people/<entity>/<int:person_id>/panel")
def person_panel(entity: str, person_id: int):
    return _panel(entity, person_or_404(entity, person_id))


@bp.post("/people/<entity>/<int:person_id>/consent")
def person_consent(entity: str, person_id: int):
    return record_consent(entity, person_id, email_preferences.record_consent_for, _panel)


def record_consent(entity: str, person_id: int, record_consent_for, panel):
    """The consent form's post, for one channel: `record_consent_for` records a grant or a
    withdrawal for the person; `panel` renders the channel's panel again (with the form's
    errors, or a fresh form once recorded)."""
    person = person_or_404(entity, person_id, "edit")
    form = ConsentForm()
    granted = request.form.get("granted")
    if granted not in ("yes", "no"):
        abort(400)
    if form.validate():
        try:
            record_consent_for(
                person,
                granted=granted == "yes",
                note=form.note.data,
                actor=current_user,
                ip=request.remote_addr,
            )
        except RecordInvalid as invalid:
            db.session.rollback()
            form.note.errors = list(invalid.errors.values())
        else:
            db.session.commit()
            form = None
    return panel(entity, person, form)


@bp.post("/people/<entity>/<int:person_id>/topics")
def person_topics(entity: str, person_id: int):
    person = person_or_404(entity, person_id, "edit")
    if not person.email:
        abort(400)
    wanted = set(request.form.getlist("topic"))
    opted_out = {topic for topic in TOPIC_LABELS if topic.value not in wanted}
    email_preferences.set_topics_for(person, opted_out, actor=current_user)
    db.session.commit()
    return _panel(entity, person)
