"""The send panel: audience preview, test send, "Send now" with a confirmation, a progress
bar that polls until the send is over, pause / resume / cancel; sales reps only look, and
every action needs the CSRF token."""

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import Campaign, CampaignRecipient, SendState
from app.models.records import AuditEntry
from tests.conftest import htmx_post
from tests.factories import make_contact, make_user
from tests.marketing_factories import make_campaign, make_preference, make_segment, make_template


def _campaign(owner, count: int = 3, **fields):
    ids = []
    for n in range(count):
        email = f"reader{n}@example.com"
        ids.append(make_contact(owner, first_name=f"R{n}", email=email).id)
        make_preference(email)
    ids.append(make_contact(owner, first_name="Nobody", email="nc@example.com").id)
    segment = make_segment(owner, kind="STATIC", members=ids)
    return make_campaign(owner, segment=segment, template=make_template(owner), **fields)


def _panel_url(campaign_id: int, action: str = "") -> str:
    return f"/marketing/campaigns/{campaign_id}/send" + (f"/{action}" if action else "")


def _state(campaign_id: int) -> SendState:
    db.session.expire_all()
    return db.session.get(Campaign, campaign_id).send_state


def test_draft_panel_previews_the_audience(client, login):
    marketer = make_user(Role.MARKETING)
    campaign = _campaign(marketer)
    login(marketer)
    html = client.get(_panel_url(campaign.id), headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert 'id="campaign-send-panel"' in html
    assert 'id="send-preview-sendable">3<' in html
    assert 'id="send-preview-addresses">4<' in html
    assert "send-now-button" in html and "hx-confirm" in html
    assert 'hx-trigger="every 1s"' not in html


def test_send_now_then_progress_until_sent(client, login, smtp, worker):
    marketer = make_user(Role.MARKETING)
    campaign = _campaign(marketer)
    campaign_id = campaign.id
    login(marketer)
    html = htmx_post(client, _panel_url(campaign_id, "start"), {}).get_data(as_text=True)
    assert _state(campaign_id) is SendState.SENDING
    assert 'hx-trigger="every 1s"' in html and "<progress" in html
    assert "send-pause-button" in html

    worker()
    html = client.get(_panel_url(campaign_id), headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert len(smtp) == 3
    assert 'hx-trigger="every 1s"' not in html  # final: the polling stops
    assert 'id="send-count-sent">3<' in html
    assert 'id="send-skipped-no_consent">1<' in html
    assert "send-pause-button" not in html


def test_pause_resume_and_cancel(client, login):
    marketer = make_user(Role.MARKETING)
    campaign = _campaign(marketer)
    campaign_id = campaign.id
    login(marketer)
    htmx_post(client, _panel_url(campaign_id, "start"), {})

    html = htmx_post(client, _panel_url(campaign_id, "pause"), {}).get_data(as_text=True)
    assert _state(campaign_id) is SendState.PAUSED
    entry = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "campaigns", AuditEntry.entity_id == str(campaign_id))
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.actor_id == marketer.id and entry.source == "web"
    assert entry.changes["send_state"] == ["SENDING", "PAUSED"]
    assert "send-resume-button" in html and 'hx-trigger="every 1s"' not in html

    htmx_post(client, _panel_url(campaign_id, "resume"), {})
    assert _state(campaign_id) is SendState.SENDING

    html = htmx_post(client, _panel_url(campaign_id, "cancel"), {}).get_data(as_text=True)
    assert _state(campaign_id) is SendState.CANCELLED
    assert 'id="send-count-cancelled">3<' in html

    html = htmx_post(client, _panel_url(campaign_id, "resume"), {}).get_data(as_text=True)
    assert 'id="send-error"' in html
    assert _state(campaign_id) is SendState.CANCELLED


def test_send_test_to_me(client, login, smtp):
    marketer = make_user(Role.MARKETING, email="mia@example.com")
    campaign = _campaign(marketer)
    login(marketer)
    html = htmx_post(client, _panel_url(campaign.id, "test"), {}).get_data(as_text=True)
    assert "mia@example.com" in html
    assert [m["To"].addresses[0].addr_spec for m in smtp] == ["mia@example.com"]
    assert _state(campaign.id) is SendState.DRAFT


def test_sales_reps_see_the_panel_but_cannot_send(client, login):
    marketer = make_user(Role.MARKETING)
    campaign = _campaign(marketer)
    login(make_user(Role.SALES))
    html = client.get(_panel_url(campaign.id), headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "send-preview" in html and "send-now-button" not in html
    for action in ("start", "test", "pause", "resume", "cancel"):
        assert htmx_post(client, _panel_url(campaign.id, action), {}).status_code == 403
    assert _state(campaign.id) is SendState.DRAFT


def test_support_cannot_see_the_panel(client, login):
    campaign = _campaign(make_user(Role.MARKETING))
    login(make_user(Role.SUPPORT))
    assert client.get(_panel_url(campaign.id)).status_code == 404


def test_actions_need_the_csrf_token(client, login):
    marketer = make_user(Role.MARKETING)
    campaign = _campaign(marketer)
    login(marketer)
    response = client.post(_panel_url(campaign.id, "start"), headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert _state(campaign.id) is SendState.DRAFT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignRecipient)) == 0
