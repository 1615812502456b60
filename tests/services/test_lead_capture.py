"""Leads from the public web form: only the form's fields are taken (never an owner or a
team), the lead service's checks apply, and only allowlisted pages are redirected to."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.sales import Lead, LeadSource, LeadStatus
from app.services.lead_capture import allowed_redirect, capture_lead
from app.services.validation import RecordInvalid
from tests.factories import make_team, make_user


def test_a_visitor_cannot_choose_the_owner_team_status_or_source():
    rep = make_user(Role.SALES)
    team = make_team()

    lead = capture_lead(
        {
            "last_name": "Chen",
            "phone": "0912 345 678",
            "owner_id": str(rep.id),
            "team_id": str(team.id),
            "status": "QUALIFIED",
            "source": "REFERRAL",
            "custom": {"x": "y"},
        },
        page=" https://www.example.com/contact ",
    )

    assert (lead.owner_id, lead.team_id, lead.created_by_id) == (None, None, None)
    assert (lead.status, lead.source) == (LeadStatus.NEW, LeadSource.WEB_FORM)
    assert lead.source_detail == "https://www.example.com/contact"
    assert lead.search_text == "chen 0912 345 678"


def test_the_lead_checks_apply_and_a_way_to_reply_is_required():
    with pytest.raises(RecordInvalid) as refused:
        capture_lead({"last_name": "", "email": "", "country": "Taiwan", "company": "x" * 201})
    assert set(refused.value.errors) == {"last_name", "email", "country", "company"}
    with pytest.raises(RecordInvalid) as refused:
        capture_lead({"last_name": "Chen", "email": "not-an-email"})
    assert "valid email" in refused.value.errors["email"]
    assert db.session.scalar(sa.select(sa.func.count(Lead.id))) == 0


def test_redirects_go_only_to_allowlisted_pages_or_origins():
    allowlist = ["https://www.example.com", "https://shop.example.org/thanks", "not a url"]

    assert allowed_redirect("https://www.example.com/any/page", allowlist)
    assert allowed_redirect("https://WWW.example.com", allowlist)
    assert allowed_redirect("https://shop.example.org/thanks", allowlist)
    for refused in (
        "https://shop.example.org/thanks/more",
        "http://www.example.com/",  # another scheme is another origin
        "https://www.example.com.evil.example/",
        "https://www.example.com@evil.example/",
        "https://www.example.com\\@evil.example/",
        "https://www.example.com/\nLocation: x",
        "//www.example.com/",
        "/local/path",
        "javascript://www.example.com/%0aalert(1)",
        "",
        None,
    ):
        assert allowed_redirect(refused, allowlist) is None, refused
    assert allowed_redirect("https://www.example.com/", []) is None
