"""The public side of web forms: which variant a visitor sees (weights, a sticky cookie,
an injected random source), view and submission counters in SQL, and what a submission
does: a lead created (or an existing one filled in, never overwritten), UTM tags and the
campaign, consent only when ticked, a FORM_SUBMIT event, the form_submitted signal."""

import random

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import (
    ConsentRecord,
    EventKind,
    FormSubmission,
    FormVariant,
    MarketingEvent,
    WebVisitor,
)
from app.models.sales import Lead, LeadSource, LeadStatus
from app.services import custom_fields, form_submissions, marketing_signals
from app.services.form_submissions import Visit
from app.services.validation import RecordInvalid
from tests.factories import make_contact, make_lead, make_user
from tests.marketing_factories import make_campaign, make_web_form

VALUES = {"first_name": "Mei", "last_name": "Lin", "email": "mei@lin.example", "company": ""}
UTM = {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring",
       "utm_term": "crm", "utm_content": "hero"}  # fmt: skip


def _f(key, type, maps_to, required=False, choices=()):
    return {"key": key, "label": key.title(), "type": type, "required": required,
            "maps_to": maps_to, "choices": list(choices)}  # fmt: skip


def _visit(**values) -> Visit:
    return Visit.from_values({**UTM, "page_url": "https://rapport.test/f/x", **values}, "10.0.0.9")


def _leads() -> list[Lead]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Lead).order_by(Lead.id)).all()


def _variant(form, name="A") -> FormVariant:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(FormVariant).where(FormVariant.form_id == form.id, FormVariant.name == name)
    )


def test_the_split_follows_the_weights_over_many_draws():
    variants = [
        {"name": "A", "weight": 70},
        {"name": "B", "weight": 30},
        {"name": "C", "weight": 50, "is_active": False},
    ]
    form = make_web_form(None, variants=variants)
    rng = random.Random(20260601)
    seen = {"A": 0, "B": 0, "C": 0}
    for _ in range(10_000):
        seen[form_submissions.choose_variant(form, draw=rng.random).name] += 1
    assert seen["C"] == 0
    assert seen["A"] / 10_000 == pytest.approx(0.70, abs=0.02)
    assert seen["B"] / 10_000 == pytest.approx(0.30, abs=0.02)


def test_a_draw_maps_to_the_variant_slices_in_id_order():
    form = make_web_form(None, variants=[{"name": "A", "weight": 1}, {"name": "B", "weight": 3}])
    names = [form_submissions.choose_variant(form, draw=lambda d=d: d).name
             for d in (0.0, 0.2499, 0.25, 0.9999)]  # fmt: skip
    assert names == ["A", "A", "B", "B"]


def test_the_cookie_keeps_a_visitor_on_their_variant_while_it_shows():
    form = make_web_form(None, variants=[{"name": "A", "weight": 50}, {"name": "B", "weight": 50}])
    b = _variant(form, "B")
    assert form_submissions.choose_variant(form, str(b.id), draw=lambda: 0.0).name == "B"
    b.is_active = False
    db.session.commit()
    assert form_submissions.choose_variant(form, str(b.id), draw=lambda: 0.9).name == "A"
    assert form_submissions.choose_variant(form, "not-an-id", draw=lambda: 0.9).name == "A"


def test_views_and_submissions_are_counted_in_sql():
    form = make_web_form(None)
    variant = _variant(form)
    form_submissions.count_view(variant)
    form_submissions.count_view(variant)
    form_submissions.submit(form, VALUES, _visit(), variant)
    db.session.commit()
    variant = _variant(form)
    assert (variant.views, variant.submissions) == (2, 1)


