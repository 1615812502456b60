"""The customer portal with accounts, as a customer's contact uses it: invited from the
contact's page, choosing a password, signing in and out, their tickets (reply with files,
which reopens), the help bot before a new ticket, quotes, orders, the public knowledge
base, and pages in their language."""

import io
import re

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.service import ArticleVisibility, PortalUser, Ticket, TicketComment, TicketStatus
from app.services import quotes, tickets
from tests.conftest import csrf_token, htmx_post
from tests.factories import make_contact, make_customer, make_user
from tests.portal_setup import (
    PORTAL_PASSWORD,
    make_article,
    make_company,
    make_portal_user,
    portal_login,
    staff,
)


def _post(client, path, data, page="/portal/login", **kwargs):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data}, **kwargs)


def test_staff_invite_from_the_contact_page_leads_to_a_portal_sign_in(client, login, worker, smtp):
    agent = make_user(Role.SUPPORT)
    contact = make_contact(agent, make_customer(agent), first_name="Carla",
                           email="carla@acme.example")  # fmt: skip
    login(agent)
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert 'id="invite-to-portal"' in page
    response = client.post(
        f"/contacts/{contact.id}/portal-invite",
        data={"csrf_token": csrf_token(client, f"/contacts/{contact.id}")},
    )
    assert response.status_code == 302
    worker()
    assert [m["To"] for m in smtp] == ["carla@acme.example"]
    link = re.search(r"http://rapport.test(/portal/set-password/\S+)", smtp[0].get_content())[1]

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get(link).status_code == 200
    done = _post(client, link, {"password": PORTAL_PASSWORD, "confirm": PORTAL_PASSWORD}, link)
    assert done.status_code == 302 and done.location == "/portal/login"
    assert client.get(link).location == "/portal/forgot-password"  # used once

    portal_login(client, db.session.scalar(sa.select(PortalUser)))
    home = client.get("/portal/")
    assert home.status_code == 200 and "Carla" in home.get_data(as_text=True)


def test_a_contact_without_email_cannot_be_invited(client, login):
    agent = make_user(Role.SUPPORT)
    contact = make_contact(agent, make_customer(agent), email="")
    login(agent)
    assert 'id="invite-to-portal"' not in client.get(f"/contacts/{contact.id}").get_data(
        as_text=True
    )
    response = _post(client, f"/contacts/{contact.id}/portal-invite", {}, "/")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(PortalUser.id))) == 0


def test_marketing_cannot_invite(client, login):
    rep = make_user(Role.MARKETING)
    owner = make_user(Role.SALES)
    contact = make_contact(owner, make_customer(owner), email="x@acme.example")
    login(rep)
    response = _post(client, f"/contacts/{contact.id}/portal-invite", {}, "/")
    assert response.status_code in (403, 404)
    assert db.session.scalar(sa.select(sa.func.count(PortalUser.id))) == 0


def test_sign_in_failures_and_sign_out(client):
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    wrong = _post(client, "/portal/login", {"email": a.portal_user.email, "password": "nope"})
    unknown = _post(client, "/portal/login", {"email": "who@x.example", "password": "nope"})
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "Invalid email or password." in response.get_data(as_text=True)
    assert client.get("/portal/").location.startswith("/portal/login")
    portal_login(client, a.portal_user)
    assert client.get("/portal/").status_code == 200
    out = _post(client, "/portal/logout", {}, "/portal/")
    assert out.location == "/portal/login"
    assert client.get("/portal/tickets").status_code == 302


def test_forgot_password_answers_the_same_either_way(client, worker, smtp):
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    path = "/portal/forgot-password"
    known = _post(client, path, {"email": a.portal_user.email}, path)
    unknown = _post(client, path, {"email": "nobody@x.example"}, path)
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    worker()
    resets = [m["To"] for m in smtp if "portal password" in m["Subject"]]
    assert resets == [a.portal_user.email]


