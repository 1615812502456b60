"""Quotes over the API: the same rules as the quote pages, through the same services."""

from datetime import date

import pytest

from app.extensions import db
from app.models.identity import Role, TokenScope
from app.models.orders import Quote, QuoteStatus
from app.services import quotes
from tests.api.conftest import assert_error
from tests.factories import (
    make_contact,
    make_customer,
    make_opportunity,
    make_quote,
    make_team,
    make_user,
)

LINES = [
    {"name": "Widget", "quantity": "3", "unit_price": "19.99", "discount_percent": "10",
     "tax_rate": "5"},
    {"name": "Install", "quantity": "1.5", "unit_price": "200.00", "tax_rate": "5"},
    {"name": "Screws", "quantity": "7", "unit_price": "0.35", "discount_percent": "12.5"},
]  # fmt: skip


@pytest.fixture
def rep():
    return make_user(Role.SALES, name="Rita")


def _sent_quote(owner, **fields) -> Quote:
    quote = make_quote(owner, lines=LINES[:1], **fields)
    quotes.mark_sent(quote, owner)
    db.session.commit()
    return quote


def test_a_rep_drafts_a_quote_line_by_line_with_exact_totals_as_strings(client, token_for, rep):
    customer = make_customer(rep, name="Acme")
    headers = token_for(rep)
    created = client.post(
        "/api/v1/quotes",
        json={"title": "Acme kit", "customer_id": customer.id, "discount_percent": "7.5",
              "currency": "usd"},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "DRAFT" and body["version"] == 1
    assert body["reference"] == body["number"] == f"Q-{date.today().year}-0001"
    assert (body["currency"], body["total"], body["lines"]) == ("USD", "0.00", [])
    url = f"/api/v1/quotes/{body['id']}"

    # JSON numbers are taken too, read from their text (1.5, never 1.4999...).
    as_numbers = {"name": "Install", "quantity": 1.5, "unit_price": 200, "tax_rate": 5}
    for line in (LINES[0], as_numbers, LINES[2]):
        added = client.post(f"{url}/lines", json=line, headers=headers)
        assert added.status_code == 201, added.get_json()
    quote = added.get_json()
    assert [line["name"] for line in quote["lines"]] == ["Widget", "Install", "Screws"]
    assert [line["net"] for line in quote["lines"]] == ["53.97", "300.00", "2.14"]
    assert [line["discount_share"] for line in quote["lines"]] == ["4.05", "22.50", "0.16"]
    assert [line["tax"] for line in quote["lines"]] == ["2.50", "13.88", "0.00"]
    assert [line["amount"] for line in quote["lines"]] == ["52.42", "291.38", "1.98"]
    assert quote["lines"][1]["quantity"] == "1.500"
    assert quote["lines"][1]["unit_price"] == "200.00"
    totals = ("subtotal", "discount_amount", "net_amount", "tax_total", "total")
    assert [quote[name] for name in totals] == ["356.11", "26.71", "329.40", "16.38", "345.78"]
    assert client.get(url, headers=headers).get_json() == quote

    screws = quote["lines"][2]["id"]
    changed = client.patch(f"{url}/lines/{screws}", json={"quantity": "0.5"}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["lines"][2]["net"] == "0.15"
    removed = client.delete(f"{url}/lines/{screws}", headers=headers)
    assert removed.status_code == 200
    assert removed.get_json()["subtotal"] == "353.97"
    assert len(removed.get_json()["lines"]) == 2
    assert client.delete(f"{url}/lines/{screws}", headers=headers).status_code == 404

    renamed = client.patch(url, json={"title": "Acme starter kit"}, headers=headers)
    assert renamed.status_code == 200 and renamed.get_json()["title"] == "Acme starter kit"
    assert client.delete(url, headers=headers).status_code == 204
    assert_error(client.get(url, headers=headers), 404, "not_found")


def test_a_quote_for_a_deal_takes_its_customer_and_name(client, token_for, rep):
    deal = make_opportunity(rep, name="Acme renewal")
    created = client.post(
        "/api/v1/quotes", json={"opportunity_id": deal.id}, headers=token_for(rep)
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["customer_id"], body["title"]) == (deal.customer_id, "Acme renewal")


def test_bad_input_answers_422_naming_every_field(client, token_for, rep):
    headers = token_for(rep)
    missing = client.post("/api/v1/quotes", json={"currency": "dollars"}, headers=headers)
    fields = assert_error(missing, 422, "unprocessable_entity")["error"]["fields"]
    assert {"customer_id", "title", "currency"} <= set(fields)
    not_a_date = client.post("/api/v1/quotes", json={"valid_until": "soon"}, headers=headers)
    assert "valid_until" in assert_error(not_a_date, 422, "unprocessable_entity")["error"]["fields"]
    unknown = client.post("/api/v1/quotes", json={"colour": "red"}, headers=headers)
    assert "colour" in assert_error(unknown, 422, "unprocessable_entity")["error"]["fields"]

    quote = make_quote(rep)
    bad_line = client.post(
        f"/api/v1/quotes/{quote.id}/lines",
        json={"name": "Thing", "quantity": "0", "unit_price": "1.234"},
        headers=headers,
    )
    fields = assert_error(bad_line, 422, "unprocessable_entity")["error"]["fields"]
    assert set(fields) == {"quantity", "unit_price"}
    assert "decimals" in fields["unit_price"][0]
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).lines == []


def test_other_reps_quotes_are_not_found_and_team_readers_may_not_change_them(
    client, token_for, rep
):
    team = make_team()
    mine = make_quote(rep, lines=LINES[:1])
    theirs = make_quote(make_user(Role.SALES, team=team), lines=LINES[:1])
    headers = token_for(rep)
    listed = client.get("/api/v1/quotes", headers=headers).get_json()["data"]
    assert [row["id"] for row in listed] == [mine.id]
    url = f"/api/v1/quotes/{theirs.id}"
    assert_error(client.get(url, headers=headers), 404, "not_found")
    assert_error(client.patch(url, json={"title": "Mine"}, headers=headers), 404, "not_found")
    line = theirs.lines[0].id
    assert_error(client.delete(f"{url}/lines/{line}", headers=headers), 404, "not_found")
    assert_error(client.post(f"{url}/revise", headers=headers), 404, "not_found")

    support = token_for(make_user(Role.SUPPORT, team=team))
    assert client.get(url, headers=support).status_code == 200
    assert_error(client.patch(url, json={"title": "X"}, headers=support), 403, "forbidden")
    assert_error(client.delete(f"{url}/lines/{line}", headers=support), 403, "forbidden")


def test_a_read_only_token_reads_but_never_writes(client, token_for, rep):
    quote = make_quote(rep)
    headers = token_for(rep, TokenScope.READ)
    assert client.get(f"/api/v1/quotes/{quote.id}", headers=headers).status_code == 200
    refused = [
        client.post("/api/v1/quotes", json={"title": "X"}, headers=headers),
        client.patch(f"/api/v1/quotes/{quote.id}", json={"title": "X"}, headers=headers),
        client.post(f"/api/v1/quotes/{quote.id}/lines", json=LINES[0], headers=headers),
        client.post(f"/api/v1/quotes/{quote.id}/pdf", headers=headers),
        client.delete(f"/api/v1/quotes/{quote.id}", headers=headers),
    ]
    for response in refused:
        assert "read-only" in assert_error(response, 403, "forbidden")["error"]["message"]
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).title == quote.title