def test_a_submission_creates_a_web_form_lead_with_its_utm_tags_and_campaign():
    campaign = make_campaign(None)
    form = make_web_form(None, name="Spring offer", campaign_id=campaign.id)
    variant = _variant(form)
    heard = []
    listener = marketing_signals.subscribe("form_submitted", lambda **kw: heard.append(kw))
    try:
        submission = form_submissions.submit(form, VALUES, _visit(vid="v" * 20), variant)
        db.session.commit()
    finally:
        marketing_signals.unsubscribe("form_submitted", listener)

    [lead] = _leads()
    assert (lead.first_name, lead.last_name, lead.email) == ("Mei", "Lin", "mei@lin.example")
    assert (lead.source, lead.source_detail, lead.campaign_id) == (
        LeadSource.WEB_FORM, "Spring offer", campaign.id,
    )  # fmt: skip
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == (
        "newsletter",
        "email",
        "spring",
    )
    assert lead.created_by_id is None and lead.search_text
    assert (submission.lead_id, submission.variant_id, submission.ip) == (
        lead.id,
        variant.id,
        "10.0.0.9",
    )
    assert (submission.utm_term, submission.utm_content) == ("crm", "hero")
    assert submission.page_url == "https://rapport.test/f/x"
    assert submission.data["last_name"] == "Lin"
    [event] = db.session.scalars(sa.select(MarketingEvent)).all()
    assert (event.kind, event.lead_id, event.campaign_id) == (
        EventKind.FORM_SUBMIT,
        lead.id,
        campaign.id,
    )
    assert event.detail["utm_source"] == "newsletter" and event.url == submission.page_url
    assert [h["submission"].id for h in heard] == [submission.id]
    assert heard[0]["lead"].id == lead.id and heard[0]["contact"] is None
    visitor = db.session.get(WebVisitor, "v" * 20)
    assert visitor is not None and visitor.lead_id == lead.id


def test_without_a_form_campaign_the_utm_campaign_code_or_campaign_id_credits_one():
    first, second = make_campaign(None), make_campaign(None)
    form = make_web_form(None)
    form_submissions.submit(form, VALUES, _visit(utm_campaign=f"c{first.id}"))
    form_submissions.submit(
        form, VALUES | {"email": "b@x.example"}, _visit(campaign=str(second.id))
    )
    db.session.commit()
    assert [lead.campaign_id for lead in _leads()] == [first.id, second.id]


def test_social_utm_tags_mark_the_lead_as_social():
    form = make_web_form(None)
    form_submissions.submit(form, VALUES, _visit(utm_source="linkedin", utm_medium="social"))
    db.session.commit()
    [lead] = _leads()
    assert (lead.source, lead.source_detail) == (LeadSource.SOCIAL, "linkedin")


def test_a_second_submission_fills_only_the_empty_fields_of_the_same_lead():
    form = make_web_form(None)
    form_submissions.submit(form, VALUES, _visit())
    db.session.commit()
    again = {"first_name": "May", "last_name": "Lin-Chen", "email": "MEI@lin.example",
             "company": "Lin Trading"}  # fmt: skip
    form_submissions.submit(form, again, _visit(utm_source="other"))
    db.session.commit()

    [lead] = _leads()
    assert (lead.first_name, lead.last_name, lead.company) == ("Mei", "Lin", "Lin Trading")
    assert lead.utm_source == "newsletter"  # the first touch stays
    submissions = db.session.scalars(sa.select(FormSubmission)).all()
    assert [s.lead_id for s in submissions] == [lead.id, lead.id]


def test_a_converted_lead_is_not_reused_and_the_newest_open_one_is():
    owner = make_user(Role.SALES)
    converted = make_lead(owner, email="mei@lin.example")
    converted.status = LeadStatus.CONVERTED
    older = make_lead(owner, email="mei@lin.example", company="")
    newer = make_lead(owner, email="mei@lin.example", company="")
    db.session.commit()
    form = make_web_form(None)
    form_submissions.submit(form, VALUES | {"company": "Lin Trading"}, _visit())
    db.session.commit()
    assert len(_leads()) == 3
    assert db.session.get(Lead, newer.id).company == "Lin Trading"
    assert db.session.get(Lead, older.id).company == ""


def test_a_contacts_address_links_the_submission_to_the_contact():
    contact = make_contact(make_user(Role.SALES), email="mei@lin.example")
    form = make_web_form(None)
    submission = form_submissions.submit(form, VALUES, _visit())
    db.session.commit()
    assert submission.contact_id == contact.id
    [event] = db.session.scalars(sa.select(MarketingEvent)).all()
    assert event.contact_id == contact.id


