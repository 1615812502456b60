"""The service desk's settings, kept by managers and administrators (the permission entity
"service_settings"): ticket categories, SLA policies, and business calendars with their
holidays. Each function checks every field and raises RecordInvalid listing every problem
at once, so nothing is saved from bad input."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions, timezones
from app.extensions import db
from app.models.identity import Team
from app.models.service import (
    BusinessCalendar,
    CalendarHoliday,
    SlaPolicy,
    TicketCategory,
    TicketPriority,
)
from app.services import business_time
from app.services.record_checks import check_enum, check_text
from app.services.validation import RecordInvalid

ENTITY = "service_settings"
NAME_LENGTH = 120
DESCRIPTION_LENGTH = 5000
MAX_MINUTES = 365 * 24 * 60
TIERS = ("", "A", "B", "C")
WEEKDAYS = tuple(str(day) for day in range(1, 8))


def categories() -> list[TicketCategory]:
    return list(db.session.scalars(sa.select(TicketCategory).order_by(TicketCategory.name)))


def policies() -> list[SlaPolicy]:
    order = sa.case({p.value: i for i, p in enumerate(TicketPriority)}, value=SlaPolicy.priority)
    query = sa.select(SlaPolicy).order_by(order, SlaPolicy.customer_tier)
    return list(db.session.scalars(query))


def calendars() -> list[BusinessCalendar]:
    return list(db.session.scalars(sa.select(BusinessCalendar).order_by(BusinessCalendar.name)))


def _name(model, fields: dict, record, errors: dict) -> str:
    name = check_text(fields, "name", NAME_LENGTH, errors, gettext("Enter a name."))
    if name and "name" not in errors:
        taken = sa.select(model.id).where(sa.func.lower(model.name) == name.lower())
        if record.id is not None:
            taken = taken.where(model.id != record.id)
        if db.session.scalar(taken) is not None:
            errors["name"] = gettext("This name is already taken.")
    return name


def _team(raw, errors: dict) -> int | None:
    if raw in (None, ""):
        return None
    team = db.session.get(Team, int(raw)) if str(raw).strip().isdigit() else None
    if team is None:
        errors["team_id"] = gettext("Choose an existing team.")
        return None
    return team.id


def _minutes(fields: dict, name: str, errors: dict, minimum: int = 1) -> int | None:
    raw = fields.get(name)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = None
    if value is None or value < minimum or value > MAX_MINUTES:
        errors[name] = gettext(
            "Enter a whole number of minutes from %(low)d to %(high)d.",
            low=minimum,
            high=MAX_MINUTES,
        )
    return value


def _save(record, values: dict) -> None:
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
    db.session.add(record)
    db.session.flush()


def save_category(actor, category: TicketCategory | None = None, **fields) -> TicketCategory:
    """Create (category None) or change a ticket category."""
    permissions.require(actor, "edit" if category else "create", ENTITY, category)
    category = category or TicketCategory()
    errors: dict[str, str] = {}
    values = {
        "name": _name(TicketCategory, fields, category, errors),
        "description": str(fields.get("description") or "").strip(),
        "team_id": _team(fields.get("team_id"), errors),
        "round_robin": bool(fields.get("round_robin")),
        "is_active": bool(fields.get("is_active")),
    }
    if len(values["description"]) > DESCRIPTION_LENGTH:
        errors["description"] = gettext("Use at most %(max)d characters.", max=DESCRIPTION_LENGTH)
    if values["round_robin"] and values["team_id"] is None and "team_id" not in errors:
        errors["round_robin"] = gettext("Round-robin needs a team whose agents share the tickets.")
    if errors:
        raise RecordInvalid(errors)
    _save(category, values)
    return category


def save_policy(actor, policy: SlaPolicy | None = None, **fields) -> SlaPolicy:
    """Create (policy None) or change an SLA policy; targets are business minutes."""
    permissions.require(actor, "edit" if policy else "create", ENTITY, policy)
    policy = policy or SlaPolicy()
    errors: dict[str, str] = {}
    values = {
        "name": check_text(fields, "name", NAME_LENGTH, errors, gettext("Enter a name.")),
        "priority": check_enum(TicketPriority, fields, "priority", errors),
        "customer_tier": str(fields.get("customer_tier") or "").strip().upper(),
        "first_response_minutes": _minutes(fields, "first_response_minutes", errors),
        "resolution_minutes": _minutes(fields, "resolution_minutes", errors),
        "warn_before_minutes": _minutes(fields, "warn_before_minutes", errors, minimum=0),
        "raise_priority_on_breach": bool(fields.get("raise_priority_on_breach")),
        "is_active": bool(fields.get("is_active")),
    }
    if values["priority"] is None and "priority" not in errors:
        errors["priority"] = gettext("Choose a priority.")
    if values["customer_tier"] not in TIERS:
        errors["customer_tier"] = gettext("Choose any customer, or tier A, B or C.")
    first, resolution = values["first_response_minutes"], values["resolution_minutes"]
    if not ({"first_response_minutes", "resolution_minutes"} & errors.keys()) and (
        resolution < first
    ):
        errors["resolution_minutes"] = gettext(
            "The resolution target cannot come before the first response target."
        )
    if not ({"priority", "customer_tier"} & errors.keys()):
        taken = sa.select(SlaPolicy.id).where(
            SlaPolicy.priority == values["priority"],
            SlaPolicy.customer_tier == values["customer_tier"],
        )
        if policy.id is not None:
            taken = taken.where(SlaPolicy.id != policy.id)
        if db.session.scalar(taken) is not None:
            errors["customer_tier"] = gettext(
                "There is already a policy for this priority and customer tier."
            )
    if errors:
        raise RecordInvalid(errors)
    _save(policy, values)
    return policy


def check_hours(raw: dict, errors: dict) -> dict:
    """Weekly hours {"1": [["09:00", "17:00"]], ...}: every interval HH:MM to a later HH:MM
    and none overlapping on a day; errors keyed "hours_<weekday>"."""
    hours: dict[str, list[list[str]]] = {}
    for weekday in WEEKDAYS:
        intervals = []
        for begin, end in (raw or {}).get(weekday, ()) or ():
            begin, end = str(begin or "").strip(), str(end or "").strip()
            if not begin and not end:
                continue
            try:
                opens, closes = business_time.parse_clock(begin), business_time.parse_clock(end)
            except ValueError:
                errors[f"hours_{weekday}"] = gettext("Enter times as HH:MM, like 09:00.")
                break
            if opens is None or (closes is not None and closes <= opens):
                errors[f"hours_{weekday}"] = gettext("Each interval must end after it starts.")
                break
            intervals.append([f"{opens:%H:%M}", "24:00" if closes is None else f"{closes:%H:%M}"])
        intervals.sort()
        if any(a[1] > b[0] for a, b in zip(intervals, intervals[1:], strict=False)):
            errors[f"hours_{weekday}"] = gettext("The intervals of a day must not overlap.")
        if intervals:
            hours[weekday] = intervals
    return hours


def save_calendar(actor, calendar: BusinessCalendar | None = None, **fields) -> BusinessCalendar:
    """Create (calendar None) or change a business calendar; at most one calendar per
    team, and one default (making this one the default unmarks the other)."""
    permissions.require(actor, "edit" if calendar else "create", ENTITY, calendar)
    calendar = calendar or BusinessCalendar()
    errors: dict[str, str] = {}
    zone = str(fields.get("time_zone") or "").strip()
    if not timezones.is_known(zone):
        errors["time_zone"] = gettext("Choose a time zone from the list.")
    values = {
        "name": _name(BusinessCalendar, fields, calendar, errors),
        "time_zone": zone,
        "hours": check_hours(fields.get("hours") or {}, errors),
        "team_id": _team(fields.get("team_id"), errors),
        "is_default": bool(fields.get("is_default")),
    }
    if values["team_id"] is not None and "team_id" not in errors:
        taken = sa.select(BusinessCalendar.id).where(BusinessCalendar.team_id == values["team_id"])
        if calendar.id is not None:
            taken = taken.where(BusinessCalendar.id != calendar.id)
        if db.session.scalar(taken) is not None:
            errors["team_id"] = gettext("This team already has a calendar.")
    if errors:
        raise RecordInvalid(errors)
    if values["is_default"]:
        others = sa.select(BusinessCalendar).where(BusinessCalendar.is_default.is_(True))
        for other in db.session.scalars(others):
            if other is not calendar:
                other.is_default = False
    _save(calendar, values)
    return calendar


def add_holiday(actor, calendar: BusinessCalendar, day, name: str = "") -> CalendarHoliday:
    """Make `day` a day off in `calendar`."""
    permissions.require(actor, "edit", ENTITY, calendar)
    errors: dict[str, str] = {}
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            day = None
    if not isinstance(day, date):
        errors["day"] = gettext("Enter a date, like 2026-12-25.")
    elif any(holiday.day == day for holiday in calendar.holidays):
        errors["day"] = gettext("This day is already a holiday.")
    label = check_text({"name": name}, "name", NAME_LENGTH, errors)
    if errors:
        raise RecordInvalid(errors)
    holiday = CalendarHoliday(day=day, name=label)
    calendar.holidays.append(holiday)
    db.session.flush()
    return holiday


def remove_holiday(actor, calendar: BusinessCalendar, holiday: CalendarHoliday) -> None:
    permissions.require(actor, "edit", ENTITY, calendar)
    calendar.holidays.remove(holiday)
    db.session.flush()
