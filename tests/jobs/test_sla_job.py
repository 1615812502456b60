"""The SLA sweep as the cron scheduler runs it: through a real RQ worker, registered every
five minutes, and escalating a breach once however often it runs."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from rq.cron import CronScheduler

from app import queues
from app.extensions import db
from app.jobs.cron import register_periodic_jobs
from app.jobs.sla import check_sla
from app.models.identity import Role
from app.models.records import AuditEntry
from app.models.service import SlaBreach, SlaPolicy, Ticket, TicketPriority
from tests.factories import make_team, make_ticket, make_user


def _sweep(worker):
    job = queues.enqueue(check_sla, actor=None, title="SLA")
    worker()
    job.refresh()
    assert job.is_finished, job.latest_result().exc_string if job.latest_result() else job
    return job.return_value()


def test_the_sweep_is_registered_every_five_minutes():
    scheduler = CronScheduler(connection=queues.connection())
    register_periodic_jobs(scheduler)
    crons = {job.func_name: job.cron for job in scheduler.get_jobs()}
    assert crons["app.jobs.sla.check_sla"] == "*/5 * * * *"


def test_the_job_escalates_a_breach_once(worker, smtp):
    team = make_team()
    agent = make_user(Role.SUPPORT, team=team, email="agent@example.com")
    make_user(Role.MANAGER, team=team, email="lead@example.com")
    db.session.add(
        SlaPolicy(
            name="Medium",
            priority=TicketPriority.MEDIUM,
            first_response_minutes=60,
            resolution_minutes=480,
            raise_priority_on_breach=True,
        )
    )
    db.session.commit()
    ticket = make_ticket(agent, team_id=team.id, owner_id=agent.id)
    ticket.first_response_due_at = datetime.now(UTC) - timedelta(minutes=5)
    db.session.commit()

    assert _sweep(worker) == {"breaches": 1, "warnings": 0}
    assert _sweep(worker) == {"breaches": 0, "warnings": 0}

    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaBreach)) == 1
    assert len(smtp) == 2
    assert db.session.get(Ticket, ticket.id).priority is TicketPriority.HIGH
    raised = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "tickets")
    ).all()
    assert any(entry.source == "job" for entry in raised)
