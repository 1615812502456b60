"""Administrators define fields per record type; values are checked, stored exactly and
kept when a field is retired."""

from types import SimpleNamespace

import pytest

from app.models.identity import Role
from app.models.records import FieldType
from app.permissions import PermissionDenied
from app.services import custom_fields
from app.services.custom_fields import CustomFieldError
from tests.factories import make_user


@pytest.fixture
def admin():
    return make_user(Role.ADMIN)


@pytest.fixture
def deal_fields(admin):
    """A set of opportunity fields, one of each type."""
    define = custom_fields.define_field
    return {
        "budget": define(admin, "opportunity", "Budget", FieldType.NUMBER),
        "close": define(admin, "opportunity", "Expected close", "date"),
        "tier": define(admin, "opportunity", "Tier", "choice", choices=["Gold", "Silver"]),
        "nda": define(admin, "opportunity", "NDA signed", FieldType.CHECKBOX),
        "notes": define(admin, "opportunity", "Notes", FieldType.TEXT, label_zh="備註"),
    }


def test_admin_defines_fields_in_order_with_keys_from_labels(deal_fields):
    fields = custom_fields.fields_for("opportunity")
    assert [f.key for f in fields] == ["budget", "expected_close", "tier", "nda_signed", "notes"]
    assert [f.position for f in fields] == [0, 1, 2, 3, 4]
    assert deal_fields["notes"].label_zh == "備註"


def test_same_label_twice_gets_a_distinct_key(admin):
    first = custom_fields.define_field(admin, "customer", "Région (EU)", "text")
    second = custom_fields.define_field(admin, "customer", "Region EU", "text")
    assert (first.key, second.key) == ("region_eu", "region_eu_2")


def test_the_same_key_may_exist_on_another_record_type(admin):
    on_lead = custom_fields.define_field(admin, "lead", "Source", "text")
    on_ticket = custom_fields.define_field(admin, "ticket", "Source", "text")
    assert on_lead.key == on_ticket.key == "source"


def test_chinese_only_label_gets_a_generated_ascii_key(admin):
    custom_fields.define_field(admin, "customer", "Industry", "text")
    field = custom_fields.define_field(admin, "customer", "客戶等級", "text")
    assert field.key == "field_2"
    assert field.label == "客戶等級"


@pytest.mark.parametrize("choices", [None, [], ["  ", ""], ["Gold", "gold"]])
def test_choice_field_needs_distinct_choices(admin, choices):
    with pytest.raises(CustomFieldError) as refusal:
        custom_fields.define_field(admin, "customer", "Tier", "choice", choices=choices)
    assert refusal.value.field == "choices"


def test_choices_are_trimmed_and_ignored_for_other_types(admin):
    tier = custom_fields.define_field(admin, "customer", "Tier", "choice", [" Gold ", "", "B  2"])
    size = custom_fields.define_field(admin, "customer", "Size", "number", choices=["x"])
    assert tier.choices == ["Gold", "B 2"]
    assert size.choices == []


@pytest.mark.parametrize(
    ("entity_type", "label", "field_type", "field"),
    [
        ("planet", "Size", "text", "entity_type"),
        ("customer", "   ", "text", "label"),
        ("customer", "x" * 121, "text", "label"),
        ("customer", "Size", "colour", "field_type"),
    ],
)
def test_bad_definitions_are_refused(admin, entity_type, label, field_type, field):
    with pytest.raises(CustomFieldError) as refusal:
        custom_fields.define_field(admin, entity_type, label, field_type)
    assert refusal.value.field == field


@pytest.mark.parametrize("role", [Role.MANAGER, Role.SALES, Role.SUPPORT])
def test_only_administrators_change_field_definitions(deal_fields, role):
    user = make_user(role)
    with pytest.raises(PermissionDenied):
        custom_fields.define_field(user, "customer", "Size", "text")
    with pytest.raises(PermissionDenied):
        custom_fields.update_field(user, deal_fields["tier"], "Level", choices=["A"])
    with pytest.raises(PermissionDenied):
        custom_fields.deactivate_field(user, deal_fields["tier"])
    with pytest.raises(PermissionDenied):
        custom_fields.move(user, deal_fields["tier"], -1)


def test_update_keeps_the_key_and_type(admin, deal_fields):
    tier = custom_fields.update_field(
        admin, deal_fields["tier"], "Level", label_zh="等級", choices=["A", "B"], required=True
    )
    assert (tier.key, tier.field_type, tier.label, tier.label_zh) == (
        "tier",
        FieldType.CHOICE,
        "Level",
        "等級",
    )
    assert tier.choices == ["A", "B"] and tier.required


def test_fields_move_up_and_down_and_reorder(admin, deal_fields):
    custom_fields.move(admin, deal_fields["notes"], -1)
    custom_fields.move(admin, deal_fields["budget"], -1)  # already first: stays
    assert [f.key for f in custom_fields.fields_for("opportunity")] == [
        "budget",
        "expected_close",
        "tier",
        "notes",
        "nda_signed",
    ]
    custom_fields.reorder(admin, "opportunity", [deal_fields["nda"].id, deal_fields["tier"].id])
    assert [f.key for f in custom_fields.fields_for("opportunity")][:3] == [
        "nda_signed",
        "tier",
        "budget",
    ]