def test_the_list_is_newest_first_filtered_and_paged_with_a_next_link(client, token_for, rep):
    acme = make_customer(rep, name="Acme")
    first, second, third = (make_quote(rep, customer=acme) for _ in range(3))
    other = make_quote(rep)
    sent = _sent_quote(rep)
    headers = token_for(rep)

    page = client.get("/api/v1/quotes?limit=2", headers=headers).get_json()
    assert [row["id"] for row in page["data"]] == [sent.id, other.id]
    assert page["next"].startswith("http://") and "limit=2" in page["next"]
    page = client.get(page["next"], headers=headers).get_json()
    assert [row["id"] for row in page["data"]] == [third.id, second.id]
    page = client.get(page["next"], headers=headers).get_json()
    assert [row["id"] for row in page["data"]] == [first.id] and page["next"] is None

    def ids(query):
        response = client.get(f"/api/v1/quotes?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [row["id"] for row in response.get_json()["data"]]

    assert ids(f"customer_id={acme.id}") == [third.id, second.id, first.id]
    assert ids("status=SENT") == [sent.id]
    assert ids(f"number={second.number.lower()}") == [second.id]
    unknown = client.get("/api/v1/quotes?sort=title", headers=headers)
    assert_error(unknown, 422, "unprocessable_entity")


def test_a_sent_quote_is_locked_and_revised_into_a_new_draft_version(client, token_for, rep):
    quote = _sent_quote(rep)
    headers = token_for(rep)
    url = f"/api/v1/quotes/{quote.id}"
    for response in (
        client.patch(url, json={"title": "Changed"}, headers=headers),
        client.post(f"{url}/lines", json=LINES[1], headers=headers),
        client.delete(f"{url}/lines/{quote.lines[0].id}", headers=headers),
        client.delete(url, headers=headers),
    ):
        body = assert_error(response, 409, "quote_locked")
        assert quote.number in body["error"]["message"]
    assert "revise" in body["error"]["message"]

    revised = client.post(f"{url}/revise", headers=headers)
    assert revised.status_code == 201, revised.get_json()
    draft = revised.get_json()
    assert (draft["version"], draft["status"]) == (2, "DRAFT")
    assert draft["reference"] == f"{quote.number} v2"
    assert draft["total"] == client.get(url, headers=headers).get_json()["total"]
    assert client.get(url, headers=headers).get_json()["status"] == "SUPERSEDED"
    versions = client.get(f"{url}/versions", headers=headers).get_json()["data"]
    assert [(row["version"], row["status"]) for row in versions] == [
        (1, "SUPERSEDED"), (2, "DRAFT")
    ]  # fmt: skip
    listed = client.get("/api/v1/quotes", headers=headers).get_json()["data"]
    assert [row["id"] for row in listed] == [draft["id"]]
    every = client.get("/api/v1/quotes?all_versions=true", headers=headers).get_json()["data"]
    assert [row["id"] for row in every] == [draft["id"], quote.id]
    again = client.post(f"{url}/revise", headers=headers)
    assert "newer version" in assert_error(again, 409, "quote_locked")["error"]["message"]
    changed = client.patch(
        f"/api/v1/quotes/{draft['id']}", json={"discount_percent": "10"}, headers=headers
    )
    assert changed.status_code == 200 and changed.get_json()["discount_percent"] == "10.00"


def test_accepting_a_sent_quote_makes_its_order_and_declining_keeps_the_reason(
    client, token_for, rep
):
    headers = token_for(rep)
    draft = make_quote(rep, lines=LINES)
    early = client.post(
        f"/api/v1/quotes/{draft.id}/decision", json={"decision": "accept"}, headers=headers
    )
    assert "not been sent" in assert_error(early, 409, "quote_locked")["error"]["message"]
    unknown = client.post(
        f"/api/v1/quotes/{draft.id}/decision", json={"decision": "maybe"}, headers=headers
    )
    assert "decision" in assert_error(unknown, 422, "unprocessable_entity")["error"]["fields"]

    quote = _sent_quote(rep)
    accepted = client.post(
        f"/api/v1/quotes/{quote.id}/decision",
        json={"decision": "accept", "name": "Bo Buyer"},
        headers=headers,
    )
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    assert (body["status"], body["decided_by"]) == ("ACCEPTED", "Bo Buyer")
    order = client.get(f"/api/v1/orders/{body['order_id']}", headers=headers).get_json()
    assert (order["quote_id"], order["status"], order["total"]) == (
        quote.id, "CONFIRMED", body["total"]
    )  # fmt: skip
    twice = client.post(
        f"/api/v1/quotes/{quote.id}/decision", json={"decision": "decline"}, headers=headers
    )
    assert_error(twice, 409, "quote_locked")

    other = _sent_quote(rep)
    declined = client.post(
        f"/api/v1/quotes/{other.id}/decision",
        json={"decision": "decline", "reason": "Too  dear"},
        headers=headers,
    )
    assert declined.status_code == 200, declined.get_json()
    body = declined.get_json()
    assert (body["status"], body["decline_reason"], body["decided_by"], body["order_id"]) == (
        "DECLINED", "Too dear", "Rita", None
    )  # fmt: skip


def test_the_pdf_is_rendered_by_a_job_and_then_downloaded(client, token_for, rep, worker):
    quote = make_quote(rep, lines=LINES)
    headers = token_for(rep)
    url = f"/api/v1/quotes/{quote.id}/pdf"
    missing = client.get(url, headers=headers)
    assert url in assert_error(missing, 404, "pdf_not_rendered")["error"]["message"]

    started = client.post(url, headers=headers)
    assert started.status_code == 202, started.get_json()
    job = started.get_json()
    assert job["status_url"] == f"http://localhost/api/v1/jobs/{job['job_id']}"
    status = client.get(job["status_url"], headers=headers).get_json()
    assert (status["id"], status["status"], status["result_url"]) == (job["job_id"], "queued", None)
    stranger = token_for(make_user(Role.SALES))
    assert_error(client.get(job["status_url"], headers=stranger), 404, "not_found")

    worker()
    status = client.get(job["status_url"], headers=headers).get_json()
    assert (status["status"], status["progress"]) == ("finished", 100)
    assert status["result_url"] == f"http://localhost{url}"
    document = client.get(status["result_url"], headers=headers)
    assert document.status_code == 200
    assert document.mimetype == "application/pdf"
    assert document.data.startswith(b"%PDF")
    document.close()
    assert_error(client.get(url, headers=stranger), 404, "not_found")
    assert_error(client.get("/api/v1/jobs/no-such-job", headers=headers), 404, "not_found")


def test_sending_emails_the_quote_in_a_job_and_marks_it_sent(client, token_for, rep, worker, smtp):
    customer = make_customer(rep, name="Acme")
    contact = make_contact(rep, customer, first_name="Bo", email="bo@acme.example")
    quote = make_quote(rep, customer=customer, lines=LINES, contact_id=contact.id)
    headers = token_for(rep)
    url = f"/api/v1/quotes/{quote.id}/send"
    bad = client.post(url, json={"to": "not an address"}, headers=headers)
    assert set(assert_error(bad, 422, "unprocessable_entity")["error"]["fields"]) == {"to"}
    empty = make_quote(rep)
    nothing = client.post(f"/api/v1/quotes/{empty.id}/send", json={}, headers=headers)
    assert "lines" in assert_error(nothing, 422, "unprocessable_entity")["error"]["fields"]

    started = client.post(url, json={"message": "Here it is."}, headers=headers)
    assert started.status_code == 202, started.get_json()
    worker()
    status = client.get(started.get_json()["status_url"], headers=headers).get_json()
    assert status["status"] == "finished", status
    assert status["result_url"] == f"http://localhost/api/v1/quotes/{quote.id}"
    assert len(smtp) == 1 and smtp[0]["To"] == "bo@acme.example"
    assert quote.number in smtp[0]["Subject"]
    shown = client.get(f"/api/v1/quotes/{quote.id}", headers=headers).get_json()
    assert shown["status"] == "SENT" and shown["sent_at"]
    assert db.session.get(Quote, quote.id).status is QuoteStatus.SENT

    declined = _sent_quote(rep)
    quotes.decline(declined, "Bo", actor=rep)
    db.session.commit()
    again = client.post(f"/api/v1/quotes/{declined.id}/send", json={}, headers=headers)
    assert_error(again, 409, "quote_locked")
