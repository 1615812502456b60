"""A newcomer's first minutes, in a real browser: sign in as the seeded admin, switch
language, add a colleague to a team, sign out; the colleague signs in and is kept out of
administration."""

import pytest

from app.services import demo

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "seeded admin password"


@pytest.fixture
def seeded(db):
    demo.seed(seed=42, scale="small", admin_password=ADMIN_PASSWORD)
    db.session.commit()


def sign_in(page, email, password):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#sign-in")


def test_admin_switches_language_adds_a_colleague_who_cannot_administer(page, seeded):
    sign_in(page, "admin@example.com", ADMIN_PASSWORD)
    page.wait_for_selector("#home")
    assert "Welcome" in page.inner_text("#home")

    with page.expect_navigation():
        page.select_option("#language-form select", "zh_Hant")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    assert "歡迎" in page.inner_text("#home")
    with page.expect_navigation():
        page.select_option("#language-form select", "en")
    assert "Welcome" in page.inner_text("#home")

    page.goto("/admin/users/new")
    page.fill("#name", "Nina New")
    page.fill("#email", "nina@example.com")
    page.select_option("#role", "sales")
    page.select_option("#team_id", label="Sales North 北區業務部")
    page.fill("#password", "nina's long password")
    page.click("#save-user")
    page.wait_for_selector("text=nina@example.com")
    page.screenshot(path="/tmp/rapport-admin-users.png", full_page=True)

    page.click("#user-menu")
    with page.expect_navigation():
        page.click("#sign-out")
    page.wait_for_selector("#sign-in")

    sign_in(page, "nina@example.com", "nina's long password")
    page.wait_for_selector("#home")
    response = page.goto("/admin/users")
    assert response.status == 403
    assert "Access denied" in page.inner_text("main")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/")
    page.screenshot(path="/tmp/rapport-home-phone.png", full_page=True)