def test_valid_values_are_stored_in_exact_comparable_forms(deal_fields):
    clean, errors = custom_fields.validate_values(
        "opportunity",
        {
            "budget": " 1E+3 ",
            "expected_close": "2025-03-31",
            "tier": "Gold",
            "nda_signed": "on",
            "notes": "  call back in spring  ",
        },
    )
    assert errors == {}
    assert clean == {
        "budget": "1000",
        "expected_close": "2025-03-31",
        "tier": "Gold",
        "nda_signed": True,
        "notes": "call back in spring",
    }


def test_numbers_keep_their_exact_digits(deal_fields):
    clean, _ = custom_fields.validate_values("opportunity", {"budget": "0.10"}, partial=True)
    assert clean == {"budget": "0.10"}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("budget", "twelve", "Enter a number"),
        ("budget", "1,200", "Enter a number"),
        ("budget", "NaN", "Enter a number"),
        ("budget", True, "Enter a number"),
        ("budget", "1e30", "below one quintillion"),
        ("budget", "0.0000001", "at most 6 decimal places"),
        ("expected_close", "31/03/2025", "Enter a date as YYYY-MM-DD"),
        ("expected_close", "2025-02-30", "Enter a date as YYYY-MM-DD"),
        ("expected_close", "20250331", "Enter a date as YYYY-MM-DD"),
        ("tier", "Platinum", "Choose one of: Gold, Silver."),
        ("nda_signed", "maybe", "Enter yes or no."),
        ("notes", "x" * 1001, "Use at most 1000 characters."),
        ("notes", {"nested": "object"}, "Enter text."),
        ("nickname", "Bob", "There is no field “nickname” on this record."),
    ],
)
def test_each_bad_value_gets_a_specific_message(deal_fields, key, value, message):
    clean, errors = custom_fields.validate_values("opportunity", {key: value}, partial=True)
    assert message in errors[key]
    assert key not in clean


def test_required_fields_must_be_filled(admin, deal_fields):
    custom_fields.update_field(admin, deal_fields["tier"], "Tier", choices=["Gold"], required=True)
    custom_fields.update_field(admin, deal_fields["nda"], "NDA signed", required=True)
    _, errors = custom_fields.validate_values("opportunity", {"tier": "  ", "nda_signed": False})
    assert errors == {
        "tier": "This field is required.",
        "nda_signed": "Tick this box to continue.",
    }


def test_partial_values_leave_other_fields_alone(admin, deal_fields):
    custom_fields.update_field(admin, deal_fields["tier"], "Tier", choices=["Gold"], required=True)
    clean, errors = custom_fields.validate_values("opportunity", {"notes": "hi"}, partial=True)
    assert (clean, errors) == ({"notes": "hi"}, {})


def test_apply_values_assigns_a_new_dict_and_drops_cleared_values(deal_fields):
    stored = {"notes": "old", "budget": "5"}
    record = SimpleNamespace(custom=stored)
    custom_fields.apply_values(record, {"notes": None, "tier": "Gold"})
    assert record.custom is not stored
    assert record.custom == {"budget": "5", "tier": "Gold"}
    assert stored == {"notes": "old", "budget": "5"}


def test_a_deactivated_field_keeps_its_stored_values_but_takes_no_new_ones(admin, deal_fields):
    record = SimpleNamespace(custom={})
    clean, _ = custom_fields.validate_values("opportunity", {"tier": "Gold"}, partial=True)
    custom_fields.apply_values(record, clean)

    custom_fields.deactivate_field(admin, deal_fields["tier"])
    assert "tier" not in [f.key for f in custom_fields.fields_for("opportunity")]
    clean, errors = custom_fields.validate_values("opportunity", {"notes": "x", "tier": "Silver"})
    assert "tier" in errors
    custom_fields.apply_values(record, {"notes": "x"})
    assert record.custom == {"tier": "Gold", "notes": "x"}

    custom_fields.set_active(admin, deal_fields["tier"], True)
    assert "tier" in [f.key for f in custom_fields.fields_for("opportunity")]


def test_field_label_is_chinese_in_a_chinese_session(app, deal_fields):
    notes, budget = deal_fields["notes"], deal_fields["budget"]
    # A fresh app context each time: Flask-Babel caches the locale on `g`.
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        assert custom_fields.field_label(notes) == "備註"
        assert custom_fields.field_label(budget) == "Budget"  # no Chinese label: the label
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        assert custom_fields.field_label(notes) == "Notes"


def test_record_types_can_register_themselves():
    custom_fields.register_entity_type("invoice", "Invoices")
    try:
        assert custom_fields.ENTITY_TYPES["invoice"] == "Invoices"
    finally:
        del custom_fields.ENTITY_TYPES["invoice"]
