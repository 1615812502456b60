"""A quote's PDF and email controls: who may generate, open and send; CSRF; the PDF is only
there once rendered."""

import re

import pytest
from flask import render_template
from flask_login import login_user

from app import queues
from app.extensions import db
from app.models.identity import Role
from app.models.orders import Quote, QuoteStatus
from tests.conftest import htmx_post
from tests.factories import make_contact, make_customer, make_quote, make_team, make_user

LINES = [{"name": "Support plan", "quantity": "1", "unit_price": "99.00"}]


@pytest.fixture
def team():
    return make_team("North")


@pytest.fixture
def rep(team):
    return make_user(Role.SALES, team=team, name="Rita Rep")


@pytest.fixture
def quote(rep):
    customer = make_customer(rep, name="Acme")
    contact = make_contact(rep, customer, first_name="Lin", last_name="Wu", email="lin@acme.tw")
    return make_quote(rep, customer, lines=LINES, contact_id=contact.id, title="Support")


def _job_id(response) -> str:
    return re.search(r'id="job-([^"]+)"', response.get_data(as_text=True)).group(1)


def test_the_owner_generates_the_pdf_and_opens_it(client, login, rep, quote, worker):
    login(rep)
    assert client.get(f"/quotes/{quote.id}/pdf").status_code == 404

    response = htmx_post(client, f"/quotes/{quote.id}/pdf", {})
    assert response.status_code == 200
    job_id = _job_id(response)
    assert queues.fetch(job_id).origin == "reports" and queues.fetch(job_id).timeout == 120
    worker()

    progress = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'id="job-result-link"' in progress and f'href="/quotes/{quote.id}/pdf"' in progress
    pdf = client.get(f"/quotes/{quote.id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("inline")
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"


def test_someone_else_cannot_see_generate_or_send_it(app, client, login, quote, worker):
    login(make_user(Role.SALES, name="Other Rep"))
    assert client.get(f"/quotes/{quote.id}/pdf").status_code == 404
    assert htmx_post(client, f"/quotes/{quote.id}/pdf", {}).status_code == 404
    assert client.get(f"/quotes/{quote.id}/send").status_code == 404
    send = htmx_post(client, f"/quotes/{quote.id}/send", {"to": "x@example.com"})
    assert send.status_code == 404
    assert queues.queue("reports").count == 0 and queues.queue("mail").count == 0


def test_a_teammate_who_may_only_read_opens_the_pdf_but_cannot_send(
    app, client, login, team, quote, worker
):
    reader = make_user(Role.SUPPORT, team=team, name="Sam Support")
    login(reader)
    assert htmx_post(client, f"/quotes/{quote.id}/pdf", {}).status_code == 200
    worker()
    assert client.get(f"/quotes/{quote.id}/pdf").status_code == 200
    assert client.get(f"/quotes/{quote.id}/send").status_code == 403
    assert htmx_post(client, f"/quotes/{quote.id}/send", {"to": "x@example.com"}).status_code == 403

    db.session.expire_all()
    with app.test_request_context():
        login_user(reader)
        html = render_template("sales/_quote_documents.html", quote=db.session.get(Quote, quote.id))
    assert 'id="quote-pdf-link"' in html
    assert 'id="quote-pdf-button"' not in html and 'id="quote-send-button"' not in html


def test_the_buttons_an_editor_sees(app, rep, quote):
    with app.test_request_context():
        login_user(rep)
        html = render_template("sales/_quote_documents.html", quote=quote)
    assert 'id="quote-pdf-button"' in html and 'id="quote-send-button"' in html
    assert 'id="quote-pdf-link"' not in html  # nothing rendered yet


def test_posts_need_the_csrf_token(client, login, rep, quote):
    login(rep)
    assert client.post(f"/quotes/{quote.id}/pdf").status_code == 400
    assert client.post(f"/quotes/{quote.id}/send", data={"to": "a@b.io"}).status_code == 400
    assert queues.queue("reports").count == 0 and queues.queue("mail").count == 0


def test_the_send_form_is_prefilled_checks_input_and_sends(client, login, rep, quote, worker, smtp):
    login(rep)
    form = client.get(f"/quotes/{quote.id}/send", headers={"HX-Request": "true"})
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and 'value="lin@acme.tw"' in html
    assert "Dear Lin Wu" in html or "Dear Wu" in html

    bad = htmx_post(client, f"/quotes/{quote.id}/send", {"to": "not an email", "message": "Hi"})
    assert bad.status_code == 200 and "Enter a valid email address" in bad.get_data(as_text=True)
    assert queues.queue("mail").count == 0

    sent = htmx_post(client, f"/quotes/{quote.id}/send", {"to": "buyer@acme.tw", "message": "Hi"})
    assert sent.status_code == 200
    job_id = _job_id(sent)
    assert queues.fetch(job_id).origin == "mail"
    worker()
    assert [m["To"] for m in smtp] == ["buyer@acme.tw"]
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).status is QuoteStatus.SENT


def test_an_empty_quote_cannot_be_sent(client, login, rep):
    empty = make_quote(rep)
    login(rep)
    response = htmx_post(client, f"/quotes/{empty.id}/send", {"to": "a@b.io", "message": ""})
    assert response.status_code == 200
    assert "Add at least one line" in response.get_data(as_text=True)
    assert queues.queue("mail").count == 0
