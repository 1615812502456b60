"""A portal user of customer A can read, reply to or download nothing of customer B by
changing ids: every route of the portal blueprint (enumerated from the URL map, so a new
route is covered or fails here) is requested, as a page, as an htmx request and, for posts,
with a valid CSRF token, with B's ticket, quote, order, attachment and non-public article
ids, and answers 404 without any of B's data. Portal and staff sessions open nothing of
each other."""

import base64
import json

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models.orders import Quote
from app.models.service import ArticleVisibility, Ticket, TicketAttachment, TicketComment
from app.services import quotes
from tests.conftest import csrf_token
from tests.factories import make_user
from tests.portal_setup import make_article, make_company, portal_login, staff

# Arguments a portal route may take; a route with any other argument fails the test until
# it is added here (and so thought about).
ID_ARGUMENTS = {"ticket_id", "attachment_id", "quote_id", "order_id", "article_id"}
TOKEN_ARGUMENTS = {"token"}


def _portal_routes() -> list[tuple[str, str, tuple[str, ...]]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, env="testing")
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal."):
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            routes.append((rule.endpoint, method, tuple(sorted(rule.arguments))))
    return sorted(routes)


ROUTES = _portal_routes()


def test_the_portal_routes_are_found_and_understood():
    endpoints = {endpoint for endpoint, _, _ in ROUTES}
    assert {"portal.ticket_show", "portal.ticket_attachment", "portal.kb_article"} <= endpoints
    for endpoint, _, arguments in ROUTES:
        unknown = set(arguments) - ID_ARGUMENTS - TOKEN_ARGUMENTS
        assert not unknown, f"{endpoint}: add {unknown} to the isolation test"


@pytest.fixture
def companies():
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    b = make_company("Beta", agent, rep, admin=True)
    a.portal_user.is_company_admin = True  # the widest view A can have
    db.session.commit()
    internal = make_article(agent, "Beta internal article", visibility=ArticleVisibility.INTERNAL,
                            body="Beta internal body")  # fmt: skip
    draft = make_article(agent, "Beta draft article", publish=False, body="Beta draft body")
    return a, b, {"internal": internal, "draft": draft}


