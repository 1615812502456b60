"""Activities over the API: the same rules as the pages, through app.services.activities."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from app.extensions import db
from app.models.activities import Activity
from app.models.identity import Role
from tests.api.conftest import assert_error
from tests.api.test_pagination import _walk
from tests.factories import make_activity, make_contact, make_customer, make_team, make_user


def test_a_rep_logs_a_call_plans_a_task_and_completes_it(client, token_for):
    rep = make_user(Role.SALES)
    customer = make_customer(rep, name="鴻海精密")
    contact = make_contact(rep, customer)
    headers = token_for(rep)

    call = client.post(
        "/api/v1/activities",
        json={"kind": "CALL", "subject": "電話追蹤報價", "contact_id": contact.id},
        headers=headers,
    )
    assert call.status_code == 201, call.get_json()
    # Logged on a contact: it lands on the contact's customer timeline too.
    assert (call.get_json()["status"], call.get_json()["customer_id"]) == ("DONE", customer.id)

    due = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0, tzinfo=None)
    task = client.post(
        "/api/v1/activities",
        json={"kind": "TASK", "subject": "Send the quote", "due_at": due.isoformat()},
        headers=headers,
    )
    assert task.status_code == 201, task.get_json()
    url = f"/api/v1/activities/{task.get_json()['id']}"
    assert task.get_json()["status"] == "OPEN"
    assert task.get_json()["due_at"].startswith(due.isoformat())  # taken as UTC

    renamed = client.patch(url, json={"subject": "Send the revised quote"}, headers=headers)
    assert renamed.get_json()["subject"] == "Send the revised quote"
    done = client.patch(url, json={"done": True}, headers=headers)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "DONE" and done.get_json()["completed_at"]

    assert client.delete(url, headers=headers).status_code == 204
    assert_error(client.get(url, headers=headers), 404, "not_found")


def test_others_activities_are_hidden_and_read_only_ones_cannot_be_changed(client, token_for):
    team = make_team()
    rep = make_user(Role.SALES, team=team)
    other = make_user(Role.SALES, team=team)
    agent = make_user(Role.SUPPORT, team=team)
    theirs = make_activity(other)
    url = f"/api/v1/activities/{theirs.id}"

    rep_headers = token_for(rep)
    assert client.get("/api/v1/activities", headers=rep_headers).get_json()["data"] == []
    assert_error(client.get(url, headers=rep_headers), 404, "not_found")
    assert_error(client.patch(url, json={"done": True}, headers=rep_headers), 404, "not_found")

    agent_headers = token_for(agent)
    assert client.get(url, headers=agent_headers).get_json()["subject"] == theirs.subject
    assert_error(client.patch(url, json={"done": True}, headers=agent_headers), 403, "forbidden")
    assert_error(client.delete(url, headers=agent_headers), 403, "forbidden")
    assert db.session.get(Activity, theirs.id).status.value == "OPEN"


def test_bad_activity_fields_answer_422(client, token_for):
    rep = make_user(Role.SALES)
    hidden_customer = make_customer(make_user(Role.SALES))
    headers = token_for(rep)

    response = client.post(
        "/api/v1/activities",
        json={"kind": "MEETING", "subject": " ", "customer_id": hidden_customer.id},
        headers=headers,
    )
    fields = assert_error(response, 422, "unprocessable_entity")["error"]["fields"]
    assert set(fields) == {"subject", "occurred_at", "customer_id"}
    wrong_kind = client.post(
        "/api/v1/activities", json={"kind": "FAX", "subject": "x"}, headers=headers
    )
    assert "kind" in assert_error(wrong_kind, 422, "unprocessable_entity")["error"]["fields"]
    status = client.post(
        "/api/v1/activities",
        json={"kind": "NOTE", "subject": "x", "status": "DONE"},
        headers=headers,
    )
    assert "status" in assert_error(status, 422, "unprocessable_entity")["error"]["fields"]


def test_the_list_walks_every_activity_once_and_filters(client, token_for):
    rep = make_user(Role.SALES)
    customer = make_customer(rep)
    for n in range(4):
        make_activity(rep, subject=f"Task {n}", customer_id=customer.id)
    make_activity(rep, kind="NOTE", subject="A note")
    make_activity(make_user(Role.SALES), subject="Hidden")
    headers = token_for(rep)

    items, links = _walk(client, "/api/v1/activities?limit=2", headers)
    ids = [item["id"] for item in items]
    assert len(ids) == 5 and ids == sorted(set(ids)) and len(links) == 2
    tasks, _ = _walk(client, f"/api/v1/activities?kind=TASK&customer_id={customer.id}", headers)
    assert [a["subject"] for a in tasks] == ["Task 0", "Task 1", "Task 2", "Task 3"]
    soon = quote((datetime.now(UTC) + timedelta(days=3)).isoformat())
    due_soon, _ = _walk(client, f"/api/v1/activities?due_before={soon}&status=OPEN", headers)
    assert len(due_soon) == 4
