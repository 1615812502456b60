"""Who may call the API: a valid bearer token, never a session cookie."""

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import ApiToken, Role, TokenScope
from app.models.records import AuditEntry
from app.services import accounts, api_tokens
from tests.api.conftest import assert_error, bearer
from tests.factories import make_user


def test_a_caller_without_a_token_is_refused(client):
    response = client.get("/api/v1/me")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_a_made_up_or_malformed_token_is_refused(client):
    assert_error(
        client.get("/api/v1/me", headers=bearer("rpt_not-a-real-token")), 401, "unauthorized"
    )
    assert_error(client.get("/api/v1/me", headers={"Authorization": "rpt_x"}), 401, "unauthorized")
    assert_error(
        client.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401, "unauthorized"
    )


def test_a_valid_token_acts_as_its_user(client, token_for):
    rita = make_user(name="Rita Rep")
    body = client.get("/api/v1/me", headers=token_for(rita, TokenScope.READ)).get_json()
    assert body["user"]["name"] == "Rita Rep"
    assert body["token"]["scope"] == "read"


def test_a_revoked_token_is_refused(client):
    rita = make_user()
    token, plain = api_tokens.issue(rita, name="Old script", scope=TokenScope.WRITE)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 200

    api_tokens.revoke(token.id, actor=rita)
    db.session.commit()
    assert_error(client.get("/api/v1/me", headers=bearer(plain)), 401, "unauthorized")


def test_a_deactivated_users_tokens_stop_working(client, token_for):
    admin = make_user(Role.ADMIN)
    leaver = make_user()
    headers = token_for(leaver)
    accounts.update_user(leaver, actor=admin, is_active=False)
    db.session.commit()
    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")


def test_a_read_only_token_cannot_write(client, token_for):
    admin = make_user(Role.ADMIN)
    headers = token_for(admin, TokenScope.READ)
    response = client.post("/api/v1/teams", json={"name": "Key accounts"}, headers=headers)
    assert_error(response, 403, "forbidden")
    assert client.get("/api/v1/teams", headers=headers).status_code == 200


def test_a_signed_in_browser_session_alone_does_not_reach_the_api(client, login):
    admin = make_user(Role.ADMIN)
    login(admin)
    assert client.get("/").status_code == 200  # the session works for the web pages
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")
    # A forged cross-site form post carries the cookie but no token: refused, no CSRF needed.
    response = client.post("/api/v1/teams", json={"name": "Forged"})
    assert_error(response, 401, "unauthorized")


def test_the_token_user_is_the_actor_even_when_a_session_cookie_is_sent(client, login, token_for):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    rita = make_user(name="Rita Rep")
    login(admin)
    body = client.get("/api/v1/me", headers=token_for(rita)).get_json()
    assert body["user"]["name"] == "Rita Rep"


def test_writes_need_no_csrf_token_and_are_audited_as_api_changes(client, token_for):
    admin = make_user(Role.ADMIN)
    response = client.post(
        "/api/v1/teams",
        json={"name": "Key accounts"},
        headers=token_for(admin),
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == 201
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity_type == "teams")).one()
    assert (entry.source, entry.actor_id, entry.ip) == ("api", admin.id, "203.0.113.7")


def test_using_a_token_records_when_it_was_last_used(client, token_for):
    rita = make_user()
    client.get("/api/v1/me", headers=token_for(rita))
    db.session.expire_all()
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == rita.id)).one()
    assert token.last_used_at is not None
