import re

from tests.conftest import csrf_token
from tests.factories import make_user


def _ask_for_reset(client, email):
    return client.post(
        "/forgot-password",
        data={"email": email, "csrf_token": csrf_token(client, "/forgot-password")},
    )


def test_reset_link_arrives_by_email_and_works_once(client, worker, smtp):
    make_user(email="rep@example.com", name="Rita")
    response = _ask_for_reset(client, "rep@example.com")
    assert response.status_code == 302
    worker()
    assert len(smtp) == 1
    message = smtp[0]
    assert message["To"] == "rep@example.com"
    body = message.get_content()
    link = re.search(r"http://rapport.test(/reset-password/\S+)", body).group(1)

    form = client.get(link)
    assert form.status_code == 200
    new_password = "my new long password"
    done = client.post(
        link,
        data={
            "password": new_password,
            "confirm": new_password,
            "csrf_token": csrf_token(client, link),
        },
    )
    assert done.status_code == 302 and done.location == "/login"

    again = client.get(link)
    assert again.status_code == 302 and again.location == "/forgot-password"

    signed_in = client.post(
        "/login",
        data={
            "email": "rep@example.com",
            "password": new_password,
            "csrf_token": csrf_token(client),
        },
    )
    assert signed_in.location == "/"


def test_unknown_address_gets_the_same_answer_and_no_mail(client, worker, smtp):
    make_user(email="rep@example.com")
    known = _ask_for_reset(client, "rep@example.com")
    unknown = _ask_for_reset(client, "nobody@example.com")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    worker()
    assert [m["To"] for m in smtp] == ["rep@example.com"]


def test_reset_email_is_in_the_users_language(client, worker, smtp):
    make_user(email="lin@example.com", locale="zh_Hant")
    _ask_for_reset(client, "lin@example.com")
    worker()
    assert smtp[0]["Subject"] != "Reset your Rapport password"


def test_mismatched_passwords_are_refused(client):
    from app.services import accounts

    user = make_user()
    link = f"/reset-password/{accounts.password_reset_token(user)}"
    page = client.post(
        link,
        data={
            "password": "one long password",
            "confirm": "another one",
            "csrf_token": csrf_token(client, link),
        },
    )
    assert page.status_code == 200
    assert "The passwords differ." in page.get_data(as_text=True)
