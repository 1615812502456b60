"""The public lead form. A plain WTForms form: the page is embedded on other sites, where
no session (hence no CSRF token) exists; spam is kept out by a honeypot and a rate limit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, Form, HiddenField, StringField, TelField, TextAreaField

# The honeypot: hidden from people, filled in by bots that fill every field.
HONEYPOT = "website_url"


class LeadForm(Form):
    first_name = StringField(_l("First name"))
    last_name = StringField(_l("Last name"))
    company = StringField(_l("Company"))
    title = StringField(_l("Job title"))
    email = EmailField(_l("Email"))
    phone = TelField(_l("Phone"))
    country = StringField(_l("Country (2 letters)"))
    city = StringField(_l("City"))
    industry = StringField(_l("Industry"))
    description = TextAreaField(_l("How can we help?"))
    website_url = StringField(_l("Leave this field empty"))
    next = HiddenField()
    page = HiddenField()

    # Rendered in this order; the honeypot and hidden fields separately.
    VISIBLE = (
        "first_name", "last_name", "company", "title", "email", "phone", "country", "city",
        "industry", "description",
    )  # fmt: skip
