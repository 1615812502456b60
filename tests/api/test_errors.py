"""Every API error, from any layer, has the one shape and is never an HTML page."""

from app.models.identity import Role
from tests.api.conftest import assert_error
from tests.factories import make_user


def test_an_unknown_api_url_is_a_json_404(client, token_for):
    assert_error(
        client.get("/api/v1/nothing-here", headers=token_for(make_user())), 404, "not_found"
    )
    assert_error(client.get("/api/v1/users/not-a-number"), 404, "not_found")


def test_a_wrong_method_is_a_json_405(client, token_for):
    response = client.delete("/api/v1/me", headers=token_for(make_user()))
    assert_error(response, 405, "method_not_allowed")


def test_a_body_that_is_not_json_is_refused(client, token_for):
    headers = {**token_for(make_user(Role.ADMIN)), "Content-Type": "application/json"}
    response = client.post("/api/v1/teams", data="{not json", headers=headers)
    body = assert_error(response, 400, "bad_request")
    assert "json" in body["error"]["fields"]


def test_validation_errors_list_every_bad_field(client, token_for):
    headers = token_for(make_user(Role.ADMIN))
    response = client.post(
        "/api/v1/users", json={"email": "not-an-email", "role": "emperor"}, headers=headers
    )
    fields = assert_error(response, 422, "unprocessable_entity")["error"]["fields"]
    assert set(fields) == {"email", "role", "name", "password"}


def test_web_pages_still_get_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"
