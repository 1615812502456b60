"""A record's form grows one input per custom field, and submitted values come back
cleaned for storage, with the service's own messages on bad input."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import render_template_string
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.validators import DataRequired

from app.extensions import db
from app.models.identity import Role
from app.services import custom_fields
from app.services.custom_field_forms import custom_form_values, form_with_custom_fields
from tests.factories import make_user

MACRO = (
    '{% from "_macros/custom_fields.html" import custom_fields, custom_values %}'
    "<form>{{ form.name() }}{{ custom_fields(form) }}</form>"
)


class ContactForm(FlaskForm):
    """Stands in for the contact form that ships later."""

    class Meta:
        csrf = False

    name = StringField("Name", validators=[DataRequired()])


@pytest.fixture
def contact_fields():
    admin = make_user(Role.ADMIN)
    define = custom_fields.define_field
    fields = [
        define(admin, "contact", "Birthday", "date"),
        define(admin, "contact", "Credit limit", "number", required=True),
        define(admin, "contact", "Segment", "choice", choices=["SMB", "Enterprise"]),
        define(admin, "contact", "Newsletter", "checkbox"),
        define(admin, "contact", "Nickname", "text", label_zh="暱稱"),
    ]
    db.session.commit()  # tests render in fresh app contexts, which have their own session
    return fields


def _post(app, data: dict, headers=None):
    return app.test_request_context(method="POST", data=data, headers=headers or {})


def test_form_renders_one_labelled_input_per_field(app, contact_fields):
    with app.app_context(), app.test_request_context():
        form = form_with_custom_fields(ContactForm, "contact")
        html = render_template_string(MACRO, form=form)
    assert 'id="custom-fields"' in html
    assert 'type="date"' in html and 'name="cf_birthday"' in html
    assert 'name="cf_credit_limit"' in html and "required" in html
    assert '<option value="Enterprise">Enterprise</option>' in html
    assert 'type="checkbox"' in html and 'name="cf_newsletter"' in html
    assert "Nickname" in html and "暱稱" not in html
    assert html.index("cf_birthday") < html.index("cf_credit_limit") < html.index("cf_nickname")


def test_chinese_session_sees_chinese_labels(app, contact_fields):
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        html = render_template_string(MACRO, form=form_with_custom_fields(ContactForm, "contact"))
    assert "暱稱" in html


def test_submitted_values_round_trip_into_the_record(app, contact_fields):
    record = SimpleNamespace(name="Ann", custom={"old_key": "kept"})
    data = {
        "name": "Ann Lee",
        "cf_birthday": "1990-07-14",
        "cf_credit_limit": "2500.50",
        "cf_segment": "SMB",
        "cf_newsletter": "y",
        "cf_nickname": " Annie ",
    }
    with _post(app, data):
        form = form_with_custom_fields(ContactForm, "contact", record=record)
        assert form.validate()
        custom_fields.apply_values(record, form.custom_data)
    assert record.custom == {
        "old_key": "kept",
        "birthday": "1990-07-14",
        "credit_limit": "2500.50",
        "segment": "SMB",
        "newsletter": True,
        "nickname": "Annie",
    }

    with app.test_request_context():
        again = form_with_custom_fields(ContactForm, "contact", record=record)
        assert again.name.data == "Ann"
        assert again.cf_birthday.data == date(1990, 7, 14)
        assert again.cf_credit_limit.data == Decimal("2500.50")
        assert again.cf_newsletter.data is True
        assert 'value="2500.50"' in again.cf_credit_limit()
        assert custom_form_values(again)["segment"] == "SMB"


def test_bad_input_shows_the_services_messages(app, contact_fields):
    data = {"name": "Ann", "cf_birthday": "14/07/1990", "cf_credit_limit": "lots"}
    with _post(app, data):
        form = form_with_custom_fields(ContactForm, "contact")
        assert not form.validate()
        assert form.cf_credit_limit.errors == ["Enter a number, for example 1250 or 99.90."]
        assert form.cf_birthday.errors == ["Enter a date as YYYY-MM-DD, for example 2025-03-31."]
        assert form.cf_segment.errors == []
        html = render_template_string(MACRO, form=form)
    assert 'value="lots"' in html  # what the user typed stays in the input
    assert "Enter a number" in html


def test_missing_required_value_and_unknown_choice_are_errors(app, contact_fields):
    with _post(app, {"name": "Ann", "cf_credit_limit": "", "cf_segment": "Galactic"}):
        form = form_with_custom_fields(ContactForm, "contact")
        assert not form.validate()
        assert form.cf_credit_limit.errors == ["This field is required."]
        assert form.cf_segment.errors == ["Choose one of: SMB, Enterprise."]


def test_base_form_errors_still_count(app, contact_fields):
    with _post(app, {"name": "", "cf_credit_limit": "10"}):
        form = form_with_custom_fields(ContactForm, "contact")
        assert not form.validate()
        assert form.name.errors and not form.cf_credit_limit.errors


def test_explicit_formdata_works_outside_a_post(app, contact_fields):
    formdata = MultiDict({"name": "Ann", "cf_credit_limit": "7"})
    with app.test_request_context():
        form = form_with_custom_fields(ContactForm, "contact", formdata=formdata)
        assert form.validate()
        assert form.custom_data["credit_limit"] == "7"
        assert form.custom_data["newsletter"] is False


def test_custom_values_macro_shows_stored_values(app, contact_fields):
    template = (
        '{% from "_macros/custom_fields.html" import custom_values %}'
        "{{ custom_values(fields, values) }}"
    )
    values = {"credit_limit": "2500.50", "newsletter": True, "nickname": "<b>Annie</b>"}
    with app.app_context(), app.test_request_context():
        html = render_template_string(template, fields=contact_fields, values=values)
    assert "2,500.5" in html and "Yes" in html
    assert "&lt;b&gt;Annie&lt;/b&gt;" in html
    assert "Birthday" not in html  # no value, no row
