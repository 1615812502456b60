"""The service settings pages: managers and administrators keep ticket categories, SLA
policies and business calendars (with holidays); agents and reps only read them; bad
input is explained and nothing is saved."""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.records import AuditEntry
from app.models.service import (
    BusinessCalendar,
    CalendarHoliday,
    SlaPolicy,
    TicketCategory,
    TicketPriority,
)
from tests.conftest import htmx_post, post_form
from tests.factories import make_team, make_user


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _policy_form(**fields) -> dict:
    return {
        "name": "Urgent for A",
        "priority": "URGENT",
        "customer_tier": "A",
        "first_response_hours": "0",
        "first_response_mins": "30",
        "resolution_hours": "4",
        "resolution_mins": "0",
        "warn_before_minutes": "15",
        "raise_priority_on_breach": "y",
        "is_active": "y",
    } | fields


def test_the_settings_page_lists_everything(client, login):
    login(make_user(Role.MANAGER))
    page = client.get("/service/settings")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "No SLA policies yet." in html and 'id="new-calendar"' in html


def test_a_manager_creates_and_edits_a_category(client, login):
    team = make_team("Tier 1")
    login(make_user(Role.MANAGER))
    response = post_form(
        client,
        "/service/settings/categories/new",
        {"name": "Billing", "description": "Invoices", "team_id": str(team.id),
         "round_robin": "y", "is_active": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    category = db.session.scalars(sa.select(TicketCategory)).one()
    assert (category.name, category.team_id, category.round_robin) == ("Billing", team.id, True)
    assert db.session.scalar(
        sa.select(sa.func.count()).where(AuditEntry.entity_type == "ticket_categories")
    )

    edit = f"/service/settings/categories/{category.id}/edit"
    assert "Invoices" in client.get(edit).get_data(as_text=True)
    post_form(client, edit, {"name": "Billing", "team_id": "", "is_active": ""})
    db.session.expire_all()
    assert (category.team_id, category.is_active) == (None, False)
    assert "Billing" in client.get("/service/settings").get_data(as_text=True)


def test_round_robin_without_a_team_is_refused(client, login):
    login(make_user(Role.ADMIN))
    response = post_form(
        client,
        "/service/settings/categories/new",
        {"name": "Billing", "team_id": "", "round_robin": "y"},
    )
    assert response.status_code == 200
    assert "Round-robin needs a team" in response.get_data(as_text=True)
    assert _count(TicketCategory) == 0


def test_a_manager_creates_a_policy_in_hours_and_minutes(client, login):
    login(make_user(Role.MANAGER))
    form = client.get("/service/settings/policies/new").get_data(as_text=True)
    assert 'name="first_response_hours"' in form
    response = post_form(client, "/service/settings/policies/new", _policy_form())
    assert response.status_code == 302
    policy = db.session.scalars(sa.select(SlaPolicy)).one()
    assert (policy.priority, policy.customer_tier) == (TicketPriority.URGENT, "A")
    assert (policy.first_response_minutes, policy.resolution_minutes) == (30, 240)
    assert policy.warn_before_minutes == 15 and policy.raise_priority_on_breach

    edit = f"/service/settings/policies/{policy.id}/edit"
    assert 'value="4"' in client.get(edit).get_data(as_text=True)
    post_form(client, edit, _policy_form(resolution_hours="8", raise_priority_on_breach=""))
    db.session.expire_all()
    assert policy.resolution_minutes == 480 and not policy.raise_priority_on_breach


def test_bad_policies_are_explained_and_not_saved(client, login):
    login(make_user(Role.MANAGER))
    response = post_form(
        client,
        "/service/settings/policies/new",
        _policy_form(name="", first_response_hours="soon", resolution_hours="0",
                     resolution_mins="0", customer_tier="Z"),
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a name." in html and "Enter a whole number of minutes" in html
    assert "Choose any customer, or tier A, B or C." in html
    assert _count(SlaPolicy) == 0

    post_form(client, "/service/settings/policies/new", _policy_form())
    again = post_form(client, "/service/settings/policies/new", _policy_form(name="Twin"))
    assert "already a policy for this priority" in again.get_data(as_text=True)
    short = post_form(
        client,
        "/service/settings/policies/new",
        _policy_form(customer_tier="", resolution_hours="0", resolution_mins="10"),
    )
    assert "cannot come before the first response" in short.get_data(as_text=True)
    assert _count(SlaPolicy) == 1


def _calendar_form(**fields) -> dict:
    data = {"name": "Taipei office", "time_zone": "Asia/Taipei", "team_id": "", "is_default": "y"}
    for weekday in range(1, 6):
        data |= {f"h{weekday}_1_start": "09:00", f"h{weekday}_1_end": "12:00"}
        data |= {f"h{weekday}_2_start": "13:00", f"h{weekday}_2_end": "18:00"}
    return data | fields


def test_a_manager_creates_a_calendar_with_weekly_hours_and_holidays(client, login):
    login(make_user(Role.MANAGER))
    old_default = BusinessCalendar(name="Old", is_default=True)
    db.session.add(old_default)
    db.session.commit()
    response = post_form(client, "/service/settings/calendars/new", _calendar_form())
    assert response.status_code == 302
    calendar = db.session.scalars(
        sa.select(BusinessCalendar).where(BusinessCalendar.name == "Taipei office")
    ).one()
    assert calendar.time_zone == "Asia/Taipei" and calendar.is_default
    assert calendar.hours["1"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert "6" not in calendar.hours
    db.session.refresh(old_default)
    assert not old_default.is_default  # one default

    edit = f"/service/settings/calendars/{calendar.id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert 'value="13:00"' in page and "No holidays" in page
    added = htmx_post(
        client,
        f"/service/settings/calendars/{calendar.id}/holidays",
        {"holiday-day": "2026-12-25", "holiday-name": "Christmas"},
    )
    assert added.status_code == 200 and "Christmas" in added.get_data(as_text=True)
    twice = htmx_post(
        client, f"/service/settings/calendars/{calendar.id}/holidays", {"holiday-day": "2026-12-25"}
    )
    assert "already a holiday" in twice.get_data(as_text=True)
    holiday = db.session.scalars(sa.select(CalendarHoliday)).one()
    assert holiday.day == date(2026, 12, 25)

    removed = htmx_post(
        client, f"/service/settings/calendars/{calendar.id}/holidays/{holiday.id}/delete", {}
    )
    assert removed.status_code == 200 and "Christmas" not in removed.get_data(as_text=True)
    assert _count(CalendarHoliday) == 0


def test_bad_hours_and_zones_are_explained_and_not_saved(client, login):
    login(make_user(Role.MANAGER))
    response = post_form(
        client,
        "/service/settings/calendars/new",
        _calendar_form(time_zone="Mars/Olympus", h1_1_start="9am", h2_1_end="08:00",
                       h3_2_start="11:00"),
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose a time zone from the list." in html
    assert "Enter times as HH:MM" in html and "must end after it starts" in html
    assert "must not overlap" in html
    assert _count(BusinessCalendar) == 0


def test_one_calendar_per_team(client, login):
    team = make_team()
    db.session.add(BusinessCalendar(name="Team", team_id=team.id))
    db.session.commit()
    login(make_user(Role.MANAGER))
    response = post_form(
        client, "/service/settings/calendars/new", _calendar_form(team_id=str(team.id))
    )
    assert "This team already has a calendar." in response.get_data(as_text=True)
    assert _count(BusinessCalendar) == 1


def test_agents_read_but_do_not_change_the_settings(client, login):
    calendar = BusinessCalendar(name="Office", hours={"1": [["09:00", "17:00"]]})
    policy = SlaPolicy(
        name="Medium", priority=TicketPriority.MEDIUM, first_response_minutes=60,
        resolution_minutes=480,
    )  # fmt: skip
    db.session.add_all([calendar, policy])
    db.session.commit()
    login(make_user(Role.SUPPORT))

    page = client.get("/service/settings").get_data(as_text=True)
    assert "Medium" in page and 'id="new-policy"' not in page
    assert client.get("/service/settings/policies/new").status_code == 403
    assert client.get(f"/service/settings/policies/{policy.id}/edit").status_code == 403
    assert post_form(client, "/service/settings/policies/new", _policy_form()).status_code == 403
    shown = client.get(f"/service/settings/calendars/{calendar.id}/edit")
    assert shown.status_code == 200 and 'id="add-holiday"' not in shown.get_data(as_text=True)
    refused = post_form(
        client, f"/service/settings/calendars/{calendar.id}/holidays", {"holiday-day": "2026-12-25"}
    )
    assert refused.status_code == 403
    assert _count(CalendarHoliday) == 0 and _count(SlaPolicy) == 1


def test_the_settings_need_a_sign_in(client):
    assert client.get("/service/settings").status_code == 302
