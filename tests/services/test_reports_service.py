"""Service reports against a small hand-made data set whose answers were worked out by hand:
ticket volume, backlog at month ends (a reopened ticket was resolved in between), resolution
and first response times (means and exact medians), SLA attainment (an escalated ticket's
missed target stays with the policy it was missed under) and CSAT with NPS; with a reassigned
ticket, a ticket nobody answered, one resolved without a reply, and readers who see only
their team's queue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app import permissions
from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.records import AuditAction, AuditEntry
from app.models.service import (
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    SurveyKind,
    SurveyResponse,
    TicketCategory,
    TicketComment,
    TicketPriority,
    TicketStatus,
)
from app.services import reports, tickets
from app.services.reports import service_tickets
from tests.factories import make_contact, make_customer, make_team, make_ticket, make_user

TODAY = date(2026, 6, 15)
Q1 = {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}
EMPTY = {"period": "custom", "start": "2024-01-01", "end": "2024-03-31"}


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def run(key, actor, args, today=TODAY):
    report = reports.get(key)
    filters, errors = report.parse_filters(args, today=today)
    assert errors == {}
    return reports.run(report, filters, actor)


def figures(result) -> dict:
    return {figure.label: figure.value for figure in result.figures}


class Desk:
    """The data set: two teams, their agents and eight tickets (see `desk`)."""


def _ticket(desk, created, owner, team, priority, channel, category=None, **times):
    ticket = make_ticket(desk.admin, subject=f"Ticket {created:%m-%d}", priority=priority,
                         channel=channel)  # fmt: skip
    ticket.created_at = created
    ticket.owner_id = owner.id if owner else None
    ticket.team_id = team.id
    ticket.category_id = category.id if category else None
    for name, value in times.items():
        setattr(ticket, name, value)
    if ticket.resolved_at is not None:
        ticket.status = TicketStatus.CLOSED if ticket.closed_at else TicketStatus.RESOLVED
    db.session.flush()
    return ticket


def _comment(ticket, moment, user=None, internal=False):
    if user is not None and not internal and ticket.first_responder_id is None:
        ticket.first_responder_id = user.id  # as tickets.add_comment records it
    db.session.add(
        TicketComment(
            ticket_id=ticket.id,
            author_user_id=user.id if user else None,
            is_internal=internal,
            body="…",
            created_at=moment,
        )  # fmt: skip
    )


def _breach(ticket, target, due, policy):
    db.session.add(SlaBreach(ticket_id=ticket.id, target=target, due_at=due,
                             breached_at=due, policy_id=policy.id))  # fmt: skip


def _survey(ticket, agent, sent, score=None, kind=SurveyKind.CSAT):
    db.session.add(
        SurveyResponse(
            kind=kind,
            ticket_id=ticket.id if ticket else None,
            agent_id=agent.id if agent else None,
            sent_at=sent,
            score=score,
            answered_at=sent if score is not None else None,
        )  # fmt: skip
    )


@pytest.fixture
def desk():
    d = Desk()
    d.support, d.other = make_team("Support"), make_team("Other")
    d.admin = make_user(Role.ADMIN)
    d.amy = make_user(Role.SUPPORT, team=d.support, name="Amy")
    d.ben = make_user(Role.SUPPORT, team=d.support, name="Ben")
    d.cho = make_user(Role.SUPPORT, team=d.other, name="Cho")
    d.manager = make_user(Role.MANAGER, team=d.support, name="Max")
    billing, outage = TicketCategory(name="Billing"), TicketCategory(name="Outage")
    high = SlaPolicy(name="High", priority=TicketPriority.HIGH, first_response_minutes=240,
                     resolution_minutes=720)  # fmt: skip
    medium = SlaPolicy(name="Medium", priority=TicketPriority.MEDIUM, first_response_minutes=30,
                       resolution_minutes=2880)  # fmt: skip
    urgent = SlaPolicy(name="Urgent", priority=TicketPriority.URGENT, first_response_minutes=15,
                       resolution_minutes=240)  # fmt: skip
    db.session.add_all([billing, outage, high, medium, urgent])
    db.session.flush()
    S, O = d.support, d.other  # noqa: N806, E741
    # t1: answered by Amy in 2 h (after Ben's internal note), resolved in 24 h, late.
    d.t1 = _ticket(d, at(1, 10), d.amy, S, "HIGH", "EMAIL", billing,
                   first_responded_at=at(1, 10, 2), resolved_at=at(1, 11), sla_policy_id=high.id,
                   first_response_due_at=at(1, 10, 4), resolution_due_at=at(1, 10, 12))  # fmt: skip
    _comment(d.t1, at(1, 10, 0, 30), d.ben, internal=True)
    _comment(d.t1, at(1, 10, 2), d.amy)
    _breach(d.t1, SlaTarget.RESOLUTION, at(1, 10, 12), high)
    # t2: Ben answered in 4 h, then it was reassigned to Amy, who resolved it in 300 h.
    d.t2 = _ticket(d, at(1, 20), d.amy, S, "MEDIUM", "PHONE", billing,
                   first_responded_at=at(1, 20, 4), resolved_at=at(2, 1, 12),
                   sla_policy_id=medium.id, first_response_due_at=at(1, 20, 8),
                   resolution_due_at=at(2, 5))  # fmt: skip
    _comment(d.t2, at(1, 20, 1))  # the customer's follow-up
    _comment(d.t2, at(1, 20, 4), d.ben)
    _comment(d.t2, at(1, 22), d.amy)
    # t3: medium when its first reply came late (1 h, due after 30 min), escalated to
    # urgent; resolved on 2 Feb, reopened on 5 Mar, resolved for good on 6 Mar (792 h).
    d.t3 = _ticket(d, at(2, 1), d.ben, S, "URGENT", "EMAIL", outage,
                   first_responded_at=at(2, 1, 1), resolved_at=at(3, 6),
                   sla_policy_id=urgent.id, first_response_due_at=at(2, 1, 0, 15),
                   resolution_due_at=at(2, 1, 4))  # fmt: skip
    _comment(d.t3, at(2, 1, 1), d.ben)
    _breach(d.t3, SlaTarget.FIRST_RESPONSE, at(2, 1, 0, 30), medium)
    _breach(d.t3, SlaTarget.RESOLUTION, at(2, 1, 4), urgent)
    db.session.add(
        AuditEntry(
            at=at(3, 5),
            action=AuditAction.UPDATE,
            entity_type="tickets",
            entity_id=str(d.t3.id),
            label="t3",
            changes={"status": ["RESOLVED", "OPEN"], "resolved_at": [at(2, 2).isoformat(), None]},
        )  # fmt: skip
    )
    # t4: nobody has answered Ben's chat yet; no SLA policy for low priority.
    d.t4 = _ticket(d, at(3, 10), d.ben, S, "LOW", "CHAT")
    # t5: unassigned in the Support queue, unanswered, its first reply overdue.
    d.t5 = _ticket(d, at(3, 20), None, S, "MEDIUM", "WEB", outage, sla_policy_id=medium.id,
                   first_response_due_at=at(3, 20, 8), resolution_due_at=at(4, 5))  # fmt: skip
    # t6: the other team's: Cho answered in 6 h (late), resolved in 24 h.
    d.t6 = _ticket(d, at(1, 15), d.cho, O, "HIGH", "EMAIL", billing,
                   first_responded_at=at(1, 15, 6), resolved_at=at(1, 16), sla_policy_id=high.id,
                   first_response_due_at=at(1, 15, 4), resolution_due_at=at(1, 17))  # fmt: skip
    _comment(d.t6, at(1, 15, 6), d.cho)
    _breach(d.t6, SlaTarget.FIRST_RESPONSE, at(1, 15, 4), high)
    # t7: created in December, resolved on 5 Jan (384 h), two days late.
    d.t7 = _ticket(d, at(12, 20, year=2025), d.amy, S, "MEDIUM", "EMAIL",
                   first_responded_at=at(12, 20, 3, year=2025), resolved_at=at(1, 5),
                   sla_policy_id=medium.id, first_response_due_at=at(12, 20, 4, year=2025),
                   resolution_due_at=at(1, 3))  # fmt: skip
    _comment(d.t7, at(12, 20, 3, year=2025), d.amy)
    _breach(d.t7, SlaTarget.RESOLUTION, at(1, 3), medium)
    # t8: closed without a public reply, 12 h after it came in.
    d.t8 = _ticket(d, at(2, 10), d.amy, S, "LOW", "PHONE", billing,
                   resolved_at=at(2, 10, 12), closed_at=at(2, 11))  # fmt: skip
    # CSAT: the agent rated is the assignee when the ticket was resolved.
    _survey(d.t1, d.amy, at(1, 11), 5)
    _survey(d.t2, d.amy, at(2, 1, 12), 2)
    _survey(d.t3, d.ben, at(2, 2), 3)
    _survey(d.t6, d.cho, at(1, 16), 5)
    _survey(d.t8, d.amy, at(2, 10, 12))  # not answered
    _survey(d.t7, d.amy, at(1, 5), 4)
    _survey(d.t6, d.cho, at(12, 30, year=2025), 1)  # before the period
    for score, sent in [(10, at(2, 15)), (9, at(2, 15)), (3, at(3, 1)), (None, at(3, 1)),
                        (0, at(5, 1))]:  # fmt: skip
        _survey(None, None, sent, score, SurveyKind.NPS)
    db.session.commit()
    return d


# -- Volume ------------------------------------------------------------------------------


def test_volume_counts_created_resolved_and_reopened_per_month_split_by_channel(desk):
    result = run("ticket-volume", desk.admin, Q1)
    # Created: Jan t1 t2 t6, Feb t3 t8, Mar t4 t5. Resolved (last resolution): Jan t1 t6
    # t7, Feb t2 t8, Mar t3 (resolved in Feb too, but reopened). Reopened: t3 in March.
    assert [(r["month"], r["created"], r["resolved"], r["reopened"]) for r in result.rows] == [
        (date(2026, 1, 1), 3, 3, 0),
        (date(2026, 2, 1), 2, 2, 0),
        (date(2026, 3, 1), 2, 1, 1),
    ]
    split = [column.label for column in result.columns[2:-2]]
    assert split == ["Email", "Phone", "Chat", "Web (portal)"]
    assert [[r[f"split_{i}"] for i in range(4)] for r in result.rows] == [
        [2, 1, 0, 0],  # t1 t6 by email, t2 by phone
        [1, 1, 0, 0],
        [0, 0, 1, 1],
    ]
    assert figures(result) == {"Created": 7, "Resolved": 6, "Reopened": 1}
    assert result.totals["created"] == 7 and result.totals["split_0"] == 3


def test_volume_split_by_category_and_the_channel_filter(desk):
    by_category = run("ticket-volume", desk.admin, {**Q1, "group": "category"})
    # Billing t1 t2 t6 t8, Outage t3 t5, none t4: the largest first.
    assert [c.label for c in by_category.columns[2:-2]] == ["Billing", "Outage", "No category"]
    assert by_category.totals["split_0"] == 4
    email = run("ticket-volume", desk.admin, {**Q1, "channel": "EMAIL"})
    # t1 t6 t3 came by email, and t7 in December: t1 t6 t7 were resolved in January, t3
    # in March.
    assert [(r["created"], r["resolved"], r["reopened"]) for r in email.rows] == [
        (2, 3, 0),
        (1, 0, 0),
        (0, 1, 1),
    ]


def test_volume_adds_up_the_smallest_groups_as_other():
    admin = make_user(Role.ADMIN)
    categories = [TicketCategory(name=f"Cat {n}") for n in range(1, 10)]
    db.session.add_all(categories)
    db.session.flush()
    for category, count in zip(categories, [3, 2, 1, 1, 1, 1, 1, 1, 1], strict=True):
        for _ in range(count):
            make_ticket(admin, category_id=category.id)
    result = run("ticket-volume", admin, {"period": "this_month", "group": "category"}, None)
    # Seven columns (the largest, then by name) and "Other" for Cat 8 and Cat 9.
    assert [c.label for c in result.columns[2:-2]] == [
        "Cat 1", "Cat 2", "Cat 3", "Cat 4", "Cat 5", "Cat 6", "Cat 7", "Other",
    ]  # fmt: skip
    assert (result.totals["split_0"], result.totals["split_other"]) == (3, 2)


def test_a_reader_sees_their_teams_queue_only(desk):
    # Amy's team: every ticket but Cho's t6, including t5 unassigned in their queue.
    amy = figures(run("ticket-volume", desk.amy, Q1))
    assert amy == {"Created": 6, "Resolved": 5, "Reopened": 1}
    # Cho's team: t6 only; the Support queue's unassigned t5 is not theirs.
    cho = run("ticket-volume", desk.cho, Q1)
    assert figures(cho) == {"Created": 1, "Resolved": 1, "Reopened": 0}
    # The admin narrowed to the Support team sees what its members see.
    team = {"team": str(desk.support.id)}
    assert figures(run("ticket-volume", desk.admin, {**Q1, **team})) == amy
    mine = figures(run("ticket-volume", desk.admin, {**Q1, "owner": str(desk.amy.id)}))
    assert mine == {"Created": 3, "Resolved": 4, "Reopened": 0}  # t1 t2 t8; t1 t2 t7 t8


def test_an_empty_period_gives_zeros_and_no_rows(desk):
    for key in reports.REPORTS:
        if reports.get(key).family != "service":
            continue
        result = run(key, desk.admin, EMPTY)
        assert result.rows == [], key
    assert figures(run("ticket-volume", desk.admin, EMPTY)) == {
        "Created": 0,
        "Resolved": 0,
        "Reopened": 0,
    }
    assert set(figures(run("resolution-time", desk.admin, EMPTY)).values()) == {0, None}
    sla = figures(run("sla-attainment", desk.admin, EMPTY))
    assert list(sla.values()) == [None, None, 0]
    csat = figures(run("csat-by-agent", desk.admin, EMPTY))
    assert csat == {"Answers": 0, "Average score": None, "Satisfied": None, "NPS": None}


# -- Backlog -----------------------------------------------------------------------------


def test_backlog_at_month_ends_counts_a_reopened_ticket_as_resolved_in_between(desk):
    result = run("ticket-backlog", desk.admin, Q1)
    # End of January: t2 (resolved 1 Feb noon). End of February: nothing; t3 was resolved
    # on 2 Feb and only reopened on 5 Mar (its last resolution, 6 Mar, alone would say
    # open). End of March: t4 and t5.
    assert [(row["month"], row["open"]) for row in result.rows] == [
        (date(2026, 1, 1), 1),
        (date(2026, 2, 1), 0),
        (date(2026, 3, 1), 2),
    ]
    assert figures(result) == {
        "Open now": 2,
        "Unassigned now": 1,  # t5
        "Open for a week or more": 2,
    }
    # A period ending on 12 March counts March at its end: t4 is open, t5 not yet come.
    to_12_march = run("ticket-backlog", desk.admin, {**Q1, "end": "2026-03-12"})
    assert [row["open"] for row in to_12_march.rows] == [1, 0, 1]
    cho = run("ticket-backlog", desk.cho, Q1)
    assert cho.rows == [] and figures(cho)["Open now"] == 0


def test_backlog_now_by_priority_and_by_age():
    admin = make_user(Role.ADMIN)
    now = utcnow()
    for hours, priority, done in [
        (2, "URGENT", False),  # under a day
        (50, "HIGH", False),  # 1 to 3 days
        (240, "HIGH", False),  # 7 to 30 days
        (1000, "LOW", False),  # 30 days and more
        (1000, "LOW", True),  # resolved: not in the backlog
    ]:
        ticket = make_ticket(admin, priority=priority)
        ticket.created_at = now - timedelta(hours=hours)
        ticket.owner_id = None if priority == "LOW" else admin.id
        if done:
            tickets.set_status(ticket, admin, "RESOLVED")
        db.session.commit()
    this_year = {"period": "this_year"}
    by_priority = run("ticket-backlog", admin, {**this_year, "group": "priority"}, today=None)
    assert [(r["group"], r["open"], r["unassigned"], r["band_0"], r["band_1"], r["band_3"],
             r["band_4"]) for r in by_priority.rows] == [
        ("Urgent", 1, 0, 1, 0, 0, 0),
        ("High", 2, 0, 0, 1, 1, 0),
        ("Medium", 0, 0, 0, 0, 0, 0),
        ("Low", 1, 1, 0, 0, 0, 1),
    ]  # fmt: skip
    by_age = run("ticket-backlog", admin, {**this_year, "group": "age"}, today=None)
    assert [(r["group"], r["open"]) for r in by_age.rows] == [
        ("Under a day", 1),
        ("1 to 3 days", 1),
        ("3 to 7 days", 0),
        ("7 to 30 days", 1),
        ("30 days and more", 1),
    ]
    assert by_age.totals["priority_HIGH"] == 2 and by_age.totals["open"] == 4
    assert figures(by_age) == {"Open now": 4, "Unassigned now": 1, "Open for a week or more": 2}


# -- Times -------------------------------------------------------------------------------


def test_resolution_time_runs_to_the_last_resolution(desk):
    result = run("resolution-time", desk.admin, Q1)
    # Resolved in Q1: t1 24 h, t2 300 h, t6 24 h, t8 12 h (Billing); t3 792 h (from 1 Feb
    # to its final resolution on 6 Mar); t7 384 h (no category, created in December).
    assert [(r["group"], r["tickets"], r["average"], r["median"]) for r in result.rows] == [
        ("Billing", 4, Decimal("90.0"), Decimal("24.0")),  # 360 / 4; (24 + 24) / 2
        ("No category", 1, Decimal("384.0"), Decimal("384.0")),
        ("Outage", 1, Decimal("792.0"), Decimal("792.0")),
    ]
    # 12 24 24 300 384 792: mean 1536 / 6, median (24 + 300) / 2.
    assert figures(result) == {
        "Tickets resolved": 6,
        "Average hours": Decimal("256.0"),
        "Median hours": Decimal("162.0"),
    }


def test_resolution_time_by_agent_counts_the_assignee_and_a_manager_their_team(desk):
    by_agent = run("resolution-time", desk.admin, {**Q1, "group": "agent"})
    # Amy: t1 24, t2 300 (reassigned to her), t7 384, t8 12 -> mean 180, median 162.
    assert [(r["group"], r["tickets"], r["average"], r["median"]) for r in by_agent.rows] == [
        ("Amy", 4, Decimal("180.0"), Decimal("162.0")),
        ("Ben", 1, Decimal("792.0"), Decimal("792.0")),
        ("Cho", 1, Decimal("24.0"), Decimal("24.0")),
    ]
    team = run("resolution-time", desk.manager, Q1)
    # Without Cho's t6: 12 24 300 384 792 -> mean 1512 / 5, median 300.
    assert figures(team)["Average hours"] == Decimal("302.4")
    assert figures(team)["Median hours"] == Decimal("300.0")
    assert team.rows[0]["median"] == Decimal("24.0")  # Billing: 12 24 300


def test_first_response_time_counts_the_first_replier_and_waiting_tickets_apart(desk):
    result = run("first-response-time", desk.admin, Q1)
    # Created in Q1: t1 (Amy replied in 2 h; Ben's internal note does not count), t2 (Ben
    # replied in 4 h; now Amy's), t3 (Ben, 1 h), t4 (waiting, Ben's), t5 (waiting,
    # unassigned), t6 (Cho, 6 h), t8 (Amy's, closed without a reply: no time, not waiting).
    assert [
        (r["group"], r["created"], r["tickets"], r["average"], r["median"], r["waiting"])
        for r in result.rows
    ] == [
        ("Ben", 3, 2, Decimal("2.5"), Decimal("2.5"), 1),
        ("Amy", 2, 1, Decimal("2.0"), Decimal("2.0"), 0),
        ("Cho", 1, 1, Decimal("6.0"), Decimal("6.0"), 0),
        ("Unassigned", 1, 0, None, None, 1),
    ]
    # 1 2 4 6: mean 13 / 4 = 3.25, median (2 + 4) / 2.
    assert figures(result) == {
        "Tickets created": 7,
        "Average hours": Decimal("3.3"),
        "Median hours": Decimal("3.0"),
        "Waiting for a first reply": 2,
    }
    assert result.notes[0].startswith("1 ticket was resolved without a public reply")


def test_first_response_time_by_category_for_a_manager(desk):
    result = run("first-response-time", desk.manager, {**Q1, "group": "category"})
    # Billing t1 2 h, t2 4 h, t8 none; Outage t3 1 h, t5 waiting; none: t4 waiting.
    assert [(r["group"], r["created"], r["tickets"], r["median"], r["waiting"])
            for r in result.rows] == [
        ("Billing", 3, 2, Decimal("3.0"), 0),
        ("Outage", 2, 1, Decimal("1.0"), 1),
        ("No category", 1, 0, None, 1),
    ]  # fmt: skip


def test_the_median_of_an_even_and_an_odd_count(desk):
    # Two more answered tickets of Cho's: 6 h (t6), 10 h and 30 h -> median 10, mean 15.3;
    # with a fourth of 11 h: (10 + 11) / 2.
    for hours in (10, 30):
        _ticket(desk, at(3, 1), desk.cho, desk.other, "LOW", "SOCIAL",
                first_responded_at=at(3, 1) + timedelta(hours=hours))  # fmt: skip
    db.session.commit()
    rows = {r["group"]: r for r in run("first-response-time", desk.cho, Q1).rows}
    assert (rows["Cho"]["median"], rows["Cho"]["average"]) == (Decimal("10.0"), Decimal("15.3"))
    _ticket(desk, at(3, 2), desk.cho, desk.other, "LOW", "SOCIAL",
            first_responded_at=at(3, 2, 11))  # fmt: skip
    db.session.commit()
    rows = {r["group"]: r for r in run("first-response-time", desk.cho, Q1).rows}
    assert rows["Cho"]["median"] == Decimal("10.5")


# -- SLA ---------------------------------------------------------------------------------


def test_sla_attainment_by_the_priority_the_target_was_set_for(desk):
    result = run("sla-attainment", desk.admin, Q1)
    # Response targets due in Q1: t1 met, t6 missed (high); t2 met, t3 missed (under the
    # medium policy, before its escalation), t5 overdue without a breach yet (medium).
    # Resolution: t3 missed (urgent); t1 missed, t6 met (high); t2 met, t7 missed (medium).
    rows = [
        (r["group"], r["response_due"], r["response_met"], r["response_missed"],
         r["response_share"], r["resolution_due"], r["resolution_met"],
         r["resolution_missed"], r["resolution_share"])
        for r in result.rows
    ]  # fmt: skip
    assert rows == [
        ("Urgent", 0, 0, 0, None, 1, 0, 1, Decimal("0.0")),
        ("High", 2, 1, 1, Decimal("50.0"), 2, 1, 1, Decimal("50.0")),
        ("Medium", 3, 1, 1, Decimal("50.0"), 2, 1, 1, Decimal("50.0")),
    ]
    assert figures(result) == {
        "First responses on time": Decimal("50.0"),  # 2 of 4
        "Resolutions on time": Decimal("40.0"),  # 2 of 5
        "Targets missed": 5,
    }
    assert result.notes[0].startswith("1 target fell due without an outcome yet")


def test_sla_attainment_by_policy_and_by_team_for_a_manager(desk):
    by_policy = run("sla-attainment", desk.admin, {**Q1, "group": "policy"})
    shares = {r["group"]: (r["response_due"], r["resolution_due"]) for r in by_policy.rows}
    assert shares == {"Medium": (3, 2), "High": (2, 2), "Urgent": (0, 1)}
    by_team = run("sla-attainment", desk.manager, {**Q1, "group": "team"})
    # Support's queue: responses t1 t2 met, t3 missed, t5 open; resolutions t2 met, t1 t3
    # t7 missed.
    assert [(r["group"], r["response_met"], r["response_missed"], r["response_share"],
             r["resolution_met"], r["resolution_missed"], r["resolution_share"])
            for r in by_team.rows] == [
        ("Support", 2, 1, Decimal("66.7"), 1, 3, Decimal("25.0")),
    ]  # fmt: skip


# -- CSAT --------------------------------------------------------------------------------


def test_csat_by_agent_with_the_periods_nps(desk):
    result = run("csat-by-agent", desk.admin, Q1)
    # Amy: 5, 2 (t2, hers when resolved), 4, one unanswered; Ben: 3; Cho: 5 (their
    # December answer of 1 is outside the period).
    assert [
        (r["group"], r["sent"], r["answered"], r["average"], r["satisfied"], r["response_rate"])
        for r in result.rows
    ] == [
        ("Amy", 4, 3, Decimal("3.67"), Decimal("66.7"), Decimal("75.0")),
        ("Ben", 1, 1, Decimal("3.00"), Decimal("0.0"), Decimal("100.0")),
        ("Cho", 1, 1, Decimal("5.00"), Decimal("100.0"), Decimal("100.0")),
    ]
    # NPS in Q1: 10 and 9 promote, 3 detracts, one unanswered: (2 - 1) / 3.
    assert figures(result) == {
        "Answers": 5,
        "Average score": Decimal("3.80"),  # 19 / 5
        "Satisfied": Decimal("60.0"),
        "NPS": Decimal("33.3"),
    }


def test_csat_by_category_and_for_a_team(desk):
    by_category = run("csat-by-agent", desk.admin, {**Q1, "group": "category"})
    assert [(r["group"], r["answered"], r["average"]) for r in by_category.rows] == [
        ("Billing", 3, Decimal("4.00")),  # 5 2 5
        ("No category", 1, Decimal("4.00")),
        ("Outage", 1, Decimal("3.00")),
    ]
    team = figures(run("csat-by-agent", desk.manager, Q1))
    assert (team["Answers"], team["Average score"], team["Satisfied"]) == (
        4, Decimal("3.50"), Decimal("50.0"),
    )  # fmt: skip
    amy = run("csat-by-agent", desk.admin, {**Q1, "owner": str(desk.amy.id)})
    assert [r["group"] for r in amy.rows] == ["Amy"]


def test_csat_needs_the_right_to_read_survey_results(desk):
    permissions.set_grant(Role.SUPPORT, "survey", "read", permissions.Scope.NONE)
    db.session.commit()
    result = run("csat-by-agent", desk.amy, Q1)
    assert (result.rows, result.figures) == ([], [])
    assert result.notes == ["You may not read the survey results."]


def test_a_real_reopening_is_read_from_the_audit_trail():
    agent = make_user(Role.SUPPORT, team=make_team())
    customer = make_customer(agent)
    contact = make_contact(agent, customer, email="jo@example.com")
    ticket = make_ticket(agent, contact_id=contact.id)
    tickets.set_status(ticket, agent, "RESOLVED")
    db.session.commit()
    tickets.add_comment(ticket, None, "Still broken", by_contact=contact)
    db.session.commit()
    assert ticket.status is TicketStatus.OPEN
    result = run("ticket-volume", agent, {"period": "this_month"}, today=None)
    assert figures(result) == {"Created": 1, "Resolved": 0, "Reopened": 1}
    [(reopened_at, resolved_at)] = service_tickets.reopenings([], utcnow() - timedelta(hours=1))
    assert resolved_at is not None and resolved_at <= reopened_at


def test_every_service_result_survives_its_json_form(desk):
    # Stored results (scheduled emails, dashboard panels) are read back from JSON.
    for key, report in reports.REPORTS.items():
        for group in report.groups if report.family == "service" else ():
            result = run(key, desk.admin, {**Q1, "group": group})
            again = reports.Result.from_json(result.as_json())
            assert (again.rows, again.totals, again.figures) == (
                result.rows, result.totals, result.figures,
            ), (key, group)  # fmt: skip


def test_a_reader_without_tickets_may_not_run_them(desk):
    marketer = make_user(Role.MARKETING)
    assert not reports.may_read(marketer, reports.get("ticket-volume"))
    assert "ticket-volume" not in [r.key for r in reports.readable(marketer)]
