"""Scheduled report emails: a user asks for a standard report, with the filters they chose,
as a PDF every day, week or month at an hour of their own day. Schedules are private to
their owner. The cron sweep (app.jobs.reports) takes the due ones, claims each once per due
time, and emails the PDF rendered as the owner (their rights, language and time zone)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, tzinfo

import sqlalchemy as sa
from babel.dates import get_day_names
from flask import url_for
from flask_babel import force_locale, format_date, get_locale, gettext
from flask_babel import lazy_gettext as _l

from app import timezones
from app.extensions import db
from app.models.analytics import ReportSchedule, ScheduleFrequency
from app.models.base import utcnow
from app.models.identity import User
from app.services import mail, reports
from app.services.report_pdf import Counted
from app.services.validation import RecordInvalid

FREQUENCY_LABELS = {
    ScheduleFrequency.DAILY: _l("Every day"),
    ScheduleFrequency.WEEKLY: _l("Every week"),
    ScheduleFrequency.MONTHLY: _l("Every month"),
}
MAX_PER_USER = 30
ERROR_LENGTH = 500


def next_run_at(
    frequency: ScheduleFrequency,
    weekday: int,
    day_of_month: int,
    hour: int,
    zone: tzinfo,
    after: datetime,
) -> datetime:
    """The first moment strictly after `after` (aware) at `hour`:00 in `zone` on a day the
    schedule runs: every day, on `weekday` (Monday = 0) or on `day_of_month` (1-28, which
    every month has). Where a DST change skips that hour the run is an hour later; where it
    repeats it, the first time. A UTC moment."""
    day = after.astimezone(zone).date()
    for _ in range(62):  # two months hold every day a schedule can name
        runs = (
            frequency is ScheduleFrequency.DAILY
            or (frequency is ScheduleFrequency.WEEKLY and day.weekday() == weekday)
            or (frequency is ScheduleFrequency.MONTHLY and day.day == day_of_month)
        )
        if runs:
            moment = timezones.from_wall_clock(datetime.combine(day, time(hour)), zone)
            if moment > after:
                return moment
        day += timedelta(days=1)
    raise ValueError("no run in two months: is day_of_month between 1 and 28?")


def _number(raw, low: int, high: int) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text.lstrip("-").isdigit() or not low <= int(text) <= high:
        return None
    return int(text)


def _frequency(raw) -> ScheduleFrequency | None:
    if isinstance(raw, ScheduleFrequency):
        return raw
    try:
        return ScheduleFrequency(str(raw or "").strip().upper())
    except ValueError:
        return None


def _check(actor, report_key, frequency, weekday, day_of_month, hour, filter_args) -> dict:
    """The schedule's fields as stored, or RecordInvalid with a message for each bad one
    (the filters' messages under the filters' names)."""
    errors: dict[str, str] = {}
    report = reports.get(str(report_key or ""))
    if report is None or not reports.may_read(actor, report):
        errors["report_key"] = gettext("Choose a report from the list.")
    values = {
        "frequency": _frequency(frequency),
        "weekday": _number(weekday if weekday not in (None, "") else 0, 0, 6),
        "day_of_month": _number(day_of_month if day_of_month not in (None, "") else 1, 1, 28),
        "hour": _number(hour, 0, 23),
    }
    messages = {
        "frequency": gettext("Choose every day, every week or every month."),
        "weekday": gettext("Choose a day of the week."),
        "day_of_month": gettext("Choose a day of the month from 1 to 28."),
        "hour": gettext("Choose an hour from 0 to 23."),
    }
    errors |= {name: messages[name] for name, value in values.items() if value is None}
    if report is not None:
        filters, filter_errors = report.parse_filters(filter_args or {})
        errors |= filter_errors
        values |= {"report_key": report.key, "filters": filters.args()}
    if errors:
        raise RecordInvalid(errors)
    return values


def schedules_of(user) -> list[ReportSchedule]:
    """`user`'s schedules, the next to go first."""
    query = (
        sa.select(ReportSchedule)
        .where(ReportSchedule.user_id == user.id)
        .order_by(ReportSchedule.next_run_at, ReportSchedule.id)
    )
    return list(db.session.scalars(query))


def schedule_of(user, schedule_id) -> ReportSchedule | None:
    """`user`'s schedule `schedule_id`; None for another user's (never shown to others)."""
    schedule = db.session.get(ReportSchedule, schedule_id)
    return schedule if schedule is not None and schedule.user_id == user.id else None


def create_schedule(
    actor,
    report_key: str,
    frequency,
    hour,
    weekday=None,
    day_of_month=None,
    filter_args: Mapping | None = None,
    now: datetime | None = None,
) -> ReportSchedule:
    """A new schedule of `actor`'s: the report `report_key` (one they may read) with the
    filter query `filter_args`, sent at `hour` in their time zone. Flushes."""
    values = _check(actor, report_key, frequency, weekday, day_of_month, hour, filter_args)
    count = db.session.scalar(sa.select(sa.func.count()).where(ReportSchedule.user_id == actor.id))
    if count >= MAX_PER_USER:
        raise RecordInvalid(
            {
                "report_key": gettext(
                    "You have %(max)d scheduled reports already; delete one to add another.",
                    max=MAX_PER_USER,
                )
            }
        )
    schedule = ReportSchedule(user_id=actor.id, **values)
    schedule.next_run_at = _next(schedule, actor, now)
    db.session.add(schedule)
    db.session.flush()
    return schedule


