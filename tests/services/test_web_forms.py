"""The web form designer: forms with slugs, statuses and campaigns, field lists that must
fill a lead's last name and email or phone, mapped only to allowlisted lead fields or
active lead custom fields, safe redirect addresses, and A/B variants with their weights."""

import pytest

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import FormStatus, FormSubmission
from app.services import custom_fields, web_form_variants, web_forms
from app.services.validation import RecordInvalid
from app.services.web_form_fields import DEFAULT_FIELDS, check_fields
from tests.factories import make_user
from tests.marketing_factories import make_campaign, make_web_form


def _field(key, maps_to="", type="text", **extra):
    return {"key": key, "label": key.title(), "type": type, "maps_to": maps_to, **extra}


BASIC = [_field("last_name", "last_name"), _field("email", "email", "email", required=True)]


def test_a_new_form_gets_a_slug_from_its_name_a_draft_status_and_variant_a():
    marketer = make_user(Role.MARKETING)
    form = web_forms.create_form(marketer, name="Spring Webinar — Taipei!", fields=BASIC)
    twin = web_forms.create_form(marketer, name="Spring webinar Taipei", fields=BASIC)
    chinese = web_forms.create_form(marketer, name="春季研討會", fields=BASIC)
    db.session.commit()

    assert (form.slug, twin.slug, chinese.slug) == (
        "spring-webinar-taipei",
        "spring-webinar-taipei-2",
        "form",
    )
    assert form.status is FormStatus.DRAFT and form.owner_id == marketer.id
    [variant] = web_form_variants.variants_of(form)
    assert (variant.name, variant.weight, variant.is_active) == ("A", 100, True)


def test_without_fields_a_form_asks_the_usual_contact_details():
    form = web_forms.create_form(make_user(Role.MARKETING), name="Contact us")
    assert [f["maps_to"] for f in form.fields] == [f["maps_to"] for f in DEFAULT_FIELDS]


def test_a_given_slug_must_be_url_safe_and_unique():
    marketer = make_user(Role.MARKETING)
    web_forms.create_form(marketer, name="One", slug="offer", fields=BASIC)
    with pytest.raises(RecordInvalid) as taken:
        web_forms.create_form(marketer, name="Two", slug="offer", fields=BASIC)
    assert "already uses" in taken.value.errors["slug"]
    with pytest.raises(RecordInvalid) as bad:
        web_forms.create_form(marketer, name="Two", slug="Our offer/../x", fields=BASIC)
    assert "lower-case" in bad.value.errors["slug"]


def test_a_form_must_fill_the_last_name_and_an_email_or_phone():
    _, errors = check_fields([_field("first", "first_name")])
    assert "last name" in errors["fields"] and "email or phone" in errors["fields"]
    clean, errors = check_fields([_field("name", "last_name"), _field("tel", "phone", "phone")])
    assert errors == {}
    assert clean[0]["required"] is True  # a lead needs its last name


def test_field_checks_name_each_bad_attribute():
    _, errors = check_fields(
        BASIC
        + [
            _field("Bad Key!"),
            _field("owner", "owner_id"),
            _field("kind", type="select"),
            _field("x", type="rainbow"),
            _field("website_url"),
            _field("email", "company"),
            {"key": "nolabel", "type": "text", "maps_to": ""},
            _field("mail2", "email"),
        ]
    )
    assert "lower-case" in errors["fields.2.key"]
    assert errors["fields.3.maps_to"] == "Choose a lead field from the list."
    assert "one a line" in errors["fields.4.choices"]
    assert "Choose one of" in errors["fields.5.type"]
    assert "used by the page" in errors["fields.6.key"]
    assert "already uses this key" in errors["fields.7.key"]
    assert "label" in errors["fields.8.label"]
    assert "email field" in errors["fields.9.type"]


def test_two_fields_cannot_fill_the_same_lead_field_and_checkboxes_only_fill_custom_fields():
    _, errors = check_fields(
        BASIC + [_field("surname", "last_name"), _field("ok", "company", "checkbox")]
    )
    assert "already fills" in errors["fields.2.maps_to"]
    assert "checkbox" in errors["fields.3.maps_to"]


def test_active_lead_custom_fields_may_be_filled_and_inactive_ones_not():
    admin = make_user(Role.ADMIN)
    budget = custom_fields.define_field(admin, "lead", "Budget range", "text")
    old = custom_fields.define_field(admin, "lead", "Old field", "text")
    custom_fields.set_active(admin, old, False)
    db.session.commit()

    _, errors = check_fields(BASIC + [_field("budget", f"custom.{budget.key}")])
    assert errors == {}
    _, errors = check_fields(BASIC + [_field("old", f"custom.{old.key}")])
    assert "fields.2.maps_to" in errors
    assert f"custom.{budget.key}" in web_forms.mapping_labels()


