"""The links in marketing emails, without signing in: the pixel, tracked links that can
only go where they were signed to go, unsubscribe that only acts on POST (one-click too),
the preferences page and the bounce webhook."""

import hashlib
import hmac
import json
import re
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import (
    CampaignRecipient,
    ConsentRecord,
    EventKind,
    MarketingEvent,
)
from app.services import email_preferences, tracking_tokens
from tests.factories import make_contact, make_user
from tests.marketing_factories import make_campaign, make_preference

GIF_43 = 43


@pytest.fixture
def recipient():
    rep = make_user(Role.MARKETING)
    contact = make_contact(rep, email="mei.chen@example.com")
    campaign = make_campaign(rep)
    row = CampaignRecipient(
        campaign_id=campaign.id, contact_id=contact.id, email="mei.chen@example.com"
    )
    db.session.add(row)
    db.session.commit()
    make_preference("mei.chen@example.com", consent=True)
    return row


def _fresh(row):
    db.session.expire_all()
    return db.session.get(CampaignRecipient, row.id)


def _count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# -- open pixel and clicks ---------------------------------------------------------------


def test_the_pixel_counts_each_open(client, recipient):
    url = f"/m/o/{tracking_tokens.open_token(recipient.id)}.gif"
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "image/gif"
        assert len(response.data) == GIF_43
        assert response.headers["Cache-Control"] == "no-store"
    assert _fresh(recipient).open_count == 2
    assert _count(MarketingEvent, MarketingEvent.kind == EventKind.EMAIL_OPEN) == 2


def test_a_bad_pixel_token_still_gets_the_gif_and_records_nothing(client, recipient):
    response = client.get("/m/o/not-a-token.gif")
    assert response.status_code == 200 and len(response.data) == GIF_43
    assert response.headers["Cache-Control"] == "no-store"
    assert _fresh(recipient).open_count == 0


def test_a_tracked_link_counts_the_click_and_redirects(client, recipient):
    target = "https://example.com/spring?utm_source=rapport"
    response = client.get(f"/m/c/{tracking_tokens.click_token(recipient.id, target)}")
    assert response.status_code == 302 and response.headers["Location"] == target
    row = _fresh(recipient)
    assert (row.click_count, row.open_count) == (1, 1)
    event = db.session.scalar(
        sa.select(MarketingEvent).where(MarketingEvent.kind == EventKind.EMAIL_CLICK)
    )
    assert event.url == target and event.contact_id == recipient.contact_id


def _tampered_tokens(recipient_id: int) -> list[str]:
    token = tracking_tokens.click_token(recipient_id, "https://example.com/a")
    other = tracking_tokens.click_token(recipient_id, "https://evil.example/a")
    payload, signature = token.rsplit(".", 1)
    evil_payload = other.rsplit(".", 1)[0]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    return [f"{evil_payload}.{signature}", flipped, "garbage", payload]


@pytest.mark.parametrize("case", range(4))
def test_a_tampered_click_token_is_a_404_never_a_redirect(client, recipient, case):
    token = _tampered_tokens(recipient.id)[case]
    response = client.get(f"/m/c/{token}")
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert _fresh(recipient).click_count == 0
    assert _count(MarketingEvent) == 0


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "//evil.example/",
        "https:///nohost",
        "ftp://x.test/",
    ],
)
def test_only_http_targets_are_followed_even_when_signed(client, recipient, target):
    response = client.get(f"/m/c/{tracking_tokens.click_token(recipient.id, target)}")
    assert response.status_code == 404 and "Location" not in response.headers
    assert _fresh(recipient).click_count == 0


def test_a_click_for_a_deleted_campaign_still_redirects(client):
    target = "https://example.com/"
    response = client.get(f"/m/c/{tracking_tokens.click_token(424242, target)}")
    assert response.status_code == 302 and response.headers["Location"] == target


# -- unsubscribe -------------------------------------------------------------------------


def _unsubscribe_url(recipient) -> str:
    return f"/m/u/{tracking_tokens.unsubscribe_token(recipient.id)}"


def test_get_only_asks_so_link_scanners_unsubscribe_nobody(client, recipient):
    response = client.get(_unsubscribe_url(recipient))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "m***@example.com" in html and "mei.chen@example.com" not in html
    assert "<button" in html and "/m/p/" in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in html
    assert _count(ConsentRecord) == 0
    assert email_preferences.preference("mei.chen@example.com").unsubscribed_at is None
    assert _fresh(recipient).unsubscribed_at is None


