"""Leads over the API: the same rules as the pages, through app.services.leads."""

import sqlalchemy as sa

from app.extensions import db
from app.models.customers import Customer
from app.models.identity import Role
from app.models.sales import AssignmentRule, Lead
from tests.api.conftest import assert_error
from tests.factories import make_customer, make_lead, make_team, make_user


def test_a_rep_creates_reads_changes_and_deletes_a_lead(client, token_for):
    rep = make_user(Role.SALES)
    headers = token_for(rep)
    created = client.post(
        "/api/v1/leads",
        json={
            "first_name": "小明",
            "last_name": "王",
            "company": "台灣積體電路",
            "employees": 120,
            "annual_revenue": "2500000.00",
            "country": "tw",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["source"], body["status"], body["owner_id"]) == ("API", "NEW", rep.id)
    assert (body["country"], body["annual_revenue"]) == ("TW", "2500000.00")
    assert "search_text" not in body
    url = f"/api/v1/leads/{body['id']}"
    assert client.get(url, headers=headers).get_json()["company"] == "台灣積體電路"

    changed = client.patch(url, json={"status": "QUALIFIED"}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["status"] == "QUALIFIED"
    found = client.get("/api/v1/leads?q=積體&status=QUALIFIED", headers=headers).get_json()
    assert [lead["id"] for lead in found["data"]] == [body["id"]]

    assert client.delete(url, headers=headers).status_code == 204
    assert_error(client.get(url, headers=headers), 404, "not_found")


def test_bad_fields_answer_422_with_every_message(client, token_for):
    headers = token_for(make_user(Role.SALES))
    response = client.post(
        "/api/v1/leads",
        json={"last_name": " ", "country": "Taiwan", "status": "CONVERTED", "annual_revenue": "-1"},
        headers=headers,
    )
    fields = assert_error(response, 422, "unprocessable_entity")["error"]["fields"]
    assert set(fields) == {"last_name", "country", "status", "annual_revenue"}


def test_an_api_lead_without_owner_goes_through_the_assignment_rules(client, token_for):
    team = make_team()
    rep, chosen = make_user(Role.SALES, team=team), make_user(Role.SALES, team=team)
    db.session.add(AssignmentRule(name="Taiwan", country="TW", user_id=chosen.id))
    db.session.commit()
    headers = token_for(rep)
    assigned = client.post(
        "/api/v1/leads", json={"last_name": "Lin", "country": "TW"}, headers=headers
    )
    assert assigned.get_json()["owner_id"] == chosen.id
    kept = client.post(
        "/api/v1/leads",
        json={"last_name": "Lee", "country": "TW", "owner_id": rep.id},
        headers=headers,
    )
    assert kept.get_json()["owner_id"] == rep.id


def test_someone_elses_lead_is_not_found_and_support_sees_none(client, token_for):
    rep, other = make_user(Role.SALES), make_user(Role.SALES)
    support = make_user(Role.SUPPORT)
    theirs = make_lead(other, last_name="Theirs")
    headers = token_for(rep)
    assert client.get("/api/v1/leads", headers=headers).get_json()["data"] == []
    assert_error(client.get(f"/api/v1/leads/{theirs.id}", headers=headers), 404, "not_found")
    assert_error(
        client.post(f"/api/v1/leads/{theirs.id}/convert", json={}, headers=headers),
        404,
        "not_found",
    )
    support_headers = token_for(support)
    assert client.get("/api/v1/leads", headers=support_headers).get_json()["data"] == []


def test_converting_over_the_api_and_refusing_a_second_time(client, token_for):
    rep = make_user(Role.SALES)
    existing = make_customer(rep, name="Acme")
    lead = make_lead(rep, first_name="Ann", last_name="Lee", company="Acme")
    headers = token_for(rep)
    url = f"/api/v1/leads/{lead.id}/convert"
    done = client.post(
        url,
        json={"customer_id": existing.id, "create_opportunity": True, "amount": "1200.00"},
        headers=headers,
    )
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["customer_id"] == existing.id and body["lead"]["status"] == "CONVERTED"
    assert body["opportunity_id"] is not None and body["lead"]["contact_id"] == body["contact_id"]
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 1
    again = assert_error(client.post(url, json={}, headers=headers), 422, "unprocessable_entity")
    assert again["error"]["fields"] == {"status": ["This lead is already converted."]}
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).customer_id == existing.id


def test_leads_carry_their_score_and_filter_by_grade(client, token_for):
    from app.services.predictions import lead_scoring

    rep = make_user(Role.SALES)
    fit = make_lead(rep, industry="Software", employees=600, annual_revenue="5000000")
    cold = make_lead(rep, industry="Retail")
    lead_scoring.score_all()
    db.session.commit()
    headers = token_for(rep)
    body = client.get(f"/api/v1/leads/{fit.id}", headers=headers).get_json()
    # Industry 15 + 50+ employees 10 + 500+ employees 5 + revenue 10, capped at 40.
    assert (body["score"], body["score_grade"]) == (40, "C")
    assert body["score_factors"]["components"]["DEMOGRAPHIC"] == 40
    graded = client.get("/api/v1/leads?grade=C", headers=headers).get_json()
    assert [lead["id"] for lead in graded["data"]] == [fit.id]
    assert cold.id not in [lead["id"] for lead in graded["data"]]
    assert_error(client.get("/api/v1/leads?grade=E", headers=headers), 422, "unprocessable_entity")
