"""Under the Content-Security-Policy (scripts from Rapport's files only, nothing inline, no
eval) the pages still work in a real browser, and the browser reports no violation: list
filters, search as one types, inline forms and their Cancel, the language picker."""

import pytest

from app.models.identity import Role
from tests.factories import PASSWORD, make_customer, make_lead, make_user

pytestmark = pytest.mark.browser


def test_pages_work_and_nothing_is_refused_under_the_policy(strict_page):
    page = strict_page
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "unsafe-eval" in message.text
            else None
        ),
    )
    rep = make_user(Role.SALES, email="pat.policy@example.com", name="Pat")
    make_customer(rep, name="Northwind 北風")
    make_customer(rep, name="Contoso")
    lead = make_lead(rep, first_name="Lin", last_name="Wu")

    page.goto("/login")
    page.fill("#email", "pat.policy@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    page.goto("/customers")
    page.fill("#q", "北風")
    page.locator("#customer-results", has_text="Northwind").wait_for()
    page.wait_for_function(
        "() => !document.querySelector('#customer-results').innerText.includes('Contoso')"
    )

    page.goto(f"/leads/{lead.id}")
    page.click(f"#lead-note-{lead.id}")
    form = page.locator(f"#activity-form-area-lead-{lead.id} form")
    form.wait_for()
    form.locator("button[data-dismiss]").click()
    form.wait_for(state="detached")

    with page.expect_navigation():
        page.select_option("#language-form select", "zh_Hant")
    assert "潛在客戶分數" in page.inner_text("#lead-score")
    assert violations == []
