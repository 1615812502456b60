"""The reminder sweep emails each owner once about their due items, in their language,
and a second sweep sends nothing more."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from rq.cron import CronScheduler

from app import queues
from app.extensions import db
from app.jobs.cron import register_periodic_jobs
from app.jobs.reminders import send_due_reminders
from app.models.activities import Activity
from app.models.base import utcnow
from app.models.identity import Role
from app.services import activities
from tests.factories import make_activity, make_user


def _sweep(worker):
    job = queues.enqueue(send_due_reminders, actor=None, title="Reminders")
    worker()
    job.refresh()
    assert job.is_finished, job.latest_result().exc_string if job.latest_result() else job
    return job.return_value()


def test_one_email_per_owner_listing_their_due_items_and_never_twice(worker, smtp):
    now = utcnow()
    rita = make_user(Role.SALES, name="Rita", email="rita@example.com")
    wei = make_user(Role.SALES, name="Wei", email="wei@example.com", locale="zh_Hant")
    make_activity(rita, subject="Call Acme", due_at=now + timedelta(hours=1), remind_at=now)
    make_activity(rita, subject="Send quote", due_at=now, remind_at=now - timedelta(hours=1))
    make_activity(
        rita, subject="Later", due_at=now + timedelta(days=2), remind_at=now + timedelta(days=1)
    )
    done = make_activity(
        rita, subject="Done already", due_at=now, remind_at=now - timedelta(minutes=5)
    )
    activities.complete(done, rita)
    make_activity(
        wei, kind="MEETING", subject="Demo", occurred_at=now + timedelta(minutes=30), remind_at=now
    )
    db.session.commit()

    assert _sweep(worker) == 2
    assert _sweep(worker) == 0
    assert len(smtp) == 2
    by_recipient = {message["To"]: message for message in smtp}
    rita_mail = by_recipient["rita@example.com"].get_content()
    assert "Call Acme" in rita_mail and "Send quote" in rita_mail
    assert "Later" not in rita_mail and "Done already" not in rita_mail
    assert "http://rapport.test/tasks" in rita_mail
    assert "Demo" in by_recipient["wei@example.com"].get_content()
    assert by_recipient["rita@example.com"]["Subject"] == "Reminder: 2 items are due"
    pending = db.session.scalars(sa.select(Activity).where(Activity.reminded_at.is_(None)))
    assert sorted(a.subject for a in pending) == ["Done already", "Later"]


def test_deactivated_owners_get_no_reminders(worker, smtp):
    gone = make_user(Role.SALES, email="gone@example.com")
    make_activity(gone, due_at=utcnow(), remind_at=utcnow() - timedelta(minutes=1))
    gone.is_active = False
    db.session.commit()
    assert _sweep(worker) == 0 and smtp == []


def test_snoozing_arms_the_reminder_again(worker, smtp):
    rep = make_user(Role.SALES, email="rep@example.com")
    due = utcnow() + timedelta(minutes=10)
    task = make_activity(rep, due_at=due, remind_at=due - timedelta(hours=2))
    assert _sweep(worker) == 1
    task = db.session.get(Activity, task.id)
    activities.snooze(task, rep, due + timedelta(minutes=10))
    db.session.commit()
    # The reminder moved ten minutes with the task, still in the past: it goes out again.
    assert _sweep(worker) == 1 and len(smtp) == 2


def test_the_sweep_runs_every_five_minutes():
    scheduler = CronScheduler(connection=queues.connection())
    register_periodic_jobs(scheduler)
    crons = {job.func_name: job.cron for job in scheduler.get_jobs()}
    assert crons["app.jobs.reminders.send_due_reminders"] == "*/5 * * * *"


def test_a_claimed_item_cannot_be_claimed_by_a_second_sweep():
    from app.jobs.reminders import _claim

    rep = make_user(Role.SALES)
    task = make_activity(rep, due_at=utcnow(), remind_at=utcnow() - timedelta(minutes=1))
    now = utcnow()
    assert _claim(now) == [task.id]
    # A sweep that started at the same moment finds the row taken by the first one.
    assert _claim(now) == []


def test_the_email_shows_due_times_in_the_owners_time_zone(worker, smtp):
    taipei = make_user(Role.SALES, email="tina@example.com", time_zone="Asia/Taipei")
    due = datetime(2030, 3, 1, 1, 0, tzinfo=UTC)  # 09:00 in Taipei
    make_activity(taipei, subject="Board pack", due_at=due, remind_at=utcnow())
    assert _sweep(worker) == 1
    text = smtp[0].get_content()
    assert "Board pack (3/1/30, 9:00\u202fAM Asia/Taipei)" in text
