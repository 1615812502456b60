"""The sequence form and each step's settings form. They shape the inputs; the rules live in
app.services.sequences and app.services.sequence_steps, whose RecordInvalid messages
`show_errors` puts back on the fields."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app import permissions
from app.extensions import db
from app.models.marketing import SegmentEntity, StepKind, WebForm
from app.services import campaign_lists, campaigns, email_templates, sequence_steps, sequences

ENTITY_LABELS = {SegmentEntity.LEAD: _l("Leads"), SegmentEntity.CONTACT: _l("Contacts")}


def _optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


def _value(value):
    """An enum's value for the select (obj= gives members, a post gives strings)."""
    return getattr(value, "value", value)


def readable_forms(actor, limit: int = 500) -> list:
    """(id, name) of the web forms `actor` may read, by name."""
    query = sa.select(WebForm.id, WebForm.name).where(
        permissions.visible(actor, "web_form", WebForm.owner_id)
    )
    return list(db.session.execute(query.order_by(WebForm.name, WebForm.id).limit(limit)))


class _ShowsErrors:
    def show_errors(self, errors: dict) -> None:
        """Put a service's messages on the fields they are about (the rest above the form)."""
        for key, message in errors.items():
            field = self._fields.get(key)
            if field is not None:
                field.errors = [*field.errors, message]  # a tuple before validate()
            else:
                self.form_errors.append(message)


class SequenceForm(_ShowsErrors, FlaskForm):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"))
    trigger = SelectField(_l("Who enters"), coerce=_value, validate_choice=False)
    segment_id = SelectField(_l("Segment"), coerce=_optional_int, validate_choice=False)
    form_id = SelectField(_l("Web form"), coerce=_optional_int, validate_choice=False)
    entity = SelectField(_l("People"), coerce=_value, validate_choice=False)
    topic = SelectField(_l("Topic"), coerce=_value, validate_choice=False)
    status = SelectField(_l("Status"), coerce=_value, validate_choice=False)
    include_current = BooleanField(_l("Also enrol the people in the segment now"))

    def __init__(self, *args, actor=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.trigger.choices = [(t.value, label) for t, label in sequences.TRIGGER_LABELS.items()]
        self.entity.choices = [(e.value, label) for e, label in ENTITY_LABELS.items()]
        self.topic.choices = [(t.value, label) for t, label in campaigns.TOPIC_LABELS.items()]
        self.status.choices = [(s.value, label) for s, label in sequences.STATUS_LABELS.items()]
        none = SelectChoice("", _l("None"))
        self.segment_id.choices = [none] + [
            SelectChoice(row.id, row.name) for row in campaign_lists.readable_segments(actor)
        ]
        self.form_id.choices = [none] + [
            SelectChoice(row.id, row.name) for row in readable_forms(actor)
        ]
        if not editing:
            del self.status
            del self.include_current

    def values(self) -> dict:
        """The keyword arguments for the service's create/update function."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class StepForm(_ShowsErrors, FlaskForm):
    """Every setting any step kind has; the page shows those of the step's kind. Prefixed
    with the step id, so each step on the page has its own field ids. CSRF is checked for
    every post by CSRFProtect (the htmx header), so the form carries no token of its own."""

    class Meta:
        csrf = False

    days = StringField(_l("Days"), render_kw={"inputmode": "numeric"})
    hours = StringField(_l("Hours"), render_kw={"inputmode": "numeric"})
    template_id = SelectField(_l("Email template"), coerce=_optional_int, validate_choice=False)
    subject = StringField(_l("Task subject"))
    due_days = StringField(_l("Due after (days)"), render_kw={"inputmode": "numeric"})
    tag = StringField(_l("Tag"))
    on = SelectField(_l("When they have"), validate_choice=False)
    within_days = StringField(_l("Within (days)"), render_kw={"inputmode": "numeric"})
    yes = SelectField(_l("Then go to"), coerce=_optional_int, validate_choice=False)
    no = SelectField(_l("Otherwise go to"), coerce=_optional_int, validate_choice=False)

    FIELDS = {
        StepKind.WAIT: ("days", "hours"),
        StepKind.SEND_EMAIL: ("template_id",),
        StepKind.CREATE_TASK: ("subject", "due_days"),
        StepKind.ADD_TAG: ("tag",),
        StepKind.BRANCH: ("on", "within_days", "yes", "no"),
    }

    def __init__(self, step, steps, templates, formdata=None):
        settings = step.settings or {}
        super().__init__(formdata=formdata, prefix=f"step{step.id}", data=dict(settings))
        self.step = step
        self.template_id.choices = [SelectChoice("", _l("Choose a template"))] + [
            SelectChoice(t.id, t.name) for t in templates
        ]
        self.on.choices = list(sequence_steps.BRANCH_ON.items())
        targets = [
            SelectChoice(other.position, step_title(other))
            for other in steps
            if other.position > step.position
        ] + [SelectChoice(len(steps), _l("The end (complete)"))]
        self.yes.choices = self.no.choices = targets

    def shown(self):
        return [self._fields[name] for name in self.FIELDS[self.step.kind]]

    def settings(self) -> dict:
        return {name: self._fields[name].data for name in self.FIELDS[self.step.kind]}


def step_title(step) -> str:
    return f"{step.position + 1}. {sequence_steps.STEP_LABELS[step.kind]}"


def templates_for(actor) -> list:
    return email_templates.template_choices(actor)
