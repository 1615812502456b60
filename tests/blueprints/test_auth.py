import pytest

from app.models.identity import Role
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user


def _sign_in(client, email, password, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(
        url, data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )


def test_sign_in_lands_on_home(client):
    make_user(email="rep@example.com", name="Rita Rep")
    response = _sign_in(client, "rep@example.com", PASSWORD)
    assert response.status_code == 302 and response.location == "/"
    assert "Welcome, Rita Rep" in client.get("/").get_data(as_text=True)


def test_wrong_password_and_unknown_user_see_the_same_page(client):
    make_user(email="rep@example.com")
    wrong = _sign_in(client, "rep@example.com", "wrong password").get_data(as_text=True)
    unknown = _sign_in(client, "ghost@example.com", "wrong password").get_data(as_text=True)
    assert "Invalid email or password." in wrong
    strip = lambda html: html.replace("rep@example.com", "").replace("ghost@example.com", "")  # noqa: E731
    import re

    token = re.compile(r'value="[^"]*"')
    assert token.sub("", strip(wrong)) == token.sub("", strip(unknown))


def test_login_is_throttled(client, app):
    make_user(email="rep@example.com")
    for _ in range(app.config["LOGIN_FAILURES_PER_ACCOUNT"]):
        _sign_in(client, "rep@example.com", "wrong password")
    page = _sign_in(client, "rep@example.com", PASSWORD).get_data(as_text=True)
    assert "Too many failed sign-in attempts" in page


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "\\/evil.example/",
        "https://evil.example/",
        "https:evil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "javascript:alert(1)",
    ],
)
def test_off_site_next_is_ignored(client, target):
    make_user(email="rep@example.com")
    from urllib.parse import quote

    response = _sign_in(client, "rep@example.com", PASSWORD, quote(target, safe=""))
    assert response.status_code == 302
    assert response.location == "/"


def test_local_next_is_followed(client):
    make_user(email="rep@example.com")
    response = _sign_in(client, "rep@example.com", PASSWORD, "/profile?tab=1")
    assert response.location == "/profile?tab=1"


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_htmx_request_without_login_gets_hx_redirect(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_post_without_csrf_token_is_rejected(client, login):
    user = make_user(role=Role.SALES)
    login(user)
    response = client.post("/profile", data={"name": "Changed", "locale": "en"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_htmx_post_without_csrf_header_is_rejected(client, login):
    user = make_user(role=Role.SALES)
    login(user)
    response = client.post("/language", data={"locale": "zh_Hant"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#messages"


def test_htmx_post_with_csrf_header_is_accepted(client, login):
    user = make_user(role=Role.SALES)
    login(user)
    token = csrf_token(client, "/")
    response = client.post(
        "/language",
        data={"locale": "zh_Hant"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 302


def test_sign_out_ends_the_session(client, login):
    login(make_user())
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/").status_code == 302


def test_logout_by_get_is_not_allowed(client, login):
    login(make_user())
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_password_change_ends_other_sessions(app, login):
    user = make_user()
    other = app.test_client()
    other.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(other)},
    )
    assert other.get("/").status_code == 200
    mine = login(user)
    response = mine.post(
        "/profile/password",
        data={
            "csrf_token": csrf_token(mine, "/profile"),
            "pw-current": PASSWORD,
            "pw-password": "another long password",
            "pw-confirm": "another long password",
        },
    )
    assert response.status_code == 302
    assert mine.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client):
    make_user(email="rep@example.com")
    response = _sign_in(client, "rep@example.com", PASSWORD)
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_healthz_checks_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