def update_schedule(schedule: ReportSchedule, actor, now: datetime | None = None, **fields):
    """Change `actor`'s own schedule (any of the fields `create_schedule` takes, and
    `is_active`); its next run is worked out again. Flushes."""
    if schedule.user_id != actor.id:
        raise LookupError("not this user's schedule")
    current = {
        "report_key": schedule.report_key,
        "frequency": schedule.frequency,
        "hour": schedule.hour,
        "weekday": schedule.weekday,
        "day_of_month": schedule.day_of_month,
        "filter_args": schedule.filters,
    }
    unknown = set(fields) - set(current) - {"is_active"}
    if unknown:
        raise TypeError(f"unknown schedule fields {sorted(unknown)}")
    wanted = current | {name: fields[name] for name in current if name in fields}
    values = _check(actor, **wanted)
    for name, value in values.items():
        setattr(schedule, name, value)
    if "is_active" in fields:
        schedule.is_active = bool(fields["is_active"])
    schedule.next_run_at = _next(schedule, actor, now)
    db.session.flush()
    return schedule


def delete_schedule(schedule: ReportSchedule, actor) -> None:
    """Delete `actor`'s own schedule. Flushes."""
    if schedule.user_id != actor.id:
        raise LookupError("not this user's schedule")
    db.session.delete(schedule)
    db.session.flush()


def _next(schedule: ReportSchedule, owner, now: datetime | None) -> datetime:
    return next_run_at(
        schedule.frequency,
        schedule.weekday,
        schedule.day_of_month,
        schedule.hour,
        timezones.user_zone(owner),
        now or utcnow(),
    )


def describe(schedule: ReportSchedule) -> str:
    """When the schedule sends, in words of the current locale ("Every Monday at 07:00")."""
    at = f"{schedule.hour:02d}:00"
    if schedule.frequency is ScheduleFrequency.DAILY:
        return gettext("Every day at %(time)s", time=at)
    if schedule.frequency is ScheduleFrequency.WEEKLY:
        day = get_day_names("wide", locale=get_locale())[schedule.weekday]
        return gettext("Every %(weekday)s at %(time)s", weekday=day, time=at)
    return gettext("On day %(day)d of every month at %(time)s", day=schedule.day_of_month, time=at)


# -- The sweep's steps (app.jobs.reports.send_scheduled_reports) ---------------------------


def due_ids(now: datetime, limit: int) -> list[int]:
    """Active schedules of active users whose next run has come, oldest due first."""
    query = (
        sa.select(ReportSchedule.id)
        .join(User, User.id == ReportSchedule.user_id)
        .where(
            ReportSchedule.is_active.is_(True),
            ReportSchedule.next_run_at <= now,
            User.is_active.is_(True),
        )
        .order_by(ReportSchedule.next_run_at, ReportSchedule.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def claim(schedule_id: int, now: datetime) -> ReportSchedule | None:
    """Move a due schedule's next run on, if no other sweep did since it was read: the
    schedule when this sweep is the one to send it, else None. Commits, so the claim holds
    even if the sending then fails (a due time is sent at most once)."""
    schedule = db.session.get(ReportSchedule, schedule_id)
    if schedule is None or schedule.next_run_at > now:
        return None
    owner = db.session.get(User, schedule.user_id)
    due, following = schedule.next_run_at, _next(schedule, owner, now)
    claimed = db.session.execute(
        sa.update(ReportSchedule)
        .where(ReportSchedule.id == schedule_id, ReportSchedule.next_run_at == due)
        .values(next_run_at=following)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if claimed.rowcount != 1:
        return None
    db.session.refresh(schedule)
    return schedule


def owner_today(owner, now: datetime) -> date:
    """The date in the owner's time zone: the day their relative periods count from."""
    return now.astimezone(timezones.user_zone(owner)).date()


def build_email(schedule: ReportSchedule, owner, counted: Counted, pdf: bytes):
    """The plain-text message carrying the PDF to its owner, in their language, with links
    to the report's page and to their schedules."""
    with force_locale(owner.locale):
        subject = gettext("%(report)s: your scheduled report", report=counted.title)
        period = gettext(
            "%(start)s to %(end)s",
            start=format_date(counted.filters.start),
            end=format_date(counted.filters.last_day),
        )
        report_url = url_for(
            "reports.show", key=counted.report.key, _external=True, **counted.filters.args()
        )
        lines = [
            gettext("Hello %(name)s,", name=owner.name),
            "",
            gettext(
                "Attached is %(report)s for %(period)s, as you asked: %(when)s.",
                report=counted.title,
                period=period,
                when=describe(schedule),
            ),
            "",
            gettext("See it in Rapport: %(url)s", url=report_url),
            gettext(
                "Change or stop this email: %(url)s",
                url=url_for("reports.schedules", _external=True),
            ),
        ]
    message = mail.build_message(owner.email, subject, "\n".join(lines) + "\n")
    message.add_attachment(
        pdf, maintype="application", subtype="pdf", filename=counted.download_name
    )
    return message


def record_run(schedule_id: int, sent_at: datetime | None = None, error: str = "") -> None:
    """Note how the last run went: sent (and when) or the reason it was not. Core SQL on
    purpose: bookkeeping, not a change the audit trail should list every day."""
    values = {"last_error": error[:ERROR_LENGTH]}
    if sent_at is not None:
        values["last_sent_at"] = sent_at
    db.session.execute(
        sa.update(ReportSchedule)
        .where(ReportSchedule.id == schedule_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
