"""A marketer, in a real browser, builds a segment with two conditions: each row's inputs
follow its field, the count follows every change, and the saved segment reads back."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import Segment
from tests.factories import PASSWORD, make_contact, make_user

pytestmark = pytest.mark.browser


def _choose(page, selector: str, value: str) -> None:
    """Pick an option that re-renders the row, and let the new row arrive before typing
    (as a person would: what is typed into the old row while it is replaced is lost)."""
    with page.expect_response(lambda response: "/builder/condition" in response.url):
        page.select_option(selector, value)
    page.wait_for_function(
        "sel => document.querySelector(sel) && !document.querySelector('.htmx-swapping')",
        arg=selector,
    )
    page.wait_for_timeout(50)  # htmx settles swapped content after 20 ms


def test_a_marketer_builds_a_segment_with_two_conditions_and_sees_its_count(page):
    marketer = make_user(Role.MARKETING, email="mia.segments@example.com", name="Mia")
    make_contact(marketer, first_name="Mei", last_name="Chen", email="mei@corp.com.tw")
    make_contact(marketer, first_name="Wei", last_name="Lin", email="wei@corp.com.tw")
    make_contact(marketer, first_name="Ann", last_name="Lee", email="ann@corp.com")
    page.goto("/login")
    page.fill("#email", "mia.segments@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")
    page.goto("/marketing/segments/new")
    page.locator("#segment-count", has_text="3 contacts match").wait_for()

    _choose(page, "#g0c0-field", "email")
    page.wait_for_selector("#g0c0-op")
    _choose(page, "#g0c0-op", "contains")
    page.fill("#g0c0-value", ".tw")
    page.locator("#segment-count", has_text="2 contacts match").wait_for()

    page.click("#add-condition-0")
    page.wait_for_selector("#g0c1-field")
    assert page.input_value("#g0c0-value") == ".tw"  # the first row survives the rebuild
    _choose(page, "#g0c1-field", "first_name")
    page.wait_for_selector("#g0c1-value")
    page.fill("#g0c1-value", "mei")
    page.locator("#segment-count", has_text="1 contact matches").wait_for()

    _choose(page, "#g0c1-field", "created_at")
    page.wait_for_selector("#g0c1-value[type=date]")
    _choose(page, "#g0c1-op", "within_days")
    page.wait_for_selector("#g0c1-value[type=number]")
    page.fill("#g0c1-value", "7")
    page.locator("#segment-count", has_text="2 contacts match").wait_for()

    page.fill("#name", "Taiwan, new this week")
    page.click("#save-segment")
    page.wait_for_selector("#segment-definition")
    assert "Email contains .tw" in page.inner_text("#segment-definition")
    assert "Created in the last 7 days" in page.inner_text("#segment-definition")
    page.locator("#segment-count", has_text="2 contacts match").wait_for()
    segment = db.session.scalar(sa.select(Segment))
    assert segment.name == "Taiwan, new this week"
