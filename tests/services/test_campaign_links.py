"""Campaign short links: default UTM tags per channel, validation, unguessable unique
codes, the destination keeps the target's parameters, a click counts and records a VISIT
(DOWNLOAD for content), and leads arriving with a link's tags are attributed to it."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import CampaignLink, EventKind, FormSubmission, MarketingEvent, WebForm
from app.services import campaign_links, lead_capture
from app.services.validation import RecordInvalid
from tests.factories import make_user
from tests.marketing_factories import make_campaign


@pytest.fixture
def marketer():
    return make_user(Role.MARKETING)


@pytest.fixture
def campaign(marketer):
    return make_campaign(marketer, type="SOCIAL")


def test_a_new_link_gets_default_tags_and_a_random_code(marketer, campaign):
    link = campaign_links.create_link(
        campaign,
        marketer,
        channel="linkedin",
        label="Spring Post #1",
        target_url="https://www.example.com/offer",
    )
    assert (link.utm_source, link.utm_medium, link.utm_campaign, link.utm_content) == (
        "linkedin",
        "social",
        f"c{campaign.id}",
        "spring-post-1",
    )
    assert len(link.code) >= 8 and campaign_links.CODE_PATTERN.fullmatch(link.code)
    assert link.created_by_id == marketer.id and link.clicks == 0
    mail = campaign_links.create_link(
        campaign, marketer, channel="email", target_url="https://x.example/", utm_source="news"
    )
    ads = campaign_links.create_link(
        campaign, marketer, channel="ads", target_url="http://x.example/"
    )
    assert (mail.utm_source, mail.utm_medium, mail.utm_content) == ("news", "email", "")
    assert ads.utm_medium == "cpc"
    assert len({link.code, mail.code, ads.code}) == 3


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"channel": "myspace", "target_url": "https://x.example/"}, "channel"),
        ({"channel": "x", "target_url": "javascript:alert(1)"}, "target_url"),
        ({"channel": "x", "target_url": "data:text/html,hi"}, "target_url"),
        ({"channel": "x", "target_url": "https://x.example/a b"}, "target_url"),
        ({"channel": "x", "target_url": "//x.example/"}, "target_url"),
        ({"channel": "x", "target_url": ""}, "target_url"),
        ({"channel": "x", "target_url": "https://x.example/" + "a" * 1000}, "target_url"),
        ({"channel": "x", "target_url": "https://x.example/", "label": "l" * 121}, "label"),
    ],
)
def test_bad_links_are_refused(marketer, campaign, fields, bad):
    with pytest.raises(RecordInvalid) as refused:
        campaign_links.create_link(campaign, marketer, **fields)
    assert bad in refused.value.errors


def test_the_destination_merges_the_tags_into_the_targets_query(marketer, campaign):
    link = campaign_links.create_link(
        campaign,
        marketer,
        channel="facebook",
        label="Reel",
        target_url="https://www.example.com/p?ref=home&utm_source=old#top",
    )
    assert campaign_links.destination(link) == (
        "https://www.example.com/p?ref=home&utm_source=facebook&utm_medium=social"
        f"&utm_campaign=c{campaign.id}&utm_content=reel#top"
    )


def test_following_a_link_counts_and_records_the_event(marketer, campaign):
    post = campaign_links.create_link(
        campaign, marketer, channel="x", target_url="https://www.example.com/"
    )
    pdf = campaign_links.create_link(
        campaign,
        marketer,
        channel="linkedin",
        target_url="https://cdn.example.com/guide.pdf",
        is_download=True,
    )
    db.session.commit()
    for _ in range(2):
        assert campaign_links.follow(post.code) is not None
    assert campaign_links.follow(pdf.code, "v" * 20) is not None
    assert campaign_links.follow("nope-nope") is None
    assert campaign_links.follow("../../etc") is None
    db.session.commit()
    db.session.expire_all()
    assert (
        db.session.get(CampaignLink, post.id).clicks,
        db.session.get(CampaignLink, pdf.id).clicks,
    ) == (2, 1)
    events = db.session.scalars(sa.select(MarketingEvent).order_by(MarketingEvent.id)).all()
    assert [e.kind for e in events] == [EventKind.VISIT, EventKind.VISIT, EventKind.DOWNLOAD]
    assert {e.campaign_id for e in events} == {campaign.id}
    assert events[2].detail == {"channel": "linkedin", "code": pdf.code}
    assert events[2].visitor_id == "v" * 20 and events[0].visitor_id == ""


def test_leads_are_attributed_to_the_link_whose_tags_they_carry(marketer, campaign):
    first = campaign_links.create_link(
        campaign, marketer, channel="linkedin", label="First", target_url="https://x.example/"
    )
    second = campaign_links.create_link(
        campaign, marketer, channel="linkedin", label="Second", target_url="https://x.example/"
    )
    other = campaign_links.create_link(
        campaign, marketer, channel="facebook", target_url="https://x.example/"
    )
    tags = {"utm_source": "linkedin", "utm_medium": "social", "utm_campaign": f"c{campaign.id}"}
    plain = lead_capture.capture_lead({"last_name": "A", "phone": "1", **tags})
    from_form = lead_capture.capture_lead({"last_name": "B", "phone": "2", **tags})
    form = WebForm(name="Demo", slug="demo", fields=[])
    db.session.add(form)
    db.session.flush()
    db.session.add(
        FormSubmission(form_id=form.id, lead_id=from_form.id, data={}, utm_content="second")
    )
    lead_capture.capture_lead({"last_name": "C", "phone": "3", "utm_source": "linkedin"})
    db.session.commit()

    counts = {row.link.id: row.leads for row in campaign_links.links_for(campaign)}
    assert counts == {first.id: 1, second.id: 2, other.id: 0}
    assert plain.campaign_id == campaign.id
    assert [row.link.id for row in campaign_links.links_for(campaign)] == [
        other.id,
        second.id,
        first.id,
    ]


def test_deleting_a_link_keeps_its_events(marketer, campaign):
    link = campaign_links.create_link(
        campaign, marketer, channel="x", target_url="https://x.example/"
    )
    campaign_links.follow(link.code)
    campaign_links.delete_link(link, marketer)
    db.session.commit()
    assert campaign_links.follow(link.code) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MarketingEvent)) == 1
