"""What a ticket's page and the portal help bot suggest, as agents and customers see it:
possible duplicates with a merge button (CSRF-protected, the ticket merge's own rules),
the articles that answer a ticket, and the help bot's public articles in the reader's
language; each behind its login and read rights."""

from app.extensions import db
from app.models.identity import Role
from app.models.service import ArticleVisibility, Ticket
from app.services import kb
from tests.conftest import post_form
from tests.factories import make_customer, make_team, make_ticket, make_user
from tests.portal_setup import make_article, make_company, portal_login, staff

HX = {"HX-Request": "true"}
TEXT = {"subject": "Invoice PDF missing for March", "description": "The March PDF is missing."}


def _tickets(agent):
    customer = make_customer(agent, name="Acme")
    ticket = make_ticket(agent, customer_id=customer.id, **TEXT)
    duplicate = make_ticket(agent, customer_id=customer.id, subject="March invoice PDF missing",
                            description="Where is the PDF of my March invoice?")  # fmt: skip
    make_ticket(agent, subject="Printer paper jam", description="Paper stuck in the tray.")
    return ticket, duplicate


def test_the_ticket_page_lists_possible_duplicates_and_merges_one(login):
    agent = make_user(Role.SUPPORT, team=make_team())
    ticket, duplicate = _tickets(agent)
    client = login(agent)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert f'hx-get="/tickets/{ticket.id}/similar"' in page and 'id="similar-tickets"' in page
    fragment = client.get(f"/tickets/{ticket.id}/similar", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="similar-tickets"')
    assert f'id="similar-ticket-{duplicate.id}"' in fragment and "Printer" not in fragment
    assert f'id="merge-similar-{duplicate.id}"' in fragment and 'name="csrf_token"' in fragment
    assert f'value="{duplicate.number}"' in fragment
    merged = post_form(client, f"/tickets/{ticket.id}/merge", {"numbers": duplicate.number})
    assert merged.status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, duplicate.id).merged_into_id == ticket.id
    after = client.get(f"/tickets/{ticket.id}/similar", headers=HX).get_data(as_text=True)
    assert f"similar-ticket-{duplicate.id}" not in after and 'id="similar-tickets"' in after


def test_the_merge_button_needs_its_csrf_token_and_the_right_to_edit(login):
    agent = make_user(Role.SUPPORT, team=make_team())
    ticket, duplicate = _tickets(agent)
    client = login(agent)
    response = client.post(f"/tickets/{ticket.id}/merge", data={"numbers": duplicate.number})
    assert response.status_code == 400
    assert db.session.get(Ticket, duplicate.id).merged_into_id is None
    post_form(client, "/logout")
    seller = login(make_user(Role.SALES))
    assert seller.get(f"/tickets/{ticket.id}/similar").status_code == 404  # not their queue


def test_similar_tickets_need_a_login_and_the_right_to_read_the_ticket(client, login):
    agent = make_user(Role.SUPPORT, team=make_team())
    ticket, duplicate = _tickets(agent)
    anonymous = client.get(f"/tickets/{ticket.id}/similar")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert client.get(f"/tickets/{ticket.id}/similar", headers=HX).headers.get("HX-Redirect")
    stranger = login(make_user(Role.SUPPORT, team=make_team()))
    assert stranger.get(f"/tickets/{ticket.id}/similar").status_code == 404
    assert stranger.get("/tickets/999/similar").status_code == 404
    post_form(client, "/logout")
    admin = login(make_user(Role.ADMIN))
    html = admin.get(f"/tickets/{ticket.id}/similar").get_data(as_text=True)
    assert f'id="similar-ticket-{duplicate.id}"' in html


def test_the_articles_suggested_for_a_ticket_are_ranked_by_relevance(login):
    agent = make_user(Role.SUPPORT, team=make_team())
    internal = kb.create_article(agent, title="Missing invoice PDF", body="Regenerate the PDF.",
                                 visibility="INTERNAL")  # fmt: skip
    kb.publish(internal, agent)
    other = kb.create_article(agent, title="Invoice due dates", body="Invoices are due in 30 days.")
    kb.publish(other, agent)
    db.session.commit()
    ticket, _ = _tickets(agent)
    html = login(agent).get(f"/kb/suggestions?ticket_id={ticket.id}").get_data(as_text=True)
    assert html.index(f"kb-suggestion-{internal.id}") < html.index(f"kb-suggestion-{other.id}")


def test_the_help_bot_suggests_public_articles_in_the_readers_language(client):
    agent, rep = staff()
    company = make_company("Alpha", agent, rep)
    company.portal_user.locale = "zh_Hant"
    db.session.commit()
    chinese = make_article(agent, "重設忘記的密碼", language="zh_Hant",
                           body="在登入頁面點選「忘記密碼」，我們會寄出重設連結。")  # fmt: skip
    hidden = make_article(agent, "忘記密碼的內部處理", language="zh_Hant",
                          body="忘記密碼時客服重設的步驟。",
                          visibility=ArticleVisibility.INTERNAL)  # fmt: skip
    draft = kb.create_article(agent, title="忘記密碼草稿", language="zh_Hant", body="忘記密碼")
    english = make_article(agent, "Reset a forgotten password", body="Use the reset link.")
    db.session.commit()
    path = "/portal/help?q=我忘記密碼了，沒辦法登入"
    assert client.get(path).status_code == 302  # the portal's own sign-in first
    portal_login(client, company.portal_user)
    html = client.get(path, headers=HX).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="help-answers"')
    assert f'id="help-answer-{chinese.id}"' in html
    for absent in (hidden, draft, english):
        assert f"help-answer-{absent.id}" not in html
    page = client.get(path).get_data(as_text=True)
    assert 'id="portal-help"' in page and f'id="help-answer-{chinese.id}"' in page
