"""Forms of the service settings: ticket categories, SLA policies (targets typed as hours
and minutes), business calendars (weekly hours as up to two HH:MM intervals a weekday) and
holidays. They shape the inputs; the rules and messages live in
app.services.service_settings, whose errors `show_errors` puts back on the fields."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app import timezones
from app.blueprints.customers.forms import _enum_value, _optional_int, enum_choices
from app.extensions import db
from app.models.identity import Team
from app.services import tickets

WEEKDAY_LABELS = {
    "1": _l("Monday"),
    "2": _l("Tuesday"),
    "3": _l("Wednesday"),
    "4": _l("Thursday"),
    "5": _l("Friday"),
    "6": _l("Saturday"),
    "7": _l("Sunday"),
}
TIER_LABELS = {"": _l("Any customer"), "A": _l("Tier A"), "B": _l("Tier B"), "C": _l("Tier C")}
INTERVALS_A_DAY = 2


def _team_choices() -> list[SelectChoice]:
    teams = db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name))
    return [SelectChoice("", _l("(no team)"))] + [SelectChoice(i, name) for i, name in teams]


class _SettingsForm(FlaskForm):
    # Service error keys shown on another field than their own name.
    aliases: dict[str, str] = {}

    def show_errors(self, errors: dict) -> None:
        """Put a service's messages on the fields they are about (the rest above the form)."""
        for key, message in errors.items():
            field = self._fields.get(self.aliases.get(key, key))
            (field.errors if field is not None else self.form_errors).append(message)


class CategoryForm(_SettingsForm):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"))
    team_id = SelectField(
        _l("Team whose queue gets its tickets"), coerce=_optional_int, validate_choice=False
    )
    round_robin = BooleanField(_l("Give new tickets in turn to the team's agents"))
    is_active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.team_id.choices = _team_choices()

    def values(self) -> dict:
        names = ("name", "description", "team_id", "round_robin", "is_active")
        return {name: self[name].data for name in names}


def _split(minutes: int | None) -> tuple[int | None, int | None]:
    return (None, None) if minutes is None else divmod(minutes, 60)


def _join(hours: str | None, minutes: str | None) -> int | str | None:
    """Hours and minutes as minutes; the raw text when either is not a number."""
    hours, minutes = (hours or "").strip(), (minutes or "").strip()
    if not hours and not minutes:
        return None
    if not (hours or "0").isdigit() or not (minutes or "0").isdigit():
        return f"{hours}:{minutes}"
    return int(hours or 0) * 60 + int(minutes or 0)


class SlaPolicyForm(_SettingsForm):
    name = StringField(_l("Name"))
    priority = SelectField(_l("Priority"), coerce=_enum_value, validate_choice=False)
    customer_tier = SelectField(_l("Customer tier (ABC class)"), validate_choice=False)
    first_response_hours = StringField(_l("First response: hours"))
    first_response_mins = StringField(_l("and minutes"))
    resolution_hours = StringField(_l("Resolution: hours"))
    resolution_mins = StringField(_l("and minutes"))
    warn_before_minutes = StringField(_l("Warn the assignee this many minutes before"))
    raise_priority_on_breach = BooleanField(_l("Raise the priority one step on a breach"))
    is_active = BooleanField(_l("Active"), default=True)
    aliases = {
        "first_response_minutes": "first_response_hours",
        "resolution_minutes": "resolution_hours",
    }

    def __init__(self, *args, obj=None, **kwargs):
        if obj is not None:
            kwargs["first_response_hours"], kwargs["first_response_mins"] = _split(
                obj.first_response_minutes
            )
            kwargs["resolution_hours"], kwargs["resolution_mins"] = _split(obj.resolution_minutes)
        else:
            kwargs.setdefault("warn_before_minutes", 60)
        super().__init__(*args, obj=obj, **kwargs)
        self.priority.choices = enum_choices(tickets.PRIORITY_LABELS)
        self.customer_tier.choices = [SelectChoice(k, v) for k, v in TIER_LABELS.items()]

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "priority": self.priority.data,
            "customer_tier": self.customer_tier.data,
            "first_response_minutes": _join(
                self.first_response_hours.data, self.first_response_mins.data
            ),
            "resolution_minutes": _join(self.resolution_hours.data, self.resolution_mins.data),
            "warn_before_minutes": self.warn_before_minutes.data,
            "raise_priority_on_breach": self.raise_priority_on_breach.data,
            "is_active": self.is_active.data,
        }


def _hour_field(weekday: str, number: int, edge: str) -> str:
    return f"h{weekday}_{number}_{edge}"


class CalendarForm(_SettingsForm):
    name = StringField(_l("Name"))
    time_zone = SelectField(_l("Time zone"), validate_choice=False)
    team_id = SelectField(
        _l("Team (its tickets follow this calendar)"), coerce=_optional_int, validate_choice=False
    )
    is_default = BooleanField(_l("Default calendar (for tickets of teams without one)"))

    def __init__(self, *args, obj=None, **kwargs):
        if obj is not None:
            for weekday, intervals in (obj.hours or {}).items():
                for number, (begin, end) in enumerate(intervals[:INTERVALS_A_DAY], start=1):
                    kwargs[_hour_field(weekday, number, "start")] = begin
                    kwargs[_hour_field(weekday, number, "end")] = end
        else:
            kwargs.setdefault("time_zone", timezones.default_name())
        super().__init__(*args, obj=obj, **kwargs)
        self.time_zone.choices = timezones.choices()
        self.team_id.choices = _team_choices()
        self.hour_errors: dict[str, str] = {}

    def weekdays(self):
        """(weekday, label, [(start field, end field), ...]) for the hours editor."""
        for weekday, label in WEEKDAY_LABELS.items():
            pairs = [
                (self[_hour_field(weekday, n, "start")], self[_hour_field(weekday, n, "end")])
                for n in range(1, INTERVALS_A_DAY + 1)
            ]
            yield weekday, label, pairs

    def show_errors(self, errors: dict) -> None:
        for key, message in errors.items():
            if key.startswith("hours_"):
                self.hour_errors[key.removeprefix("hours_")] = message
            else:
                super().show_errors({key: message})

    def values(self) -> dict:
        hours = {
            weekday: [(start.data, end.data) for start, end in pairs]
            for weekday, _, pairs in self.weekdays()
        }
        return {
            "name": self.name.data,
            "time_zone": self.time_zone.data,
            "team_id": self.team_id.data,
            "is_default": self.is_default.data,
            "hours": hours,
        }


for _weekday in WEEKDAY_LABELS:
    for _number in range(1, INTERVALS_A_DAY + 1):
        for _edge, _label in (("start", lazy_pgettext("time range", "From")), ("end", _l("to"))):
            setattr(
                CalendarForm,
                _hour_field(_weekday, _number, _edge),
                StringField(_label, render_kw={"placeholder": "HH:MM", "size": 5}),
            )


class HolidayForm(_SettingsForm):
    day = StringField(_l("Day"), render_kw={"type": "date"})
    name = StringField(_l("Name (e.g. New Year's Day)"))

    def values(self) -> dict:
        return {"day": self.day.data or "", "name": self.name.data}
