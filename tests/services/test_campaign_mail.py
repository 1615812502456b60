"""Campaign messages: one-click unsubscribe headers, a deterministic Message-ID, tracked
links (not mailto: or the unsubscribe link) and an open pixel, merge values escaped, an
unsubscribe footer when the template has none, the recipient's language."""

import re
from email import message_from_bytes, policy

import pytest
from flask import url_for

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import CampaignRecipient, RecipientStatus
from app.models.service import PortalUser
from app.services import campaign_mail, tracking_tokens
from app.services.campaign_mail import CampaignMail, RecipientRef
from tests.factories import make_contact, make_customer, make_user
from tests.marketing_factories import (
    make_campaign,
    make_preference,
    make_segment,
    make_template,
)

HTML = (
    '<p>Hi {{ contact.first_name | default("there") }} from {{ company.name }},</p>'
    '<p><a href="https://example.com/offer?a=1&amp;b=2">Offer</a> '
    '<a href="mailto:sales@example.com">Write to us</a> '
    '<a href="#top">Top</a> '
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
)


@pytest.fixture
def marketer():
    return make_user(Role.MARKETING, name="Mia Marketer")


def _recipient(campaign, contact) -> RecipientRef:
    row = CampaignRecipient(
        campaign_id=campaign.id,
        contact_id=contact.id,
        email=contact.email.lower(),
        status=RecipientStatus.QUEUED,
    )
    db.session.add(row)
    db.session.commit()
    return RecipientRef(row.id, row.email, row.contact_id, None)


def _received(message):
    """The message as the SMTP server gets it, parsed back."""
    return message_from_bytes(message.data, policy=policy.default)


def _build(campaign, template, ref):
    builder = CampaignMail(campaign, template)
    return _received(builder.build(ref, builder.people([ref])[ref.id]))


def _parts(message):
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    return html, text


def test_message_headers_links_pixel_and_escaped_values(app, marketer):
    customer = make_customer(marketer, name="Acme & Sons")
    contact = make_contact(
        marketer, customer, first_name="<b>Bob</b>", last_name="Lee", email="Bob@Example.com"
    )
    template = make_template(marketer, html_body=HTML, sender_name="Acme News")
    campaign = make_campaign(marketer, template=template, segment=make_segment(marketer))
    ref = _recipient(campaign, contact)
    with app.test_request_context(base_url="http://rapport.test"):
        message = _build(campaign, template, ref)
        unsubscribe = url_for(
            "public.mail_unsubscribe",
            token=tracking_tokens.unsubscribe_token(ref.id),
            _external=True,
        )
        domain = campaign_mail.mail_domain()

    assert message["Message-ID"] == f"<campaign-{campaign.id}.recipient-{ref.id}@{domain}>"
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert unsubscribe.startswith("http://rapport.test/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Precedence"] == "bulk"
    assert message["X-Rapport-Campaign"] == str(campaign.id)
    assert message["From"].addresses[0].display_name == "Acme News"
    assert message["To"].addresses[0].addr_spec == "bob@example.com"

    html, text = _parts(message)
    assert "&lt;b&gt;Bob&lt;/b&gt;" in html and "<b>Bob</b>" not in html
    assert "Acme &amp; Sons" in html
    assert "<b>Bob</b>" in text  # plain text is not HTML: the value as written
    links = re.findall(r'href="([^"]+)"', html)
    tracked = [link for link in links if "/m/c/" in link]
    assert len(tracked) == 1
    token = tracked[0].rsplit("/", 1)[1]
    assert tracking_tokens.read_click_token(token) == (
        ref.id,
        "https://example.com/offer?a=1&b=2",
    )
    assert "mailto:sales@example.com" in links and "#top" in links
    assert unsubscribe in links  # the unsubscribe link is never wrapped
    assert re.search(r'<img src="http://rapport\.test/m/o/[^"]+\.gif" width="1" height="1"', html)
    assert text.count(unsubscribe) == 1 and html.count(unsubscribe) == 1  # no extra footer


def test_footer_added_when_template_has_no_unsubscribe_link(app, marketer):
    contact = make_contact(marketer, first_name="Ann", email="ann@example.com")
    template = make_template(
        marketer, html_body="<p>Hello</p>", text_body="Hello {{ contact.first_name }}"
    )
    campaign = make_campaign(marketer, template=template, segment=make_segment(marketer))
    ref = _recipient(campaign, contact)
    with app.test_request_context(base_url="http://rapport.test"):
        message = _build(campaign, template, ref)
    html, text = _parts(message)
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe in html and unsubscribe in text
    assert "/m/p/" in html and "/m/p/" in text  # the preferences page too
    assert text.startswith("Hello Ann")


def test_recipient_language_from_preference_then_portal(app, marketer):
    template = make_template(
        marketer,
        subject="Hello",
        subject_zh="你好 {{ contact.first_name }}",
        html_body="<p>Hi</p>",
        html_body_zh="<p>嗨</p>",
    )
    campaign = make_campaign(marketer, template=template, segment=make_segment(marketer))
    by_preference = make_contact(marketer, first_name="美玲", email="mei@example.com")
    make_preference("mei@example.com", locale="zh_Hant")
    by_portal = make_contact(marketer, first_name="Wen", email="wen@example.com")
    db.session.add(PortalUser(contact_id=by_portal.id, email="wen@example.com", locale="zh_Hant"))
    plain = make_contact(marketer, first_name="Tom", email="tom@example.com")
    db.session.commit()
    refs = [_recipient(campaign, c) for c in (by_preference, by_portal, plain)]
    with app.test_request_context(base_url="http://rapport.test"):
        builder = CampaignMail(campaign, template)
        people = builder.people(refs)
        subjects = [_received(builder.build(ref, people[ref.id]))["Subject"] for ref in refs]
    assert subjects == ["你好 美玲", "你好 Wen", "Hello"]


def test_test_message_goes_to_the_actor_untracked(app, marketer):
    template = make_template(marketer, html_body=HTML)
    campaign = make_campaign(marketer, template=template, segment=make_segment(marketer))
    with app.test_request_context(base_url="http://rapport.test"):
        message = _received(CampaignMail(campaign, template).test_message(marketer))
    assert message["Subject"] == "[Test] Hello Mia"
    assert message["To"].addresses[0].addr_spec == marketer.email
    html, _text = _parts(message)
    assert "/m/c/" not in html and "/m/o/" not in html
    assert "https://example.com/offer" in html
