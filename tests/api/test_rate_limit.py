"""Requests are rate-limited per token (API_RATE_LIMIT), with a JSON 429 past the limit."""

import pytest

from tests.api.conftest import assert_error
from tests.factories import make_user


@pytest.fixture
def three_per_minute(app, monkeypatch):
    # Read on every request, so the change needs no restart; monkeypatch restores it.
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")


def test_a_token_past_its_limit_gets_429_until_the_window_passes(
    client, token_for, three_per_minute
):
    rita, sam = make_user(), make_user()
    ritas, sams = token_for(rita), token_for(sam)

    for _ in range(3):
        assert client.get("/api/v1/me", headers=ritas).status_code == 200
    response = client.get("/api/v1/users", headers=ritas)
    assert_error(response, 429, "too_many_requests")
    assert int(response.headers["Retry-After"]) > 0
    # The limit is per token: another token is not slowed down by Rita's script.
    assert client.get("/api/v1/me", headers=sams).status_code == 200


def test_callers_without_a_valid_token_share_a_limit_per_address(client, three_per_minute):
    for _ in range(3):
        assert client.get("/api/v1/me").status_code == 401
    assert_error(client.get("/api/v1/me"), 429, "too_many_requests")
    other = client.get("/api/v1/me", environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert other.status_code == 401


def test_successful_responses_say_how_many_requests_remain(client, token_for):
    response = client.get("/api/v1/me", headers=token_for(make_user()))
    limit = int(response.headers["X-RateLimit-Limit"])
    assert int(response.headers["X-RateLimit-Remaining"]) == limit - 1
