"""The SLA clock: policy by tier, due times worked out by hand (09:00-17:00 Monday to
Friday, UTC; Friday 27 November 2026, Monday 30 November a holiday), pauses while PENDING,
and the breach sweep that records, escalates and warns once."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.customers import Customer
from app.models.identity import Role
from app.models.service import (
    BusinessCalendar,
    CalendarHoliday,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    TicketPriority,
    TicketStatus,
)
from app.services import sla, tickets
from tests.factories import make_customer, make_team, make_ticket, make_user

OFFICE_HOURS = {str(day): [["09:00", "17:00"]] for day in range(1, 6)}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_calendar(holidays=(), **fields) -> BusinessCalendar:
    fields.setdefault("name", f"Calendar {fields.get('team_id')}")
    fields.setdefault("hours", OFFICE_HOURS)
    calendar = BusinessCalendar(**fields)
    calendar.holidays = [CalendarHoliday(day=day, name="Holiday") for day in holidays]
    db.session.add(calendar)
    db.session.commit()
    return calendar


def make_policy(priority=TicketPriority.MEDIUM, tier="", **fields) -> SlaPolicy:
    fields.setdefault("first_response_minutes", 180)
    fields.setdefault("resolution_minutes", 16 * 60)
    policy = SlaPolicy(
        name=f"{priority.value} {tier}", priority=priority, customer_tier=tier, **fields
    )
    db.session.add(policy)
    db.session.commit()
    return policy


def opened_at(ticket, moment: datetime):
    """Pretend the ticket was opened at `moment` and start its clock again."""
    ticket.created_at = moment
    sla.start_clock(ticket)
    db.session.commit()
    return ticket


@pytest.fixture
def now(monkeypatch):
    """Set the SLA clock's idea of now: now.at(datetime)."""

    class Clock:
        def at(self, moment):
            monkeypatch.setattr(sla, "_now", lambda: moment)

    return Clock()


def test_policy_by_customer_tier_else_any_customer():
    agent = make_user(Role.SUPPORT)
    anyone = make_policy(tier="")
    tier_a = make_policy(tier="A", first_response_minutes=60)
    make_policy(tier="B", is_active=False)
    make_policy(priority=TicketPriority.HIGH, tier="A")
    customers = {tier: make_customer(agent) for tier in ("A", "B", "C")}
    for tier, customer in customers.items():
        db.session.get(Customer, customer.id).abc_class = tier
    db.session.commit()

    assert sla.policy_for(make_ticket(agent, customer_id=customers["A"].id)) == tier_a
    assert sla.policy_for(make_ticket(agent, customer_id=customers["B"].id)) == anyone
    assert sla.policy_for(make_ticket(agent, customer_id=customers["C"].id)) == anyone
    assert sla.policy_for(make_ticket(agent)) == anyone
    assert sla.policy_for(make_ticket(agent, priority="LOW")) is None


def test_calendar_is_the_teams_else_the_default_else_around_the_clock():
    team, other = make_team(), make_team()
    agent = make_user(Role.SUPPORT, team=team)
    ticket = make_ticket(agent, team_id=other.id)
    assert sla.calendar_for(ticket) is None
    default = make_calendar(name="Default", is_default=True)
    assert sla.calendar_for(ticket) == default
    own = make_calendar(name="Team", team_id=other.id, time_zone="Asia/Taipei")
    assert sla.calendar_for(ticket) == own


def test_due_times_at_creation_across_a_weekend_and_a_holiday():
    make_calendar(name="Office", is_default=True, holidays=[date(2026, 11, 30)])
    policy = make_policy()
    ticket = make_ticket()
    assert ticket.sla_policy_id == policy.id
    assert ticket.first_response_due_at == sla.add_business_minutes(
        sla.calendar_for(ticket), ticket.created_at, 180
    )

    opened_at(ticket, utc(2026, 11, 27, 16))  # Friday 16:00
    # 1 h on Friday, none at the weekend or on Monday's holiday, 2 h on Tuesday.
    assert ticket.first_response_due_at == utc(2026, 12, 1, 11)
    # 16 h: Friday 1 h, Tuesday 8 h, Wednesday 7 h.
    assert ticket.resolution_due_at == utc(2026, 12, 2, 16)


