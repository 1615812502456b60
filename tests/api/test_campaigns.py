"""Campaigns over the API: create, change, filter, show with metrics (exact decimal
strings, null ROI when nothing was spent), delete, the service's messages as 422, and who
may do what."""

from decimal import Decimal as D

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import Campaign, CampaignRecipient, RecipientStatus
from tests.api.conftest import assert_error
from tests.api.test_pagination import _walk
from tests.factories import make_opportunity, make_user
from tests.marketing_factories import make_campaign


def test_a_marketer_creates_changes_filters_and_deletes_a_campaign(client, token_for):
    headers = token_for(make_user(Role.MARKETING))
    created = client.post(
        "/api/v1/campaigns",
        json={
            "name": "Spring webinar",
            "type": "WEBINAR",
            "start_date": "2026-03-01",
            "end_date": "2026-03-31",
            "currency": "usd",
            "budget": "1200.5",
            "actual_cost": 0,
            "channels": ["WEBINAR", "SOCIAL:linkedin"],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["status"], body["currency"], body["budget"]) == ("PLANNING", "USD", "1200.50")
    assert body["channels"] == ["SOCIAL:linkedin", "WEBINAR"]
    assert body["metrics"]["roi"] is None and body["metrics"]["sent"] == 0

    url = f"/api/v1/campaigns/{body['id']}"
    changed = client.patch(url, json={"status": "ACTIVE", "actual_cost": "99.90"}, headers=headers)
    assert changed.status_code == 200
    assert (changed.get_json()["status"], changed.get_json()["actual_cost"]) == ("ACTIVE", "99.90")
    assert changed.get_json()["name"] == "Spring webinar"
    make_campaign(None, name="Newsletter", type="EMAIL")
    found, _ = _walk(client, "/api/v1/campaigns?type=WEBINAR&status=ACTIVE", headers)
    assert [c["id"] for c in found] == [body["id"]]
    by_name, _ = _walk(client, "/api/v1/campaigns?q=news", headers)
    assert [c["name"] for c in by_name] == ["Newsletter"]

    assert client.delete(url, headers=headers).status_code == 204
    assert_error(client.get(url, headers=headers), 404, "not_found")


def test_show_gives_the_metrics_as_exact_strings(client, token_for):
    admin = make_user(Role.ADMIN)
    campaign = make_campaign(admin, currency="USD", actual_cost=D("250.00"))
    for n, status in enumerate([RecipientStatus.SENT] * 3 + [RecipientStatus.SKIPPED]):
        db.session.add(
            CampaignRecipient(campaign_id=campaign.id, email=f"p{n}@example.com", status=status)
        )
    won = make_opportunity(admin, currency="USD", amount="1000.00", stage="CLOSED_WON")
    other = make_opportunity(admin, currency="TWD", amount="5000.00", stage="CLOSED_WON")
    won.campaign_id = other.campaign_id = campaign.id
    db.session.commit()
    body = client.get(f"/api/v1/campaigns/{campaign.id}", headers=token_for(admin)).get_json()
    metrics = body["metrics"]
    assert (metrics["sent"], metrics["skipped"], metrics["delivered"]) == (3, 1, 3)
    assert (metrics["won_revenue"], metrics["cost"], metrics["roi"]) == (
        "1000.00",
        "250.00",
        "3.0000",
    )
    assert metrics["open_rate"] == "0.0000" and metrics["cost_per_lead"] is None
    assert metrics["other_currencies"] == [
        {"currency": "TWD", "opportunities": 1, "won_opportunities": 1,
         "won_revenue": "5000.00", "pipeline": "0.00"}
    ]  # fmt: skip


def test_bad_fields_answer_422_with_the_services_messages(client, token_for):
    headers = token_for(make_user(Role.MARKETING))
    response = client.post(
        "/api/v1/campaigns",
        json={"name": "X", "start_date": "2026-05-02", "end_date": "2026-05-01",
              "budget": "1.005", "channels": ["FAX"], "segment_id": 12345},
        headers=headers,
    )  # fmt: skip
    fields = assert_error(response, 422, "unprocessable_entity")["error"]["fields"]
    assert set(fields) == {"end_date", "budget", "channels", "segment_id"}
    assert fields["budget"] == ["Use at most 2 decimals."]
    bad_type = client.post(
        "/api/v1/campaigns", json={"name": "X", "type": "RADIO"}, headers=headers
    )
    assert_error(bad_type, 422, "unprocessable_entity")
    completed = make_campaign(None, status="COMPLETED")
    reopened = client.patch(
        f"/api/v1/campaigns/{completed.id}", json={"status": "PAUSED"}, headers=headers
    )
    assert "status" in assert_error(reopened, 422, "unprocessable_entity")["error"]["fields"]


def test_a_campaign_that_sent_email_is_not_deleted(client, token_for):
    campaign = make_campaign(None)
    db.session.add(
        CampaignRecipient(
            campaign_id=campaign.id, email="a@example.com", status=RecipientStatus.SENT
        )
    )
    db.session.commit()
    response = client.delete(
        f"/api/v1/campaigns/{campaign.id}", headers=token_for(make_user(Role.MANAGER))
    )
    fields = assert_error(response, 422, "unprocessable_entity")["error"]["fields"]
    assert "mark it completed" in fields["campaign"][0]


def test_reps_read_campaigns_and_support_agents_see_none(client, token_for):
    campaign = make_campaign(make_user(Role.MARKETING), name="Kept")
    rep = token_for(make_user(Role.SALES))
    found, _ = _walk(client, "/api/v1/campaigns", rep)
    assert [c["name"] for c in found] == ["Kept"]
    url = f"/api/v1/campaigns/{campaign.id}"
    assert client.get(url, headers=rep).status_code == 200
    assert_error(client.patch(url, json={"name": "x"}, headers=rep), 403, "forbidden")
    assert_error(
        client.post("/api/v1/campaigns", json={"name": "x"}, headers=rep), 403, "forbidden"
    )
    assert_error(client.delete(url, headers=rep), 403, "forbidden")
    agent = token_for(make_user(Role.SUPPORT))
    assert_error(client.get("/api/v1/campaigns", headers=agent), 403, "forbidden")
    assert_error(client.get(url, headers=agent), 404, "not_found")
    assert db.session.get(Campaign, campaign.id).name == "Kept"


def test_an_sms_campaign_carries_its_text_over_the_api(client, token_for):
    headers = token_for(make_user(Role.MARKETING))
    text = "Hi {{ contact.first_name }}, our spring sale starts today."
    created = client.post(
        "/api/v1/campaigns",
        json={"name": "Spring texts", "type": "SMS", "sms_body": text},
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    assert (created.get_json()["type"], created.get_json()["sms_body"]) == ("SMS", text)
    url = f"/api/v1/campaigns/{created.get_json()['id']}"
    too_long = client.patch(url, json={"sms_body": "x" * 1000}, headers=headers)
    body = assert_error(too_long, 422, "unprocessable_entity")
    assert "sms_body" in body["error"]["fields"]
    assert client.get(url, headers=headers).get_json()["sms_body"] == text
