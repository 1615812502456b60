"""The public web-to-lead form: no sign-in, no CSRF token, kept clean by a honeypot and a
rate limit; a valid post creates exactly one WEB_FORM lead, owned as the rules say."""

import logging

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.records import AuditEntry
from app.models.sales import Lead, LeadSource
from tests.factories import make_assignment_rule, make_team, make_user

VALID = {
    "first_name": "Mei",
    "last_name": "Lin",
    "company": "Lin Trading",
    "email": "mei@lin.example",
    "country": "tw",
    "description": "Please send a quote.",
}


def _leads() -> list[Lead]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Lead).order_by(Lead.id)).all()


def test_the_form_is_a_standalone_page_that_other_sites_may_frame(client):
    response = client.get("/forms/lead?next=https://example.com/thanks")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="website_url"' in html and 'name="csrf_token"' not in html
    assert 'value="https://example.com/thanks"' in html
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers  # it would contradict frame-ancestors
    assert client.get("/login").headers["X-Frame-Options"] == "DENY"


def test_a_valid_post_creates_one_web_form_lead_for_the_rule_owner(client):
    rep = make_user(Role.SALES)
    make_assignment_rule(name="Web", source="WEB_FORM", user_id=rep.id)

    response = client.post("/forms/lead", data=VALID | {"page": "https://www.example.com/pricing"})

    assert response.status_code == 200
    assert "Thank you" in response.get_data(as_text=True)
    [lead] = _leads()
    assert lead.source is LeadSource.WEB_FORM
    assert lead.source_detail == "https://www.example.com/pricing"
    assert (lead.owner_id, lead.country, lead.created_by_id) == (rep.id, "TW", None)
    assert lead.search_text  # findable like any lead
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "leads")
    ).all()
    print([(e.action, e.changes, e.actor_id, e.source) for e in entries])
    entry = entries[0]
    assert (entry.action.value, entry.actor_id, entry.source) == ("create", None, "web")


def test_without_a_matching_rule_the_lead_waits_without_an_owner(client):
    client.post("/forms/lead", data=VALID)

    [lead] = _leads()
    assert lead.owner_id is None and lead.team_id is None


def test_round_robin_spreads_web_leads_over_the_active_team_members(client):
    team = make_team("Inside sales")
    first = make_user(Role.SALES, team=team)
    make_user(Role.SALES, team=team, is_active=False)
    second = make_user(Role.SALES, team=team)
    make_assignment_rule(name="Inside", team_id=team.id)

    for n in range(3):
        client.post("/forms/lead", data=VALID | {"email": f"lead{n}@example.com"})

    assert [lead.owner_id for lead in _leads()] == [first.id, second.id, first.id]


def test_a_filled_honeypot_looks_like_success_but_creates_nothing(client, caplog):
    with caplog.at_level(logging.WARNING, logger="rapport.public"):
        response = client.post("/forms/lead", data=VALID | {"website_url": "http://spam.example"})

    assert response.status_code == 200
    assert "Thank you" in response.get_data(as_text=True)
    assert _leads() == []
    assert "honeypot" in caplog.text


def test_invalid_input_is_shown_on_the_form_and_creates_nothing(client):
    response = client.post(
        "/forms/lead", data={"last_name": "", "email": "", "phone": "", "country": "Taiwan"}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter your last name." in html
    assert "email address or a phone number" in html
    assert "two-letter country code" in html
    assert _leads() == []


def test_the_sixth_post_in_a_minute_is_refused_and_creates_nothing(client):
    for n in range(5):
        response = client.post("/forms/lead", data=VALID | {"email": f"n{n}@example.com"})
        assert response.status_code == 200

    response = client.post("/forms/lead", data=VALID | {"email": "sixth@example.com"})

    assert response.status_code == 429
    assert "Too many" in response.get_data(as_text=True)
    assert len(_leads()) == 5
    assert client.get("/forms/lead").status_code == 200  # reading the form is not limited


@pytest.mark.parametrize(
    ("wanted", "redirected"),
    [
        ("https://www.example.com/thanks", True),
        ("https://www.example.com/other/page?x=1", True),
        ("https://shop.example.org/thanks", True),
        ("https://shop.example.org/elsewhere", False),
        ("https://evil.example", False),
        ("https://www.example.com@evil.example/", False),
        ("//evil.example", False),
        ("javascript:alert(1)", False),
    ],
)
def test_only_allowlisted_pages_are_redirected_to(app, client, wanted, redirected):
    app.config["RAPPORT_LEAD_FORM_REDIRECTS"] = [
        "https://www.example.com",
        "https://shop.example.org/thanks",
    ]
    try:
        response = client.post("/forms/lead", data=VALID | {"next": wanted})
    finally:
        app.config.pop("RAPPORT_LEAD_FORM_REDIRECTS")

    if redirected:
        assert response.status_code == 303 and response.headers["Location"] == wanted
    else:
        assert response.status_code == 200 and "Location" not in response.headers
    assert len(_leads()) == 1
