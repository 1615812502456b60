"""The one list format: ?limit=&cursor= in id order, {"data", "next"} out, filters checked."""

from urllib.parse import parse_qs, urlsplit

from app.models.identity import Role, TokenScope
from tests.api.conftest import assert_error
from tests.factories import make_user


def _walk(client, url, headers) -> tuple[list[dict], list[str]]:
    """Every item of a list, following `next` links; also the links followed."""
    items, links = [], []
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        assert set(page) == {"data", "next"}
        items += page["data"]
        url = page["next"]
        if url:
            links.append(url)
    return items, links


def test_next_links_walk_every_page_once_in_id_order(client, token_for):
    viewer = make_user(Role.SUPPORT)
    for _ in range(11):
        make_user(Role.SALES)
    headers = token_for(viewer, TokenScope.READ)

    items, links = _walk(client, "/api/v1/users?limit=5", headers)

    ids = [user["id"] for user in items]
    assert len(ids) == 12 and ids == sorted(set(ids))
    assert len(links) == 2
    assert all(link.startswith("http://localhost/api/v1/users?") for link in links)


def test_a_page_that_ends_exactly_at_the_last_item_has_no_next(client, token_for):
    viewer = make_user()
    make_user()
    page = client.get("/api/v1/users?limit=2", headers=token_for(viewer)).get_json()
    assert len(page["data"]) == 2 and page["next"] is None


def test_next_links_keep_the_filters(client, token_for):
    viewer = make_user(Role.SUPPORT)
    for _ in range(5):
        make_user(Role.SALES)
    make_user(Role.MARKETING)
    headers = token_for(viewer)

    first = client.get("/api/v1/users?role=sales&limit=2", headers=headers).get_json()
    query = parse_qs(urlsplit(first["next"]).query)
    assert query["role"] == ["sales"] and query["limit"] == ["2"]
    items, _ = _walk(client, first["next"], headers)
    assert len(first["data"]) + len(items) == 5
    assert {user["role"] for user in items} == {"sales"}


def test_the_default_page_has_fifty_items(client, token_for):
    viewer = make_user()
    for _ in range(50):
        make_user()
    page = client.get("/api/v1/users", headers=token_for(viewer)).get_json()
    assert len(page["data"]) == 50 and page["next"]


def test_invalid_list_arguments_are_refused_with_the_field_named(client, token_for):
    headers = token_for(make_user())
    cases = {
        "limit=0": "limit",
        "limit=201": "limit",
        "limit=many": "limit",
        "cursor=not-base64!": "cursor",
        "cursor=YWJj": "cursor",  # base64 of "abc": not an id
        "role=emperor": "role",
        "is_active=perhaps": "is_active",
        "sort=name": "sort",  # no sorting: lists are in id order
        "password_hash=x": "password_hash",  # secrets are never filterable
        "email=a@b.c": "email",  # neither is anything not declared
    }
    for query, field in cases.items():
        response = client.get(f"/api/v1/users?{query}", headers=headers)
        body = assert_error(response, 422, "unprocessable_entity")
        assert list(body["error"]["fields"]) == [field], query
        assert all(isinstance(message, str) for message in body["error"]["fields"][field])
