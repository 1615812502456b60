"""The activity form: one form for every kind; the template shows the fields a kind uses."""

from __future__ import annotations

from datetime import tzinfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, StringField, TextAreaField
from wtforms.validators import Optional

from app import timezones
from app.models.activities import Activity, ActivityKind

STATUS_LABELS = {"OPEN": _l("Open"), "DONE": _l("Done"), "CANCELLED": _l("Cancelled")}
# Which time fields each kind asks for (the service clears the others).
TIME_FIELDS = {
    "CALL": ("occurred_at",),
    "EMAIL": ("occurred_at",),
    "NOTE": ("occurred_at",),
    "TASK": ("due_at", "remind_at"),
    "MEETING": ("occurred_at", "ends_at", "remind_at"),
}
_TIME = "%Y-%m-%dT%H:%M"
ALL_TIME_FIELDS = ("occurred_at", "due_at", "ends_at", "remind_at")


def _when(label):
    return DateTimeLocalField(label, format=_TIME, validators=[Optional()])


class ActivityForm(FlaskForm):
    # Chosen by the button that opened the form, so a hidden field, checked by the service.
    kind = HiddenField(default=ActivityKind.CALL.value)
    subject = StringField(_l("Subject"))
    description = TextAreaField(_l("Description"))
    occurred_at = _when(_l("When"))
    due_at = _when(_l("Due"))
    ends_at = _when(_l("Ends"))
    remind_at = _when(_l("Remind me at"))
    customer_id = HiddenField()
    contact_id = HiddenField()
    lead_id = HiddenField()

    @classmethod
    def for_activity(cls, activity: Activity, zone: tzinfo) -> ActivityForm:
        """The edit form, its times shown as the wall-clock times of `zone`."""
        form = cls(obj=activity, formdata=None)
        form.kind.data = activity.kind.value
        for name in ALL_TIME_FIELDS:
            form[name].data = timezones.to_wall_clock(getattr(activity, name), zone)
        return form

    def service_fields(self, zone: tzinfo) -> dict:
        """The submitted values as the service takes them: times typed in `zone` (the
        user's), given to the service in UTC."""
        kind = self.kind.data if self.kind.data in TIME_FIELDS else ActivityKind.CALL.value
        fields = {
            "kind": kind,
            "subject": self.subject.data or "",
            "description": self.description.data or "",
            "customer_id": _number(self.customer_id.data),
            "contact_id": _number(self.contact_id.data),
            "lead_id": _number(self.lead_id.data),
        }
        # Only the times this kind shows: an edit leaves the others as they were.
        for name in TIME_FIELDS[kind]:
            fields[name] = timezones.from_wall_clock(self[name].data, zone)
        return fields

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put a service's RecordInvalid messages on the matching fields."""
        self.general_errors = []
        for name, message in errors.items():
            if name in self and name not in ("customer_id", "contact_id", "lead_id", "kind"):
                self[name].errors = [*self[name].errors, message]
            else:
                # Links and owner have no visible field: shown above the form.
                self.general_errors.append(message)


def _number(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None
