"""The service report pages as a team manager meets them: each report shows its chart and
table and downloads as CSV, the groupings swap in place, and readers without tickets find
none of them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.service import (
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    SurveyKind,
    SurveyResponse,
    TicketComment,
    TicketPriority,
    TicketStatus,
)
from tests.factories import make_team, make_ticket, make_user

KEYS = [
    "ticket-volume",
    "ticket-backlog",
    "resolution-time",
    "first-response-time",
    "sla-attainment",
    "csat-by-agent",
]


@pytest.fixture
def manager():
    """A manager of the Support team, whose agent Amy answered a ticket in 2 hours and
    resolved it a day after it came in (late), and an unassigned ticket in their queue."""
    team = make_team("Support")
    amy = make_user(Role.SUPPORT, team=team, name="Amy Agent")
    boss = make_user(Role.MANAGER, team=team)
    policy = SlaPolicy(name="High", priority=TicketPriority.HIGH, first_response_minutes=240,
                       resolution_minutes=720)  # fmt: skip
    db.session.add(policy)
    db.session.flush()
    created = utcnow() - timedelta(days=3)
    done = make_ticket(amy, priority="HIGH", channel="EMAIL")
    done.created_at, done.owner_id, done.sla_policy_id = created, amy.id, policy.id
    done.first_responded_at = created + timedelta(hours=2)
    done.first_response_due_at = created + timedelta(hours=4)
    done.resolution_due_at = created + timedelta(hours=12)
    done.resolved_at, done.status = created + timedelta(hours=24), TicketStatus.RESOLVED
    db.session.add_all(
        [
            TicketComment(
                ticket_id=done.id,
                author_user_id=amy.id,
                body="On it",
                created_at=done.first_responded_at,
            ),  # fmt: skip
            SlaBreach(
                ticket_id=done.id,
                target=SlaTarget.RESOLUTION,
                policy_id=policy.id,
                due_at=done.resolution_due_at,
                breached_at=done.resolution_due_at,
            ),  # fmt: skip
            SurveyResponse(
                kind=SurveyKind.CSAT,
                ticket_id=done.id,
                agent_id=amy.id,
                sent_at=done.resolved_at,
                answered_at=done.resolved_at,
                score=5,
            ),  # fmt: skip
        ]
    )
    waiting = make_ticket(amy, priority="LOW", channel="CHAT")
    waiting.created_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return boss


@pytest.mark.parametrize("key", KEYS)
def test_each_service_report_shows_its_chart_table_and_csv(login, manager, key):
    client = login(manager)
    response = client.get(f"/reports/{key}?period=last_12_months")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="report-table"' in page and f'id="report-chart-{key}"' in page
    assert 'id="report-definition"' in page
    download = client.get(f"/reports/{key}.csv?period=last_12_months")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert len(download.get_data(as_text=True).splitlines()) >= 2  # a header and a row


def test_the_figures_a_manager_reads(login, manager):
    client = login(manager)
    resolution = client.get("/reports/resolution-time?period=last_12_months&group=agent")
    assert "Amy Agent" in resolution.get_data(as_text=True)
    lines = client.get("/reports/resolution-time.csv?group=agent").get_data(as_text=True)
    assert lines.splitlines()[1:] == ["Amy Agent,1,24.0,24.0"]
    first = client.get("/reports/first-response-time.csv?group=priority").get_data(as_text=True)
    assert first.splitlines()[0].lstrip("\ufeff") == (
        "Priority,Tickets created,Answered,Average hours,Median hours,Waiting for a first reply"
    )
    assert first.splitlines()[1:] == ["High,1,1,2.0,2.0,0", "Low,1,0,,,1"]
    sla = client.get("/reports/sla-attainment?period=last_12_months").get_data(as_text=True)
    assert "100.0 %" in sla and "0.0 %" in sla  # answered on time, resolved late


@pytest.mark.parametrize("group", ["priority", "age"])
def test_the_backlog_groupings_swap_in_place(login, manager, group):
    response = login(manager).get(
        f"/reports/ticket-backlog?period=this_year&group={group}",
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="report-body"')
    assert "Low" in body and 'id="report-table"' in body


def test_readers_without_tickets_find_no_service_report(login):
    client = login(make_user(Role.MARKETING))
    assert client.get("/reports/ticket-volume").status_code == 404
    assert client.get("/reports/csat-by-agent.csv").status_code == 404
    catalogue = client.get("/reports/").get_data(as_text=True)
    assert 'id="report-link-ticket-backlog"' not in catalogue
