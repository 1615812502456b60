"""API test helpers: personal access tokens issued the way the tokens page issues them."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models.identity import TokenScope
from app.services import api_tokens


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def token_for():
    """Issue a token for `user` and return the request headers that carry it."""

    def issue(user, scope: TokenScope = TokenScope.WRITE) -> dict[str, str]:
        _, plain = api_tokens.issue(user, name="Integration", scope=scope)
        db.session.commit()
        return bearer(plain)

    return issue


def assert_error(response, status: int, code: str) -> dict:
    """The response is an API error of this status and code; returns its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body


DOC_ENDPOINTS = {"api-docs.openapi_json", "api-docs.openapi_redoc", "static"}


def api_operations(app) -> set[tuple[str, str]]:
    """(path in OpenAPI form, method) of every /api/v1 route the app answers."""
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or rule.endpoint in DOC_ENDPOINTS:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operations.add((path, method.lower()))
    return operations