def _forged_token(a_quote: Quote, b_quote: Quote) -> str:
    """A's signed quote token with B's quote put in its payload (the signature is A's)."""
    signature = quotes.portal_token(a_quote).rsplit(".", 1)[1]
    payload = json.dumps({"quote": b_quote.id, "number": b_quote.number}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." + signature


def _argument_sets(a, b, articles, arguments) -> list[dict]:
    """B's ids for every id argument; for files also A's ticket with B's file and B's
    ticket with A's file; for articles B's internal and draft ones."""
    b_ids = {
        "ticket_id": b.ticket.id, "attachment_id": b.public_attachment.id,
        "quote_id": b.quote.id, "order_id": b.order.id, "article_id": articles["internal"].id,
        "token": _forged_token(a.quote, b.quote),
    }  # fmt: skip
    sets = [{name: b_ids[name] for name in arguments}]
    if "attachment_id" in arguments:
        sets.append({"ticket_id": a.ticket.id, "attachment_id": b.public_attachment.id})
        sets.append({"ticket_id": b.ticket.id, "attachment_id": a.public_attachment.id})
        sets.append({"ticket_id": a.ticket.id, "attachment_id": a.note_attachment.id})
    if "article_id" in arguments:
        sets.append({"article_id": articles["draft"].id})
    if "quote_id" in arguments:
        sets.append({"quote_id": b.draft_quote.id})
        sets.append({"quote_id": a.draft_quote.id})
    if "token" in arguments:
        sets.append({"token": "not-a-token"})
    return sets


def _b_markers(b, articles) -> list[str]:
    return [
        "Beta", b.ticket.number, b.colleague_ticket.number, b.order.number, b.quote.number,
        b.portal_user.email, b.contact.email, articles["internal"].title,
    ]  # fmt: skip


def _state(b) -> tuple:
    """What a successful intrusion would change of B's (and the audit-free counters)."""
    db.session.rollback()
    count = sa.select(sa.func.count())
    return (
        db.session.scalar(count.where(TicketComment.ticket_id == b.ticket.id)),
        db.session.scalar(count.where(TicketAttachment.ticket_id == b.ticket.id)),
        db.session.scalar(sa.select(Ticket.status).where(Ticket.id == b.ticket.id)),
        db.session.scalar(sa.select(Quote.status).where(Quote.id == b.quote.id)),
    )


FORM = {
    "body": "intrusion", "subject": "intrusion", "description": "intrusion",
    "helpful": "yes", "name": "Intruder", "agree": "y", "reason": "intrusion",
    "locale": "en", "comment": "intrusion", "password": "long enough password",
    "confirm": "long enough password",
}  # fmt: skip


@pytest.mark.parametrize(("endpoint", "method", "arguments"), ROUTES)
def test_customer_a_gets_nothing_of_customer_b(app, client, companies, endpoint, method, arguments):
    a, b, articles = companies
    portal_login(client, a.portal_user)
    token = csrf_token(client, "/portal/")
    markers = _b_markers(b, articles)
    before = _state(b)
    for values in _argument_sets(a, b, articles, arguments):
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint, **values)
        for htmx in (False, True):
            headers = {"HX-Request": "true", "X-CSRFToken": token} if htmx else {}
            if method == "GET":
                response = client.get(url, headers=headers)
            else:
                data = dict(FORM, csrf_token=token, email=b.portal_user.email)
                data |= {"customer_id": b.customer.id, "contact_id": b.contact.id}
                response = client.post(url, data=data, headers=headers)
            body = response.get_data(as_text=True)
            where = f"{method} {url} htmx={htmx}"
            if arguments:
                assert response.status_code in (403, 404) or (
                    endpoint == "portal.set_password" and response.status_code == 302
                ), where
            else:
                assert response.status_code < 500, where
            for marker in markers:
                assert marker not in body, f"{where} shows {marker!r}"
            if response.status_code in (301, 302, 303):
                location = response.headers["Location"]
                assert "Beta" not in location and f"/{b.ticket.id}" not in location, where
            if endpoint == "portal.logout":
                portal_login(client, a.portal_user)
    assert _state(b) == before
    # Whatever A opened with a post (a ticket, say) is A's.
    db.session.rollback()
    mine = db.session.scalars(sa.select(Ticket).where(Ticket.subject == "intrusion")).all()
    assert all(t.customer_id == a.customer.id and t.contact_id == a.contact.id for t in mine)


def test_b_is_listed_nowhere_on_as_list_pages(client, companies):
    a, b, articles = companies
    portal_login(client, a.portal_user)
    searches = ("/portal/kb?q=internal+article", "/portal/help?q=internal+body")
    for path in ("/portal/", "/portal/tickets", "/portal/my-quotes", "/portal/orders", *searches):
        body = client.get(path).get_data(as_text=True)
        for marker in _b_markers(b, articles):
            assert marker not in body, f"{path} shows {marker!r}"


def test_a_portal_session_opens_no_staff_page_or_api(client, companies):
    a, b, _ = companies
    portal_login(client, a.portal_user)
    for path in ("/", "/customers", "/tickets", f"/tickets/{b.ticket.id}", "/contacts"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login"), path
    api = client.get("/api/v1/tickets")
    assert api.status_code == 401
    assert "Beta" not in api.get_data(as_text=True)
    hx = client.get("/customers", headers={"HX-Request": "true"})
    assert hx.status_code in (401, 302) and "Beta" not in hx.get_data(as_text=True)


def test_a_staff_session_opens_no_portal_page(client, login, companies):
    from app.models.identity import Role

    a, b, _ = companies
    login(make_user(Role.ADMIN))
    for endpoint, method, arguments in ROUTES:
        if method != "GET" or set(arguments) & TOKEN_ARGUMENTS:
            continue
        if endpoint in ("portal.login", "portal.forgot_password"):
            continue
        ids = {"ticket_id": b.ticket.id, "attachment_id": b.public_attachment.id,
               "quote_id": b.quote.id, "order_id": b.order.id, "article_id": 1}  # fmt: skip
        from flask import url_for

        with client.application.test_request_context():
            url = url_for(endpoint, **{name: ids[name] for name in arguments})
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.location.startswith("/portal/login"), url
    assert client.get("/customers").status_code == 200  # the staff session is still there