def test_the_confirmation_button_unsubscribes(client, recipient):
    response = client.post(
        _unsubscribe_url(recipient),
        data={"confirm": "yes"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.status_code == 200
    assert "unsubscribed" in response.get_data(as_text=True).lower()
    record = db.session.scalar(sa.select(ConsentRecord))
    assert (record.granted, record.source, record.ip) == (False, "unsubscribe_link", "198.51.100.7")
    assert record.at is not None and record.contact_id == recipient.contact_id
    pref = email_preferences.preference("mei.chen@example.com")
    assert pref.unsubscribed_at is not None and not pref.consent
    assert _fresh(recipient).unsubscribed_at is not None


def test_a_blind_post_only_gets_the_question(client, recipient):
    response = client.post(_unsubscribe_url(recipient))
    assert response.status_code == 200 and 'name="confirm"' in response.get_data(as_text=True)
    assert _count(ConsentRecord) == 0 and _fresh(recipient).unsubscribed_at is None


def test_rfc_8058_one_click_post_unsubscribes(client, recipient):
    response = client.post(
        _unsubscribe_url(recipient),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    record = db.session.scalar(sa.select(ConsentRecord))
    assert (record.granted, record.source) == (False, "list_unsubscribe")
    assert _count(MarketingEvent, MarketingEvent.kind == EventKind.UNSUBSCRIBE) == 1


def test_a_bad_unsubscribe_token_changes_nothing(client, recipient):
    assert client.post("/m/u/forged").status_code == 404
    assert client.get("/m/u/forged").status_code == 404
    assert _count(ConsentRecord) == 0


# -- preferences -------------------------------------------------------------------------


def _preferences_url(email="mei.chen@example.com") -> str:
    return f"/m/p/{tracking_tokens.preferences_token(email)}"


def _form_token(client, url) -> str:
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_preferences_page_shows_topics_and_languages(client, recipient):
    response = client.get(_preferences_url())
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "topic_OFFERS" in html and "zh_Hant" in html and "m***@example.com" in html
    assert _count(ConsentRecord) == 0


def test_preferences_are_saved_and_resubscribing_is_a_new_grant(client, recipient):
    email_preferences.unsubscribe("mei.chen@example.com", source="unsubscribe_link")
    db.session.commit()
    url = _preferences_url()
    data = {
        "csrf_token": _form_token(client, url),
        "subscription": "subscribed",
        "topic_NEWSLETTER": "y",
        "topic_PRODUCT": "y",
        "locale": "zh_Hant",
    }
    response = client.post(url, data=data)
    assert response.status_code == 200
    db.session.expire_all()
    pref = email_preferences.preference("mei.chen@example.com")
    assert pref.consent and pref.unsubscribed_at is None and pref.locale == "zh_Hant"
    assert pref.topics_opted_out == ["EVENTS", "OFFERS"]
    latest = db.session.scalar(sa.select(ConsentRecord).order_by(ConsentRecord.id.desc()))
    assert (latest.granted, latest.source) == (True, "preferences")


def test_the_preferences_form_needs_its_csrf_token(client, recipient):
    response = client.post(
        _preferences_url(), data={"subscription": "unsubscribed", "locale": "en"}
    )
    assert response.status_code == 400
    assert email_preferences.preference("mei.chen@example.com").unsubscribed_at is None


# -- bounce webhook ----------------------------------------------------------------------


def _signed(secret, body: bytes, timestamp=None) -> dict:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return {
        "X-Rapport-Signature": "sha256=" + mac.hexdigest(),
        "X-Rapport-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


BODY = json.dumps({"email": "mei.chen@example.com", "reason": "550 gone", "type": "hard"}).encode()


def test_the_webhook_is_off_without_a_secret(client, recipient):
    assert client.post("/m/bounces", data=BODY, headers=_signed("", BODY)).status_code == 404


@pytest.fixture
def secret(app, monkeypatch):
    monkeypatch.setitem(app.config, "RAPPORT_BOUNCE_WEBHOOK_SECRET", "hook-secret")
    return "hook-secret"


def test_a_signed_webhook_marks_the_bounce(client, recipient, secret):
    response = client.post("/m/bounces", data=BODY, headers=_signed(secret, BODY))
    assert response.status_code == 204
    db.session.expire_all()
    assert email_preferences.preference("mei.chen@example.com").bounced_at is not None


@pytest.mark.parametrize("case", ["bad", "stale", "missing"])
def test_a_badly_signed_webhook_changes_nothing(client, recipient, secret, case):
    headers = {
        "bad": _signed("wrong", BODY),
        "stale": _signed(secret, BODY, int(time.time()) - 3600),
        "missing": {"Content-Type": "application/json"},
    }[case]
    response = client.post("/m/bounces", data=BODY, headers=headers)
    assert response.status_code == 401
    assert email_preferences.preference("mei.chen@example.com").bounced_at is None


def test_a_webhook_with_bad_json_is_a_400_with_an_error(client, secret):
    body = b'{"email": "nobody"}'
    response = client.post("/m/bounces", data=body, headers=_signed(secret, body))
    assert response.status_code == 400 and response.json["error"]["message"]


def test_unsubscribe_posts_are_rate_limited_per_link(client, recipient):
    url = _unsubscribe_url(recipient)
    for _ in range(10):
        assert client.post(url, data={"confirm": "yes"}).status_code == 200
    assert client.post(url, data={"confirm": "yes"}).status_code == 429
    assert client.get(url).status_code == 200  # reading the page is not limited
