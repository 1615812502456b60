"""Knowledge-base articles over the API: searched lists, one article, writing and
publishing with the same rights as the pages. Skipped until the resource is registered in
app/blueprints/api/__init__.py."""

import pytest

from app.extensions import db
from app.models.identity import Role, TokenScope
from app.services import kb
from tests.api.conftest import assert_error
from tests.factories import make_user


@pytest.fixture(autouse=True)
def _registered(app):
    if "api_kb" not in app.blueprints:
        pytest.skip("the api_kb blueprint is not registered yet")


def _article(author, published=True, **fields):
    article = kb.create_article(author, body="", **fields)
    if published:
        kb.publish(article, author)
    db.session.commit()
    return article


def test_the_list_is_searched_and_hides_other_peoples_drafts(client, token_for):
    agent = make_user(Role.SUPPORT)
    wanted = _article(agent, title="重設密碼", language="zh_Hant")
    _article(agent, title="Printer setup")
    _article(make_user(Role.MARKETING), published=False, title="密碼 draft")
    headers = token_for(make_user(Role.SALES), TokenScope.READ)
    body = client.get("/api/v1/kb/articles?q=密碼", headers=headers).get_json()
    assert [item["id"] for item in body["data"]] == [wanted.id] and body["next"] is None
    assert body["data"][0]["language"] == "zh_Hant" and body["data"][0]["status"] == "PUBLISHED"
    page = client.get("/api/v1/kb/articles?limit=1", headers=headers).get_json()
    assert len(page["data"]) == 1 and page["next"]


def test_one_article_and_a_hidden_draft(client, token_for):
    agent = make_user(Role.SUPPORT)
    shown = _article(agent, title="Shown")
    draft = _article(agent, published=False, title="Draft")
    headers = token_for(make_user(Role.SALES), TokenScope.READ)
    assert client.get(f"/api/v1/kb/articles/{shown.id}", headers=headers).get_json()["title"]
    assert_error(client.get(f"/api/v1/kb/articles/{draft.id}", headers=headers), 404, "not_found")


def test_agents_write_and_publish_readers_may_not(client, token_for):
    headers = token_for(make_user(Role.SUPPORT))
    created = client.post(
        "/api/v1/kb/articles", json={"title": "VPN", "body": "Open it."}, headers=headers
    )
    assert created.status_code == 201 and created.get_json()["status"] == "DRAFT"
    article_id = created.get_json()["id"]
    changed = client.patch(
        f"/api/v1/kb/articles/{article_id}",
        json={"status": "PUBLISHED", "visibility": "INTERNAL"},
        headers=headers,
    )
    assert changed.get_json()["status"] == "PUBLISHED"
    assert changed.get_json()["visibility"] == "INTERNAL"
    bad = client.post("/api/v1/kb/articles", json={"title": " "}, headers=headers)
    assert_error(bad, 422, "unprocessable_entity")
    reader = token_for(make_user(Role.SALES))
    refused = client.post("/api/v1/kb/articles", json={"title": "No"}, headers=reader)
    assert refused.status_code == 403
