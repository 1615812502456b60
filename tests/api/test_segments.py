"""Segments over the API: the same rules and messages as the pages, counts of saved and
unsaved definitions, member lists limited to what the caller may read, static lists kept
by id, and who may do what."""

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.marketing import Segment
from tests.api.conftest import assert_error
from tests.api.test_pagination import _walk
from tests.factories import make_contact, make_lead, make_user
from tests.marketing_factories import make_segment

TW = {"match": "all", "groups": [{"match": "all", "conditions": [
    {"field": "email", "op": "contains", "value": ".tw"}]}]}  # fmt: skip


def test_a_marketer_creates_counts_changes_and_deletes_a_segment(client, token_for):
    marketer = make_user(Role.MARKETING)
    for n in range(3):
        make_contact(marketer, email=f"p{n}@corp.com.tw")
    make_contact(marketer, email="x@corp.com")
    headers = token_for(marketer)
    created = client.post(
        "/api/v1/segments", json={"name": "Taiwan", "definition": TW}, headers=headers
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["entity"], body["kind"], body["definition"], body["last_count"]) == (
        "CONTACT",
        "DYNAMIC",
        TW,
        None,
    )
    url = f"/api/v1/segments/{body['id']}"
    counted = client.get(f"{url}/count", headers=headers).get_json()
    assert counted["count"] == 3 and counted["counted_at"]
    assert client.get(url, headers=headers).get_json()["last_count"] == 3
    members, _ = _walk(client, f"{url}/members?limit=2", headers)
    assert sorted(m["email"] for m in members) == [f"p{n}@corp.com.tw" for n in range(3)]
    changed = client.patch(url, json={"definition": {}}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["definition"] == {
        "match": "all",
        "groups": [],
    }
    assert client.get(f"{url}/count", headers=headers).get_json()["count"] == 4
    listed, _ = _walk(client, "/api/v1/segments?entity=CONTACT", headers)
    assert [s["name"] for s in listed] == ["Taiwan"]
    assert _walk(client, "/api/v1/segments?kind=STATIC", headers)[0] == []
    assert client.delete(url, headers=headers).status_code == 204
    assert_error(client.get(url, headers=headers), 404, "not_found")


def test_a_definition_is_counted_without_saving_it(client, token_for):
    marketer = make_user(Role.MARKETING)
    make_lead(marketer, email="a@x.com.tw")
    make_lead(marketer, email="b@x.com")
    headers = token_for(marketer)
    response = client.post(
        "/api/v1/segments/count", json={"entity": "LEAD", "definition": TW}, headers=headers
    )
    assert response.get_json() == {"count": 1, "counted_at": None}
    everyone = client.post("/api/v1/segments/count", json={"entity": "LEAD"}, headers=headers)
    assert everyone.get_json()["count"] == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0


def test_bad_definitions_answer_422_naming_the_condition(client, token_for):
    headers = token_for(make_user(Role.MARKETING))
    bad = {
        "groups": [
            {
                "conditions": [
                    {"field": "password_hash", "op": "eq", "value": "x"},
                    {"field": "created_at", "op": "within_days", "value": -3},
                ]
            }
        ]
    }
    response = client.post(
        "/api/v1/segments", json={"name": "", "definition": bad}, headers=headers
    )
    fields = assert_error(response, 422, "unprocessable_entity")["error"]["fields"]
    assert fields == {
        "name": ["Enter a name for the segment."],
        "definition.groups.0.conditions.0": [
            "Group 1, condition 1: There is no field “password_hash” for contacts."
        ],
        "definition.groups.0.conditions.1": [
            "Group 1, condition 2: Enter a number of days from 1 to 36500."
        ],
    }
    count = client.post("/api/v1/segments/count", json={"definition": bad}, headers=headers)
    assert_error(count, 422, "unprocessable_entity")
    wrong_type = client.post(
        "/api/v1/segments", json={"name": "X", "definition": "all"}, headers=headers
    )
    assert wrong_type.status_code == 422


def test_a_static_list_is_kept_by_id_and_members_are_what_the_caller_may_read(client, token_for):
    marketer = make_user(Role.MARKETING)
    mine = [make_contact(marketer, last_name=f"Mine {n}") for n in range(2)]
    theirs = make_contact(make_user(Role.SALES), last_name="Theirs")
    headers = token_for(marketer)
    created = client.post(
        "/api/v1/segments",
        json={"name": "Dinner", "kind": "STATIC", "entity": "CONTACT"},
        headers=headers,
    ).get_json()
    url = f"/api/v1/segments/{created['id']}"
    ids = [c.id for c in mine] + [theirs.id, 999_999]
    added = client.post(f"{url}/members", json={"ids": ids}, headers=headers)
    assert added.get_json() == {"changed": 2}
    again = client.post(f"{url}/members", json={"ids": ids}, headers=headers)
    assert again.get_json() == {"changed": 0}
    assert client.delete(f"{url}/members/{mine[0].id}", headers=headers).status_code == 204
    members, _ = _walk(client, f"{url}/members", headers)
    assert [m["id"] for m in members] == [mine[1].id]
    empty = client.post(f"{url}/members", json={"ids": []}, headers=headers)
    assert empty.status_code == 422
    dynamic = make_segment(marketer)
    refused = client.post(
        f"/api/v1/segments/{dynamic.id}/members", json={"ids": [mine[0].id]}, headers=headers
    )
    assert assert_error(refused, 422, "unprocessable_entity")["error"]["fields"] == {
        "members": ["Only a static list has members to change."]
    }


def test_sales_reads_segments_and_support_sees_none(client, token_for):
    segment = make_segment(make_user(Role.MARKETING), name="Taiwan", definition=TW)
    sales = token_for(make_user(Role.SALES))
    assert [s["name"] for s in _walk(client, "/api/v1/segments", sales)[0]] == ["Taiwan"]
    assert client.get(f"/api/v1/segments/{segment.id}/count", headers=sales).status_code == 200
    assert_error(
        client.post("/api/v1/segments", json={"name": "X"}, headers=sales), 403, "forbidden"
    )
    assert_error(
        client.patch(f"/api/v1/segments/{segment.id}", json={"name": "X"}, headers=sales),
        403,
        "forbidden",
    )
    assert_error(client.delete(f"/api/v1/segments/{segment.id}", headers=sales), 403, "forbidden")
    support = token_for(make_user(Role.SUPPORT))
    assert_error(client.get(f"/api/v1/segments/{segment.id}", headers=support), 404, "not_found")
    assert _walk(client, "/api/v1/segments", support)[0] == []
    assert_error(client.post("/api/v1/segments/count", json={}, headers=support), 403, "forbidden")