def test_keys_default_to_the_mapped_field_and_select_choices_are_kept_once():
    clean, errors = check_fields(
        [
            {"label": "Surname", "type": "text", "maps_to": "last_name"},
            {"label": "Email", "type": "email", "maps_to": "email"},
            {"label": "Size", "type": "select", "choices": "Small\nLarge\nSmall\n"},
        ]
    )
    assert errors == {}
    assert [f["key"] for f in clean] == ["last_name", "email", "field_3"]
    assert clean[2]["choices"] == ["Small", "Large"]


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.com/thanks", True),
        ("http://example.com", True),
        ("", True),
        ("javascript:alert(1)", False),
        ("//evil.example", False),
        ("/thanks", False),
        ("https://exa mple.com", False),
        ("data:text/html,hi", False),
    ],
)
def test_the_redirect_must_be_a_full_http_address(url, ok):
    errors = {}
    web_forms.check_redirect(url, errors)
    assert ("redirect_url" not in errors) is ok


def test_campaigns_the_marketer_may_read_only():
    marketer = make_user(Role.MARKETING)
    campaign = make_campaign(marketer)
    form = web_forms.create_form(
        marketer, name="With campaign", campaign_id=campaign.id, fields=BASIC
    )
    assert form.campaign_id == campaign.id
    with pytest.raises(RecordInvalid) as bad:
        web_forms.update_form(form, marketer, campaign_id=999999)
    assert "campaign" in bad.value.errors["campaign_id"]


def test_only_marketing_managers_and_admins_write_forms():
    with pytest.raises(Exception) as refused:
        web_forms.create_form(make_user(Role.SALES), name="No", fields=BASIC)
    assert getattr(refused.value, "code", None) == 403
    with pytest.raises(Exception) as refused:
        web_forms.create_form(make_user(Role.SUPPORT), name="No", fields=BASIC)
    assert getattr(refused.value, "code", None) == 403


def test_a_form_with_submissions_is_archived_not_deleted():
    marketer = make_user(Role.MARKETING)
    form = make_web_form(marketer)
    empty = make_web_form(marketer)
    db.session.add(FormSubmission(form_id=form.id, data={}))
    db.session.commit()
    with pytest.raises(RecordInvalid):
        web_forms.delete_form(form, marketer)
    web_forms.delete_form(empty, marketer)
    db.session.commit()
    assert db.session.get(type(empty), empty.id) is None


def test_variants_have_unique_names_weights_from_0_to_100_and_one_always_shows():
    marketer = make_user(Role.MARKETING)
    form = make_web_form(marketer)
    [a] = web_form_variants.variants_of(form)
    b = web_form_variants.add_variant(form, marketer, name="B", weight="50", headline="Try it")
    assert web_form_variants.traffic_shares([a, b]) == {a.id: 100 / 150, b.id: 50 / 150}

    with pytest.raises(RecordInvalid) as same:
        web_form_variants.add_variant(form, marketer, name="b")
    assert "name" in same.value.errors
    with pytest.raises(RecordInvalid) as heavy:
        web_form_variants.update_variant(b, marketer, weight=101)
    assert "0 to 100" in heavy.value.errors["weight"]
    web_form_variants.update_variant(a, marketer, is_active=False)
    with pytest.raises(RecordInvalid) as nothing:
        web_form_variants.update_variant(b, marketer, weight=0)
    assert "At least one active variant" in nothing.value.errors["weight"]
    assert web_form_variants.traffic_shares([a, b]) == {b.id: 1.0}


def test_a_variant_with_results_is_kept_and_one_without_may_go():
    marketer = make_user(Role.MARKETING)
    form = make_web_form(marketer, variants=[{"name": "A", "weight": 50, "views": 3},
                                             {"name": "B", "weight": 50}])  # fmt: skip
    a, b = web_form_variants.variants_of(form)
    with pytest.raises(RecordInvalid):
        web_form_variants.remove_variant(a, marketer)
    web_form_variants.remove_variant(b, marketer)
    assert [v.name for v in web_form_variants.variants_of(form)] == ["A"]


def test_the_list_shows_readable_forms_with_their_totals():
    marketer = make_user(Role.MARKETING)
    form = make_web_form(marketer, name="Pricing", variants=[
        {"name": "A", "weight": 50, "views": 100, "submissions": 10},
        {"name": "B", "weight": 50, "views": 100, "submissions": 30},
    ])  # fmt: skip
    make_web_form(marketer, name="Other", status="DRAFT")
    rows, cursor = web_forms.form_page(marketer, q="pric")
    assert [r.name for r in rows] == ["Pricing"] and cursor is None
    assert web_forms.totals_for(rows)[form.id] == {"views": 200, "submissions": 40, "rate": 0.2}
    rows, _ = web_forms.form_page(marketer, status=FormStatus.DRAFT)
    assert [r.name for r in rows] == ["Other"]
    assert web_forms.form_page(make_user(Role.SUPPORT))[0] == []