def test_the_ticket_page_shows_the_public_conversation_and_files(client):
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    portal_login(client, a.portal_user)
    listing = client.get("/portal/tickets").get_data(as_text=True)
    assert a.ticket.number in listing and a.colleague_ticket.number not in listing
    html = client.get(f"/portal/tickets/{a.ticket.id}").get_data(as_text=True)
    assert "Alpha public answer" in html and "Alpha internal note" not in html
    assert "Alpha-public.txt" in html and "Alpha-note.txt" not in html
    download = client.get(f"/portal/tickets/{a.ticket.id}/attachments/{a.public_attachment.id}")
    assert download.status_code == 200 and download.data == b"Alpha public file"
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_replying_with_a_file_reopens_a_resolved_ticket(client):
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    tickets.set_status(a.ticket, agent, "RESOLVED")
    db.session.commit()
    portal_login(client, a.portal_user)
    path = f"/portal/tickets/{a.ticket.id}"
    response = client.post(
        f"{path}/reply",
        data={
            "csrf_token": csrf_token(client, path),
            "body": "It jammed again",
            "files": (io.BytesIO(b"log line"), "printer.log"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    ticket = db.session.get(Ticket, a.ticket.id)
    assert ticket.status is TicketStatus.OPEN
    comment = db.session.scalars(
        sa.select(TicketComment).where(TicketComment.body == "It jammed again")
    ).one()
    assert comment.author_contact_id == a.contact.id and not comment.is_internal
    assert "printer.log" in client.get(path).get_data(as_text=True)


def test_an_empty_reply_is_refused_with_a_message(client):
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    portal_login(client, a.portal_user)
    path = f"/portal/tickets/{a.ticket.id}"
    response = client.post(f"{path}/reply", data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 422
    assert "Write a message." in response.get_data(as_text=True)


def test_the_help_bot_offers_public_articles_then_a_prefilled_ticket_form(client):
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    a.portal_user.locale = "zh_Hant"
    db.session.commit()
    english = make_article(agent, "Printer paper jam", body="Open the tray and remove the paper.")
    chinese = make_article(agent, "印表機卡紙 printer", language="zh_Hant",
                           body="printer paper jam 打開紙匣")  # fmt: skip
    internal = make_article(agent, "Printer jam internal notes",
                            visibility=ArticleVisibility.INTERNAL)  # fmt: skip
    portal_login(client, a.portal_user)
    assert client.get("/portal/help").status_code == 200
    answer = client.get("/portal/help?q=printer+paper+jam", headers={"HX-Request": "true"})
    html = answer.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="help-answers"')
    assert f"help-answer-{english.id}" in html and f"help-answer-{internal.id}" not in html
    assert html.index(f"help-answer-{chinese.id}") < html.index(f"help-answer-{english.id}")
    assert 'id="help-answered"' in html and 'id="help-need-more"' in html
    form = client.get("/portal/tickets/new?q=printer+paper+jam").get_data(as_text=True)
    assert "printer paper jam" in form


def test_opening_a_ticket_with_a_file(client):
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    portal_login(client, a.portal_user)
    response = client.post(
        "/portal/tickets/new",
        data={
            "csrf_token": csrf_token(client, "/portal/tickets/new"),
            "subject": "Invoice question",
            "description": "Why is it higher?",
            "files": (io.BytesIO(b"numbers"), "invoice.txt"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    ticket = db.session.scalars(sa.select(Ticket).where(Ticket.subject == "Invoice question")).one()
    assert ticket.contact_id == a.contact.id and ticket.customer_id == a.customer.id
    assert ticket.channel.value == "WEB"
    assert "invoice.txt" in client.get(response.location).get_data(as_text=True)
    empty = client.post(
        "/portal/tickets/new", data={"csrf_token": csrf_token(client, "/portal/tickets/new")}
    )
    assert empty.status_code == 422


def test_quotes_open_on_the_signed_quote_page_and_orders_are_listed(client):
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    portal_login(client, a.portal_user)
    listing = client.get("/portal/my-quotes").get_data(as_text=True)
    assert "Alpha quote" in listing and "Alpha draft" not in listing
    opened = client.get(f"/portal/my-quotes/{a.quote.id}")
    assert opened.location == f"/portal/quotes/{quotes.portal_token(a.quote)}"
    assert 'id="accept-form"' in client.get(opened.location).get_data(as_text=True)
    pdf = client.get(f"/portal/my-quotes/{a.quote.id}/pdf")
    assert pdf.location == f"/portal/quotes/{quotes.portal_token(a.quote)}/pdf"
    assert a.order.number in client.get("/portal/orders").get_data(as_text=True)
    order = client.get(f"/portal/orders/{a.order.id}").get_data(as_text=True)
    assert "Support hours" in order
    home = client.get("/portal/").get_data(as_text=True)
    assert a.ticket.number in home and "Alpha quote" in home and a.order.number in home


def test_the_knowledge_base_counts_views_and_votes_once(client):
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    public = make_article(agent, "Resetting the router")
    internal = make_article(agent, "Router internals", visibility=ArticleVisibility.INTERNAL)
    portal_login(client, a.portal_user)
    found = client.get("/portal/kb?q=router").get_data(as_text=True)
    assert "Resetting the router" in found and "Router internals" not in found
    fragment = client.get("/portal/kb?q=router", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="kb-results"')
    assert client.get(f"/portal/kb/{public.id}").status_code == 200
    assert client.get(f"/portal/kb/{internal.id}").status_code == 404
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, f"/portal/kb/{public.id}")}
    for _ in range(2):
        vote = client.post(f"/portal/kb/{public.id}/vote", data={"helpful": "yes"},
                           headers=headers)  # fmt: skip
        assert vote.status_code == 200
    db.session.expire_all()
    db.session.refresh(public)
    assert public.view_count == 2 and public.helpful_yes == 1


def test_portal_pages_speak_the_portal_users_language(client):
    agent, rep = staff()
    a = make_company("Alpha", agent, rep)
    chinese = client.get("/portal/login", headers={"Accept-Language": "zh-TW"})
    assert 'lang="zh-Hant"' in chinese.get_data(as_text=True)
    english = client.get("/portal/login", headers={"Accept-Language": "en"})
    assert 'lang="en"' in english.get_data(as_text=True)
    _post(client, "/portal/language", {"locale": "zh_Hant", "next": "/portal/login"})
    assert 'lang="zh-Hant"' in client.get("/portal/login").get_data(as_text=True)

    portal_login(client, a.portal_user)  # the account's own language wins from now on
    assert 'lang="en"' in client.get("/portal/").get_data(as_text=True)
    switched = _post(
        client, "/portal/language", {"locale": "zh_Hant", "next": "/portal/"}, "/portal/"
    )
    assert switched.location == "/portal/"
    assert 'lang="zh-Hant"' in client.get("/portal/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PortalUser, a.portal_user.id).locale == "zh_Hant"


def test_a_staff_users_language_does_not_decide_the_portals(client, login):
    agent = make_user(Role.SUPPORT, locale="zh_Hant")
    login(agent)
    page = client.get("/portal/login", headers={"Accept-Language": "en"})
    assert 'lang="en"' in page.get_data(as_text=True)


def test_staff_make_a_portal_user_company_admin_and_deactivate_them(client, login):
    manager = make_user(Role.MANAGER)
    contact = make_contact(manager, customer=make_customer(manager), email="pat@acme.example")
    account = make_portal_user(contact)
    login(manager)
    assert 'id="contact-portal-account"' in client.get(f"/contacts/{contact.id}").get_data(
        as_text=True
    )
    html = client.get(f"/contacts/{contact.id}/portal-account").get_data(as_text=True)
    assert "portal-make-admin" in html
    path = f"/contacts/{contact.id}/portal-account"
    html = htmx_post(client, path, {"action": "make_admin"}).get_data(as_text=True)
    assert "company admin" in html and "portal-remove-admin" in html
    htmx_post(client, path, {"action": "deactivate"})
    db.session.refresh(account)
    assert account.is_company_admin and not account.is_active
    assert htmx_post(client, path, {"action": "nonsense"}).status_code == 400


def test_a_sales_rep_cannot_change_portal_accounts(client, login):
    rep = make_user(Role.SALES)
    contact = make_contact(rep, customer=make_customer(rep), email="sam@acme.example")
    account = make_portal_user(contact)
    login(rep)
    path = f"/contacts/{contact.id}/portal-account"
    assert "portal-make-admin" not in client.get(path).get_data(as_text=True)
    assert htmx_post(client, path, {"action": "make_admin"}).status_code == 403
    db.session.refresh(account)
    assert not account.is_company_admin
