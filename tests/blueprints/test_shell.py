"""The UI shell: error pages as full pages and as HTMX fragments, language, formatting."""

from datetime import UTC, datetime
from decimal import Decimal

from flask_babel import force_locale

from app import templating
from tests.conftest import csrf_token
from tests.factories import make_user


def test_unknown_page_is_a_full_404_page(client, login):
    login(make_user())
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<html" in html and "Page not found" in html


def test_unknown_page_for_htmx_is_a_fragment_in_the_message_area(client, login):
    login(make_user())
    response = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Page not found" in html
    assert response.headers["HX-Retarget"] == "#messages"


def test_home_page_and_fragment_share_markup_and_vary_on_hx_request(client, login):
    login(make_user(name="Ana"))
    page = client.get("/")
    fragment = client.get("/", headers={"HX-Request": "true"})
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert "<html" in page.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="home"' in fragment.get_data(as_text=True)


def test_boosted_and_history_restore_requests_get_the_full_page(client, login):
    login(make_user())
    for header in ("HX-Boosted", "HX-History-Restore-Request"):
        response = client.get("/", headers={"HX-Request": "true", header: "true"})
        assert "<html" in response.get_data(as_text=True)


def test_language_choice_is_saved_on_the_user(client, login, db):
    user = make_user(locale="en")
    login(user)
    client.post(
        "/language", data={"locale": "zh_Hant", "next": "/", "csrf_token": csrf_token(client, "/")}
    )
    db.session.refresh(user)
    assert user.locale == "zh_Hant"
    assert 'lang="zh-Hant"' in client.get("/").get_data(as_text=True)


def test_unknown_language_is_refused(client, login):
    login(make_user())
    response = client.post(
        "/language", data={"locale": "xx", "csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 400


def test_browser_language_picks_chinese_before_sign_in(client):
    html = client.get("/login", headers={"Accept-Language": "zh-TW,zh;q=0.9"}).get_data(
        as_text=True
    )
    assert 'lang="zh-Hant"' in html


def test_money_numbers_and_dates_follow_the_locale(app):
    moment = datetime(2026, 3, 5, 14, 30, tzinfo=UTC)
    with app.test_request_context():
        with force_locale("en"):
            assert templating.money(Decimal("1234.5"), "USD") == "$1,234.50"
            assert templating.number(Decimal("1234567.891")) == "1,234,567.891"
            assert templating.date(moment) == "Mar 5, 2026"
        with force_locale("zh_Hant"):
            assert templating.money(Decimal("1234.5"), "TWD") == "$1,234.50"
            assert templating.date(moment) == "2026年3月5日"
            assert templating.money(Decimal("10"), "USD") == "US$10.00"


def test_every_response_carries_the_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"  # no inline script, no eval, no other site
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def test_https_responses_ask_browsers_to_keep_https(client):
    response = client.get("/login", base_url="https://rapport.example.com")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_page_carries_inline_script():
    """The policy runs no inline script: templates load scripts from files only."""
    import pathlib
    import re

    templates = pathlib.Path(__file__).parents[2] / "app" / "templates"
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=\"|hx-on[:-]")
    offenders = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if path.parts[-2] != "email" and inline.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