@pytest.mark.parametrize(("ticked", "recorded"), [("yes", True), ("", False)])
def test_consent_is_recorded_only_when_the_box_is_ticked(ticked, recorded):
    form = make_web_form(None, name="Newsletter", consent_text="Send me news")
    submission = form_submissions.submit(form, VALUES | {"consent": ticked}, _visit())
    db.session.commit()
    records = db.session.scalars(sa.select(ConsentRecord)).all()
    assert bool(records) is recorded
    assert submission.data["consent"] is recorded
    if recorded:
        [record] = records
        assert (record.email, record.source, record.detail) == (
            "mei@lin.example",
            "form",
            "Newsletter",
        )
        assert (record.ip, record.lead_id) == ("10.0.0.9", submission.lead_id)


def test_a_consent_box_the_form_does_not_show_records_nothing():
    form = make_web_form(None)
    form_submissions.submit(form, VALUES | {"consent": "yes"}, _visit())
    db.session.commit()
    assert db.session.scalars(sa.select(ConsentRecord)).all() == []


def test_invalid_values_are_refused_with_a_message_per_field_and_nothing_changes():
    form = make_web_form(
        None,
        fields=[
            _f("last_name", "text", "last_name", required=True),
            _f("email", "email", "email"),
            _f("phone", "phone", "phone"),
            _f("size", "select", "", choices=["S", "L"]),
            _f("country", "country", "country"),
            _f("terms", "checkbox", "", required=True),
        ],
    )
    with pytest.raises(RecordInvalid) as invalid:
        form_submissions.submit(
            form,
            {"last_name": "", "email": "nope", "phone": "call me", "size": "XL", "country": "Mars"},
            _visit(),
            _variant(form),
        )
    db.session.rollback()
    errors = invalid.value.errors
    assert set(errors) == {"last_name", "email", "phone", "size", "country", "terms"}
    with pytest.raises(RecordInvalid) as no_contact:
        form_submissions.submit(form, {"last_name": "Lin", "terms": "yes"}, _visit())
    assert "email address or a phone number" in no_contact.value.errors["email"]
    db.session.rollback()
    assert _leads() == [] and _variant(form).submissions == 0


def test_the_lead_services_checks_come_back_on_the_form_fields():
    form = make_web_form(None, fields=[
        {"key": "name", "label": "Name", "type": "text", "required": True, "maps_to": "last_name"},
        {"key": "mail", "label": "Email", "type": "email", "required": True, "maps_to": "email"},
        {"key": "site", "label": "Site", "type": "text", "required": False, "maps_to": "website"},
    ])  # fmt: skip
    with pytest.raises(RecordInvalid) as invalid:
        form_submissions.submit(
            form, {"name": "Lin", "mail": "a@b.example", "site": "javascript:alert(1)"}, _visit()
        )
    assert "http" in invalid.value.errors["site"]


def test_mapped_custom_fields_and_unmapped_values_land_where_they_belong():
    admin = make_user(Role.ADMIN)
    budget = custom_fields.define_field(admin, "lead", "Budget", "text")
    db.session.commit()
    fields = [dict(f) for f in make_web_form(None).fields] + [
        {"key": "budget", "label": "Budget", "type": "text", "required": False,
         "maps_to": f"custom.{budget.key}", "choices": []},
        {"key": "note", "label": "Note", "type": "textarea", "required": False, "maps_to": "",
         "choices": []},
    ]  # fmt: skip
    form = make_web_form(None, fields=fields)
    submission = form_submissions.submit(
        form, VALUES | {"budget": "10k", "note": "Line one\nLine two"}, _visit()
    )
    db.session.commit()
    [lead] = _leads()
    assert lead.custom == {budget.key: "10k"}
    assert submission.data["note"] == "Line one\nLine two"


def test_only_published_forms_are_public():
    make_web_form(None, slug="draft", status="DRAFT")
    make_web_form(None, slug="old", status="ARCHIVED")
    live = make_web_form(None, slug="live")
    assert form_submissions.published_form("draft") is None
    assert form_submissions.published_form("old") is None
    assert form_submissions.published_form("live").id == live.id


def test_a_post_naming_another_forms_variant_counts_for_none():
    form, other = make_web_form(None), make_web_form(None)
    assert form_submissions.variant_of(form, str(_variant(other).id)) is None
    assert form_submissions.variant_of(form, str(_variant(form).id)).form_id == form.id
    assert form_submissions.variant_of(form, "1 OR 1=1") is None
