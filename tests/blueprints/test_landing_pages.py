"""Hosted landing pages, no sign-in: only published forms show; a variant is drawn and kept
by a cookie, each view counted; the page speaks the visitor's language and carries the UTM
tags; a valid post creates a lead and thanks (or redirects), an invalid one changes
nothing, a honeypot post saves nothing, and other sites may frame the page."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.marketing import FormSubmission, FormVariant
from app.models.sales import Lead
from tests.marketing_factories import make_campaign, make_web_form

VALID = {"first_name": "Mei", "last_name": "Lin", "email": "mei@lin.example", "company": "Lin"}


def _variants(form) -> dict[str, FormVariant]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(FormVariant).where(FormVariant.form_id == form.id))
    return {v.name: v for v in rows}


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def test_drafts_archived_and_unknown_forms_are_not_found(client):
    make_web_form(None, slug="draft", status="DRAFT")
    make_web_form(None, slug="old", status="ARCHIVED")
    for slug in ("draft", "old", "nothing"):
        assert client.get(f"/f/{slug}").status_code == 404
        assert client.post(f"/f/{slug}", data=VALID).status_code == 404
    assert db.session.scalars(sa.select(Lead)).all() == []


def test_a_view_is_counted_and_the_variant_cookie_keeps_the_visitor_on_it(client):
    form = make_web_form(None, slug="offer", variants=[
        {"name": "A", "weight": 50, "headline": "Headline A"},
        {"name": "B", "weight": 50, "headline": "Headline B"},
    ])  # fmt: skip
    first = client.get("/f/offer")
    assert first.status_code == 200
    cookie = first.headers["Set-Cookie"]
    assert f"rp_form_{form.id}=" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    shown = "A" if "Headline A" in first.get_data(as_text=True) else "B"
    for _ in range(5):
        assert f"Headline {shown}" in client.get("/f/offer").get_data(as_text=True)
    variants = _variants(form)
    assert variants[shown].views == 6
    assert sum(v.views for v in variants.values()) == 6


def test_the_page_carries_utm_tags_variant_page_and_visitor_into_hidden_inputs(client):
    form = make_web_form(None, slug="offer")
    html = client.get(
        "/f/offer?utm_source=linkedin&utm_medium=social&utm_campaign=spring&vid=abcdefghij0123456789",
        headers={"Referer": "https://blog.example/post"},
    ).get_data(as_text=True)
    hidden = _hidden(html)
    assert (hidden["utm_source"], hidden["utm_medium"], hidden["utm_campaign"]) == (
        "linkedin", "social", "spring",
    )  # fmt: skip
    assert hidden["variant"] == str(_variants(form)["A"].id)
    assert hidden["referrer"] == "https://blog.example/post"
    assert hidden["page_url"].startswith("http://localhost/f/offer?utm_source=linkedin")
    assert hidden["vid"] == "abcdefghij0123456789"
    assert 'name="website_url"' in html and 'name="csrf_token"' not in html
    assert 'name="consent"' not in html  # no consent text, no box


def test_the_page_speaks_the_visitors_language(client):
    make_web_form(None, slug="offer", consent_text="Send me news", consent_text_zh="請寄送最新消息",
                  variants=[{"name": "A", "weight": 100, "headline": "Book a demo",
                             "headline_zh": "預約示範", "button_label": "Go"}])  # fmt: skip
    english = client.get("/f/offer").get_data(as_text=True)
    assert "Book a demo" in english and "Send me news" in english and ">Go</button>" in english
    assert 'type="checkbox" id="landing-consent" name="consent" value="yes" >' in english
    chinese = client.get("/f/offer", headers={"Accept-Language": "zh-TW,zh;q=0.9"}).get_data(
        as_text=True
    )
    assert "預約示範" in chinese and "請寄送最新消息" in chinese and "姓氏" in chinese
    assert ">Go</button>" in chinese  # no Chinese label: the English one
    forced = client.get("/f/offer?lang=zh_Hant").get_data(as_text=True)
    assert "預約示範" in forced and 'lang="zh-Hant"' in forced


def test_a_valid_post_creates_a_lead_with_its_attribution_and_thanks(client):
    campaign = make_campaign(None)
    form = make_web_form(
        None, slug="offer", campaign_id=campaign.id, success_message="See you soon!"
    )
    html = client.get("/f/offer?utm_source=linkedin&utm_medium=social").get_data(as_text=True)
    response = client.post("/f/offer", data=_hidden(html) | VALID)

    assert response.status_code == 200
    assert "See you soon!" in response.get_data(as_text=True)
    [lead] = db.session.scalars(sa.select(Lead)).all()
    assert (lead.last_name, lead.campaign_id, lead.utm_source) == ("Lin", campaign.id, "linkedin")
    [submission] = db.session.scalars(sa.select(FormSubmission)).all()
    assert submission.ip == "127.0.0.1" and submission.utm_medium == "social"
    a = _variants(form)["A"]
    assert (a.views, a.submissions) == (1, 1)


def test_a_form_with_a_redirect_sends_the_visitor_there(client):
    make_web_form(None, slug="offer", redirect_url="https://www.example.com/thanks")
    response = client.post("/f/offer", data=VALID)
    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.example.com/thanks"


def test_an_invalid_post_shows_the_messages_and_changes_nothing(client):
    form = make_web_form(None, slug="offer")
    html = client.get("/f/offer?utm_source=x").get_data(as_text=True)
    response = client.post("/f/offer", data=_hidden(html) | {"last_name": "", "email": "nope"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This field is required." in page and "valid email address" in page
    assert _hidden(page)["utm_source"] == "x"  # the attribution survives the retry
    assert db.session.scalars(sa.select(Lead)).all() == []
    assert db.session.scalars(sa.select(FormSubmission)).all() == []
    assert _variants(form)["A"].views == 1 and _variants(form)["A"].submissions == 0


def test_a_filled_honeypot_saves_nothing_but_thanks_the_bot(client, caplog):
    make_web_form(None, slug="offer")
    response = client.post("/f/offer", data=VALID | {"website_url": "http://spam.example"})
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Lead)).all() == []
    assert db.session.scalars(sa.select(FormSubmission)).all() == []
    assert "honeypot" in caplog.text


@pytest.mark.parametrize("ticked", [True, False])
def test_the_consent_box_records_consent_only_when_ticked(client, ticked):
    from app.models.marketing import ConsentRecord

    make_web_form(None, slug="offer", consent_text="Send me news")
    client.post("/f/offer", data=VALID | ({"consent": "yes"} if ticked else {}))
    assert len(db.session.scalars(sa.select(ConsentRecord)).all()) == (1 if ticked else 0)


def test_the_embedded_page_may_be_framed_and_posts_back_embedded(app, client):
    make_web_form(None, slug="offer")
    app.config["RAPPORT_LEAD_FORM_FRAME_ANCESTORS"] = "https://www.example.com"
    try:
        response = client.get("/f/offer?embed=1")
    finally:
        app.config["RAPPORT_LEAD_FORM_FRAME_ANCESTORS"] = "*"
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("frame-ancestors https://www.example.com;")
    assert "frame-ancestors 'none'" not in policy and "script-src 'self'" in policy
    assert "X-Frame-Options" not in response.headers
    html = response.get_data(as_text=True)
    assert 'action="/f/offer?embed=1"' in html and "<h2>" in html
    thanks = client.post("/f/offer?embed=1", data=VALID)
    assert "embedded" in thanks.get_data(as_text=True)


def test_posts_are_rate_limited_per_address(app, client):
    make_web_form(None, slug="offer")
    app.config["RAPPORT_LEAD_FORM_RATE_LIMIT"] = "2 per minute"
    try:
        codes = [client.post("/f/offer", data=VALID | {"email": f"p{n}@x.example"}).status_code
                 for n in range(3)]  # fmt: skip
    finally:
        app.config["RAPPORT_LEAD_FORM_RATE_LIMIT"] = "5 per minute; 50 per hour"
    assert codes == [200, 200, 429]
    assert len(db.session.scalars(sa.select(Lead)).all()) == 2
