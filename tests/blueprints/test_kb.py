"""The knowledge-base pages as colleagues meet them: the searchable list and its htmx
fragment, the article page (counted, escaped, voted on in place), the editor and
publishing, categories, suggestions on a ticket, and who may do what."""

import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.service import ArticleStatus, KbArticle, KbCategory
from app.services import kb
from tests.conftest import csrf_token, htmx_post, post_form
from tests.factories import make_ticket, make_user


def _article(author, published=True, **fields):
    fields.setdefault("body", "")
    article = kb.create_article(author, **fields)
    if published:
        kb.publish(article, author)
    db.session.commit()
    return article


def test_the_list_searches_as_you_type(login):
    agent = make_user(Role.SUPPORT)
    _article(agent, title="Reset a password")
    _article(agent, title="重設密碼", language="zh_Hant")
    _article(agent, title="Printer setup")
    client = login(make_user(Role.SALES))
    html = client.get("/kb").get_data(as_text=True)
    assert 'id="kb-filters"' in html and "Printer setup" in html and 'id="nav-kb"' in html
    assert 'id="new-kb-article"' not in html
    response = client.get("/kb?q=password", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="kb-results">')
    assert "Reset a password" in fragment and "Printer" not in fragment
    assert "HX-Request" in response.headers["Vary"]
    assert "重設密碼" in client.get("/kb?q=密碼").get_data(as_text=True)


def _switch(client, login, user):
    """Sign the current user out and `user` in, on the same client."""
    post_form(client, "/logout")
    return login(user)


def test_drafts_are_listed_only_for_their_editors(login):
    agent = make_user(Role.SUPPORT)
    draft = _article(agent, published=False, title="Unfinished guide")
    client = login(agent)
    assert "Unfinished guide" in client.get("/kb").get_data(as_text=True)
    assert "Unfinished guide" in client.get("/kb?status=DRAFT").get_data(as_text=True)
    assert "Unfinished guide" not in client.get("/kb?status=PUBLISHED").get_data(as_text=True)
    reader = _switch(client, login, make_user(Role.SALES))
    assert "Unfinished guide" not in reader.get("/kb").get_data(as_text=True)
    assert reader.get(f"/kb/{draft.id}").status_code == 404


def test_the_article_page_counts_the_view_and_escapes_the_text(login):
    agent = make_user(Role.SUPPORT)
    article = _article(agent, title="Safe", body="<script>alert(1)</script>\nline two\n\nNext")
    html = login(make_user(Role.SALES)).get(f"/kb/{article.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>line two</p>" in html
    assert "<p>Next</p>" in html and 'id="kb-edit"' not in html
    db.session.expire_all()
    assert db.session.get(KbArticle, article.id).view_count == 1


def test_a_vote_is_answered_in_place_and_counted_once(login):
    agent = make_user(Role.SUPPORT)
    article = _article(agent, title="Helpful?")
    client = login(make_user(Role.SALES))
    assert 'id="kb-helpful-yes"' in client.get(f"/kb/{article.id}").get_data(as_text=True)
    response = htmx_post(client, f"/kb/{article.id}/vote", {"helpful": "yes"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<div id="kb-votes-{article.id}"')
    assert "Thank you" in html
    again = htmx_post(client, f"/kb/{article.id}/vote", {"helpful": "no"})
    assert "already answered" in again.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(KbArticle, article.id)
    assert (fresh.helpful_yes, fresh.helpful_no) == (1, 0)
    assert 'id="kb-helpful-yes"' not in client.get(f"/kb/{article.id}").get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused(login):
    agent = make_user(Role.SUPPORT)
    article = _article(agent, title="Guarded", published=False)
    client = login(agent)
    assert client.post(f"/kb/{article.id}/publish").status_code == 400
    assert client.post(f"/kb/{article.id}/vote", data={"helpful": "yes"}).status_code == 400
    assert client.post("/kb/new", data={"title": "Sneaky"}).status_code in (200, 400)
    db.session.expire_all()
    assert db.session.get(KbArticle, article.id).status is ArticleStatus.DRAFT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KbArticle)) == 1


def test_an_agent_writes_edits_and_publishes_an_article(login):
    agent = make_user(Role.SUPPORT)
    manager = make_user(Role.MANAGER)
    category = kb.create_category(manager, "Accounts")
    db.session.commit()
    client = login(agent)
    assert 'name="title"' in client.get("/kb/new").get_data(as_text=True)
    refused = post_form(client, "/kb/new", {"title": "", "language": "en"})
    assert refused.status_code == 200 and "Give the article a title." in refused.get_data(
        as_text=True
    )
    response = post_form(
        client,
        "/kb/new",
        {"title": "Two-factor login", "body": "Open settings.", "language": "en",
         "visibility": "PUBLIC", "category_id": str(category.id), "is_faq": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    article = db.session.scalar(sa.select(KbArticle))
    assert article.status is ArticleStatus.DRAFT and article.is_faq
    assert article.category_id == category.id
    edit = post_form(
        client,
        f"/kb/{article.id}/edit",
        {"title": "Two-factor sign-in", "body": "Open settings.", "language": "en",
         "visibility": "INTERNAL", "category_id": ""},
    )  # fmt: skip
    assert edit.status_code == 302
    assert post_form(client, f"/kb/{article.id}/publish").status_code == 302
    db.session.expire_all()
    article = db.session.get(KbArticle, article.id)
    assert article.title == "Two-factor sign-in" and article.status is ArticleStatus.PUBLISHED
    assert article.visibility.value == "INTERNAL" and article.category_id is None


def test_readers_may_not_write_or_delete(login):
    agent = make_user(Role.SUPPORT)
    article = _article(agent, title="Read only")
    client = login(make_user(Role.SALES))
    assert client.get("/kb/new").status_code == 403
    assert client.get(f"/kb/{article.id}/edit").status_code == 403
    assert post_form(client, f"/kb/{article.id}/unpublish").status_code == 403
    assert post_form(client, f"/kb/{article.id}/delete").status_code == 403
    assert client.get("/kb/categories").status_code == 403


def test_a_manager_deletes_an_article_after_confirming(login):
    article = _article(make_user(Role.SUPPORT), title="Old news")
    client = login(make_user(Role.MANAGER))
    assert 'id="confirm-delete"' in client.get(f"/kb/{article.id}/delete").get_data(as_text=True)
    assert post_form(client, f"/kb/{article.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KbArticle)) == 0


def test_categories_are_added_renamed_moved_and_deleted(login):
    manager = make_user(Role.MANAGER)
    client = login(manager)
    assert post_form(client, "/kb/categories", {"name": "Billing"}).status_code == 302
    assert post_form(client, "/kb/categories", {"name": "Accounts"}).status_code == 302
    duplicate = post_form(client, "/kb/categories", {"name": "billing"})
    assert "already a category" in duplicate.get_data(as_text=True)
    accounts = db.session.scalar(sa.select(KbCategory).where(KbCategory.name == "Accounts"))
    moved = post_form(client, f"/kb/categories/{accounts.id}/move", {"direction": "up"})
    assert moved.status_code == 302
    post_form(client, f"/kb/categories/{accounts.id}/rename", {"name": "Sign-in"})
    db.session.expire_all()
    assert [c.name for c in kb.categories()] == ["Sign-in", "Billing"]
    _article(manager, title="Invoices", category_id=kb.categories()[1].id)
    post_form(client, f"/kb/categories/{kb.categories()[1].id}/delete")
    post_form(client, f"/kb/categories/{accounts.id}/delete")
    db.session.expire_all()
    assert [c.name for c in kb.categories()] == ["Billing"]
    assert 'id="kb-categories"' in client.get("/kb/categories").get_data(as_text=True)


def test_a_ticket_gets_its_suggested_articles(login, app):
    agent = make_user(Role.SUPPORT)
    password = _article(agent, title="Reset a forgotten password")
    _article(agent, title="Printer setup")
    ticket = make_ticket(agent, subject="Forgot my password", description="Cannot sign in.")
    client = login(agent)
    html = client.get(f"/kb/suggestions?ticket_id={ticket.id}").get_data(as_text=True)
    assert f'id="kb-suggestion-{password.id}"' in html and "Printer" not in html
    assert client.get("/kb/suggestions?ticket_id=999").status_code == 404
    marketer = _switch(client, login, make_user(Role.MARKETING))
    assert marketer.get(f"/kb/suggestions?ticket_id={ticket.id}").status_code == 404
    with app.test_request_context():
        from flask import render_template

        placeholder = render_template("service/_ticket_suggestions.html", ticket=ticket)
    assert f'hx-get="/kb/suggestions?ticket_id={ticket.id}"' in placeholder
    assert 'hx-trigger="load"' in placeholder


def test_the_csrf_token_helper_reads_the_kb_page(login):
    client = login(make_user(Role.SUPPORT))
    assert csrf_token(client, "/kb")