def test_a_team_calendar_in_taipei():
    team = make_team()
    make_calendar(name="Taipei", team_id=team.id, time_zone="Asia/Taipei")
    make_policy(first_response_minutes=120)
    ticket = opened_at(make_ticket(make_user(Role.SUPPORT, team=team)), utc(2026, 11, 27, 8))
    # Friday 16:00 in Taipei: 1 h on Friday, 1 h on Monday = Monday 10:00 (02:00 UTC).
    assert ticket.first_response_due_at == utc(2026, 11, 30, 2)


def test_without_a_policy_there_are_no_due_times():
    ticket = make_ticket()
    assert ticket.sla_policy_id is None
    assert ticket.first_response_due_at is None and ticket.resolution_due_at is None


def test_a_priority_change_recounts_from_creation():
    make_calendar(name="Office", is_default=True)
    make_policy(first_response_minutes=480)
    urgent = make_policy(priority=TicketPriority.URGENT, first_response_minutes=60)
    agent = make_user(Role.SUPPORT)
    ticket = opened_at(make_ticket(agent), utc(2026, 11, 27, 16))
    tickets.update_ticket(ticket, agent, priority="URGENT")
    assert ticket.sla_policy_id == urgent.id
    assert ticket.first_response_due_at == utc(2026, 11, 27, 17)
    # No policy for LOW: the ticket keeps its targets.
    tickets.update_ticket(ticket, agent, priority="LOW")
    assert ticket.sla_policy_id == urgent.id
    assert ticket.first_response_due_at == utc(2026, 11, 27, 17)


def test_pending_pushes_due_times_by_exactly_the_paused_business_time(now):
    make_calendar(name="Office", is_default=True)
    make_policy()
    agent = make_user(Role.SUPPORT)
    ticket = opened_at(make_ticket(agent), utc(2026, 12, 1, 10))  # Tuesday 10:00
    assert ticket.first_response_due_at == utc(2026, 12, 1, 13)
    assert ticket.resolution_due_at == utc(2026, 12, 3, 10)

    now.at(utc(2026, 12, 1, 16))
    tickets.set_status(ticket, agent, "PENDING")
    assert ticket.sla_paused_at == utc(2026, 12, 1, 16)
    now.at(utc(2026, 12, 2, 11, 30))  # Wednesday 11:30: paused 1 h + 2 h 30 of business time
    tickets.set_status(ticket, agent, "IN_PROGRESS")
    assert ticket.sla_paused_at is None
    assert ticket.first_response_due_at == utc(2026, 12, 1, 16, 30)  # 13:00 + 3 h 30
    assert ticket.resolution_due_at == utc(2026, 12, 3, 13, 30)


def test_an_answered_ticket_only_pushes_the_resolution(now):
    make_policy()
    agent = make_user(Role.SUPPORT)
    ticket = opened_at(make_ticket(agent), utc(2026, 12, 1, 10))  # 24x7: no calendar
    now.at(utc(2026, 12, 1, 10, 30))
    tickets.add_comment(ticket, agent, "Could you send a screenshot?")
    tickets.set_status(ticket, agent, "PENDING")
    now.at(utc(2026, 12, 1, 12, 30))
    tickets.set_status(ticket, agent, "OPEN")
    assert ticket.first_response_due_at == utc(2026, 12, 1, 13)
    assert ticket.resolution_due_at == utc(2026, 12, 2, 4)  # 10:00 + 16 h + 2 h


def test_late_resolution_and_first_response_are_recorded_when_they_happen(smtp):
    make_policy(first_response_minutes=1, resolution_minutes=2)
    agent = make_user(Role.SUPPORT)
    ticket = opened_at(make_ticket(agent), datetime.now(UTC) - timedelta(hours=1))
    tickets.add_comment(ticket, agent, "On it.")
    tickets.set_status(ticket, agent, "RESOLVED")
    db.session.commit()
    assert {b.target for b in db.session.scalars(sa.select(SlaBreach))} == {
        SlaTarget.FIRST_RESPONSE,
        SlaTarget.RESOLUTION,
    }
    assert sla.check_breaches() == {"breaches": 0, "warnings": 0}
    assert smtp == []


