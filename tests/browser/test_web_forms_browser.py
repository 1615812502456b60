"""A marketer, in a real browser, designs a web form (adding, moving and removing field
rows through htmx round-trips), publishes it, and a visitor submits its landing page."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import WebForm
from app.models.sales import Lead
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def _builder(page, selector: str) -> None:
    with page.expect_response(lambda response: "/marketing/forms/builder" in response.url):
        page.click(selector)
    page.wait_for_function("() => !document.querySelector('.htmx-swapping, .htmx-settling')")


def test_a_marketer_designs_a_form_and_a_visitor_submits_it(page):
    make_user(Role.MARKETING, email="mia.forms@example.com", name="Mia")
    page.goto("/login")
    page.fill("#email", "mia.forms@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")
    page.goto("/marketing/forms/new")
    page.fill("#name", "Demo request")
    page.select_option("#status", "PUBLISHED")

    _builder(page, "#field-add")
    page.fill("#fields-4-label", "Phone")
    page.select_option("#fields-4-type", "phone")
    page.select_option("#fields-4-maps_to", "phone")
    _builder(page, "#field-up-4")
    assert page.input_value("#fields-3-label") == "Phone"
    assert page.input_value("#name") == "Demo request"  # the rest of the form is untouched
    _builder(page, "#field-remove-0")  # first name
    assert page.input_value("#fields-0-label") == "Last name"
    page.screenshot(path="/tmp/web-form-designer.png", full_page=True)

    page.click("#save-form")
    page.wait_for_selector("#form-share")
    page.screenshot(path="/tmp/web-form-page.png", full_page=True)
    form = db.session.scalar(sa.select(WebForm))
    assert [f["maps_to"] for f in form.fields] == ["last_name", "email", "phone", "company"]

    page.goto(f"/f/{form.slug}?utm_source=linkedin&utm_medium=social")
    page.fill("#f-last_name", "Lin")
    page.fill("#f-email", "mei@lin.example")
    page.screenshot(path="/tmp/web-form-landing.png", full_page=True)
    page.click("#landing-submit")
    page.wait_for_selector("#landing-thanks")
    lead = db.session.scalar(sa.select(Lead))
    assert (lead.last_name, lead.utm_source) == ("Lin", "linkedin")
