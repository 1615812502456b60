"""The reminder sweep: one email per owner listing their tasks and meetings now due, in
the owner's language and time zone.

Rows are claimed with `UPDATE ... SET reminded_at WHERE reminded_at IS NULL` and the claim
is committed before anything is sent, so two sweeps running together never email the same
item twice. If an owner's email cannot be sent, their claim is released for the next run.
"""

from __future__ import annotations

import smtplib
from collections import defaultdict

import sqlalchemy as sa
from flask import render_template, url_for
from flask_babel import force_locale, gettext, ngettext

from app import timezones
from app.extensions import db
from app.jobs import background_job, finish, report_progress
from app.models.activities import Activity, ActivityStatus
from app.models.base import utcnow
from app.models.identity import User
from app.services import mail

BATCH_SIZE = 1000


def _claim(now) -> list[int]:
    """Mark up to BATCH_SIZE due, unreminded open items of active users; their ids."""
    due = (
        sa.select(Activity.id)
        .join(User, User.id == Activity.owner_id)
        .where(
            Activity.status == ActivityStatus.OPEN,
            Activity.remind_at <= now,
            Activity.reminded_at.is_(None),
            User.is_active.is_(True),
        )
        .limit(BATCH_SIZE)
    )
    claimed = db.session.execute(
        sa.update(Activity)
        .where(Activity.id.in_(due), Activity.reminded_at.is_(None))
        .values(reminded_at=now)
        .returning(Activity.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(claimed.scalars())
    db.session.commit()
    return ids


def _message(owner: User, items: list[Activity]):
    with force_locale(owner.locale):
        subject = ngettext(
            "Reminder: %(num)d item is due", "Reminder: %(num)d items are due", len(items)
        )
        text = render_template(
            "activities/reminder_email.txt",
            owner=owner,
            items=items,
            zone=timezones.user_zone(owner),
            zone_name=timezones.zone_name(owner),
            tasks_url=url_for("activities.tasks", _external=True),
            intro=gettext("These tasks and meetings are coming up or overdue:"),
        )
    return mail.build_message(owner.email, subject, text)


def _release(ids: list[int]) -> None:
    """Unclaim items whose email did not go out, committed even if the job then fails."""
    if not ids:
        return
    db.session.execute(
        sa.update(Activity)
        .where(Activity.id.in_(ids))
        .values(reminded_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


@background_job
def send_due_reminders(*, actor=None) -> int:
    """Email every owner whose reminders are due; returns how many emails went out."""
    ids = _claim(utcnow())
    if not ids:
        finish(message="nothing due")
        return 0
    by_owner: dict[int, list[Activity]] = defaultdict(list)
    rows = db.session.scalars(
        sa.select(Activity).where(Activity.id.in_(ids)).order_by(Activity.due_at, Activity.id)
    )
    for item in rows:
        by_owner[item.owner_id].append(item)
    owners = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(by_owner)))}
    handled: set[int] = set()
    sent = 0
    try:
        with mail.smtp_connection() as server:
            for done, (owner_id, items) in enumerate(by_owner.items(), start=1):
                try:
                    server.send_message(_message(owners[owner_id], items))
                    sent += 1
                except smtplib.SMTPRecipientsRefused:
                    pass  # a bounce: not retried, and the others still go out
                handled.add(owner_id)
                report_progress(done, len(by_owner))
    finally:
        # What was not handed to the server (the connection failed) is tried again next
        # sweep; the error still fails the job, so it shows on the jobs page.
        _release([item.id for o, items in by_owner.items() if o not in handled for item in items])
    finish(message=f"{sent} sent")
    return sent