def _escalation_setup(**policy_fields):
    team = make_team()
    agent = make_user(Role.SUPPORT, team=team, email="agent@example.com")
    lead = make_user(Role.MANAGER, team=team, email="lead@example.com", locale="zh_Hant")
    make_user(Role.MANAGER, email="elsewhere@example.com")
    policy = make_policy(**policy_fields)
    ticket = make_ticket(agent, team_id=team.id, owner_id=agent.id)
    return agent, lead, policy, ticket


def test_a_breach_is_recorded_and_escalated_once_across_runs(smtp):
    agent, lead, policy, ticket = _escalation_setup(raise_priority_on_breach=True)
    opened_at(ticket, datetime.now(UTC) - timedelta(hours=4))  # first response 1 h overdue

    assert sla.check_breaches()["breaches"] == 1
    db.session.commit()
    assert sla.check_breaches() == {"breaches": 0, "warnings": 0}
    db.session.commit()

    breaches = db.session.scalars(sa.select(SlaBreach)).all()
    assert [(b.ticket_id, b.target, b.assignee_id) for b in breaches] == [
        (ticket.id, SlaTarget.FIRST_RESPONSE, agent.id)
    ]
    assert sorted(message["To"] for message in smtp) == ["agent@example.com", "lead@example.com"]
    to_agent = next(m for m in smtp if m["To"] == "agent@example.com")
    assert ticket.number in to_agent["Subject"] and "first response" in to_agent.get_content()
    db.session.refresh(ticket)
    assert ticket.priority is TicketPriority.HIGH  # raised one step, once
    assert ticket.sla_policy_id == policy.id  # no HIGH policy: the targets stay


def test_no_priority_raise_unless_the_policy_says_so(smtp):
    _, _, _, ticket = _escalation_setup()
    opened_at(ticket, datetime.now(UTC) - timedelta(hours=4))
    sla.check_breaches()
    db.session.commit()
    assert ticket.priority is TicketPriority.MEDIUM


def test_a_paused_or_resolved_ticket_is_not_breached(smtp):
    agent, _, _, ticket = _escalation_setup()
    tickets.set_status(ticket, agent, "PENDING")
    opened_at(ticket, datetime.now(UTC) - timedelta(days=3))
    assert sla.check_breaches()["breaches"] == 0
    assert smtp == []


def test_the_assignee_is_warned_once_before_a_due_time(smtp):
    agent, _, _, ticket = _escalation_setup(warn_before_minutes=60)
    opened_at(ticket, datetime.now(UTC) - timedelta(minutes=150))  # 30 min left

    assert sla.check_breaches() == {"breaches": 0, "warnings": 1}
    db.session.commit()
    assert sla.check_breaches() == {"breaches": 0, "warnings": 0}
    assert [m["To"] for m in smtp] == ["agent@example.com"]
    assert "SLA warning" in smtp[0]["Subject"]
    assert ticket.sla_warned_at is not None
    assert ticket.status is TicketStatus.OPEN


def test_a_breach_recorded_meanwhile_by_another_sweep_is_not_escalated_again(smtp, monkeypatch):
    agent, _, _, ticket = _escalation_setup(raise_priority_on_breach=True)
    opened_at(ticket, datetime.now(UTC) - timedelta(hours=4))
    db.session.add(
        SlaBreach(ticket_id=ticket.id, target=SlaTarget.FIRST_RESPONSE,
                  due_at=ticket.first_response_due_at)
    )  # fmt: skip
    db.session.commit()
    # As if the other sweep committed between our check and our insert.
    monkeypatch.setattr(sla, "is_recorded", lambda ticket, target: False)

    assert sla.record_breach(ticket, SlaTarget.FIRST_RESPONSE, utc(2026, 1, 1)) is None
    assert sla.check_breaches()["breaches"] == 0
    db.session.commit()
    assert smtp == [] and ticket.priority is TicketPriority.MEDIUM
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SlaBreach)) == 1
