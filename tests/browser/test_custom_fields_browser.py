"""An administrator, in a real browser, adds fields to leads, reorders and retires one
with HTMX, and tidies tags."""

import pytest

from app.extensions import db
from app.models.identity import Role
from app.services import tags
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_admin_builds_lead_fields_and_tidies_tags(page):
    admin = make_user(Role.ADMIN, email="admin@example.com")
    tags.add_tags(admin, "users", admin.id, ["vip", "V.I.P.", "north"])
    db.session.commit()
    page.goto("/login")
    page.fill("#email", "admin@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    page.goto("/admin/custom-fields")
    page.click("#custom-fields-admin nav >> text=Leads")
    page.wait_for_selector("text=Add a field to Leads")
    assert page.url.endswith("entity=lead")

    page.fill("#label", "Budget")
    page.select_option("#field_type", "number")
    page.click("#add-field")
    page.wait_for_selector("text=The field “Budget” is added.")
    page.fill("#label", "Tier")
    page.fill("#label_zh", "等級")
    page.select_option("#field_type", "choice")
    page.fill("#choices", "Gold\nSilver")
    page.check("#required")
    page.click("#add-field")
    page.wait_for_selector("text=The field “Tier” is added.")

    rows = page.locator("#custom-fields-lead tbody tr")
    assert rows.nth(0).inner_text().startswith("Budget")
    rows.nth(1).locator("button[title='Move up']").click()
    page.wait_for_function(
        "document.querySelector('#custom-fields-lead tbody tr').innerText.startsWith('Tier')"
    )
    rows.nth(0).locator("text=Deactivate").click()
    page.wait_for_selector("#custom-fields-lead >> text=Reactivate")
    page.screenshot(path="/tmp/rapport-custom-fields.png", full_page=True)

    page.goto("/admin/tags")
    page.on("dialog", lambda dialog: dialog.accept())
    row = page.locator("tr", has_text="V.I.P.")
    row.locator("input[name=into]").fill("vip")
    row.locator("text=Merge").click()
    page.wait_for_selector("text=“V.I.P.” is merged into “vip”.")
    assert page.locator("#tags-admin tbody tr").count() == 2
    page.screenshot(path="/tmp/rapport-tags.png", full_page=True)
