"""A sales rep, in a real browser, finds a customer by part of its Chinese name with the
active search and opens its 360-degree page."""

import pytest

from app.extensions import db
from app.models.identity import Role
from tests.factories import PASSWORD, make_contact, make_customer, make_user

pytestmark = pytest.mark.browser


def test_rep_finds_a_customer_by_part_of_its_chinese_name_and_opens_it(page):
    rep = make_user(Role.SALES, email="rep@example.com")
    tsmc = make_customer(rep, name="台灣積體電路", company="TSMC", status="CUSTOMER")
    make_contact(rep, tsmc, first_name="美玲", last_name="林", is_primary=True)
    make_customer(rep, name="鴻海精密工業")
    db.session.commit()

    page.goto("/login")
    page.fill("#email", "rep@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")

    page.click("nav >> text=Customers")
    page.wait_for_selector("#customer-table >> text=鴻海精密工業")
    page.fill("#q", "積體")
    page.wait_for_function(
        "!document.querySelector('#customer-results').innerText.includes('鴻海')"
    )
    assert "q=" in page.url
    rows = page.locator("#customer-table tbody tr")
    assert rows.count() == 1
    page.screenshot(path="/tmp/rapport-customers.png", full_page=True)

    rows.first.locator("text=台灣積體電路").click()
    page.wait_for_selector("h1 >> text=台灣積體電路")
    assert page.locator("#customer-contacts").inner_text().count("林美玲") == 1
    assert page.locator("#customer-contacts >> text=Primary").count() == 1
    page.screenshot(path="/tmp/rapport-customer-360.png", full_page=True)


def test_export_follows_the_filters_chosen_after_the_page_loaded(page, background_worker):
    rep = make_user(Role.SALES, email="rep@example.com")
    make_customer(rep, name="Kept Customer Ltd", status="CUSTOMER")
    make_customer(rep, name="Filtered Out Prospect", status="PROSPECT")
    db.session.commit()

    page.goto("/login")
    page.fill("#email", "rep@example.com")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#home")
    page.goto("/customers")
    page.select_option("#status", "CUSTOMER")
    page.wait_for_function(
        "!document.querySelector('#customer-results').innerText.includes('Filtered Out')"
    )

    page.click("#export-customer button")
    link = page.wait_for_selector("#job-result-link", timeout=20_000)
    with page.expect_download() as download:
        link.click()
    exported = download.value.path().read_text(encoding="utf-8-sig")
    assert "Kept Customer Ltd" in exported
    assert "Filtered Out Prospect" not in exported
