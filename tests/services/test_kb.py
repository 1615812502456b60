"""The knowledge base as its writers and readers meet it: drafts and publishing, search in
English and Chinese (two characters are enough), what the portal may see, suggestions for a
ticket, and the view and "was this helpful" counters (counted, never audited)."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.identity import Role
from app.models.records import AuditEntry
from app.models.service import ArticleStatus, ArticleVisibility, KbArticle
from app.permissions import PermissionDenied
from app.services import kb
from app.services.validation import RecordInvalid
from tests.factories import make_user


def _article(author, published=True, **fields):
    fields.setdefault("body", "")
    article = kb.create_article(author, **fields)
    if published:
        kb.publish(article, author)
    db.session.commit()
    return article


@pytest.fixture
def agent():
    return make_user(Role.SUPPORT)


def test_an_article_starts_as_a_draft_and_is_published(agent):
    article = _article(agent, published=False, title="Reset your password", body="Step one.")
    assert article.status is ArticleStatus.DRAFT and article.published_at is None
    assert article.search_text == "reset your password step one."
    kb.publish(article, agent)
    assert article.status is ArticleStatus.PUBLISHED and article.published_at is not None
    kb.unpublish(article, agent)
    assert article.status is ArticleStatus.DRAFT


def test_bad_input_is_refused_with_every_message(agent):
    with pytest.raises(RecordInvalid) as refused:
        kb.create_article(agent, title=" ", language="fr", category_id=999)
    assert set(refused.value.errors) == {"title", "language", "category_id"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KbArticle)) == 0


def test_sales_reps_read_but_may_not_write():
    with pytest.raises(PermissionDenied):
        kb.create_article(make_user(Role.SALES), title="Nope")


def test_search_finds_english_words_by_any_part(agent):
    wanted = _article(agent, title="Configuring the VPN client", body="Open the settings.")
    _article(agent, title="Printer setup")
    assert kb.search("vpn") == [wanted]
    assert kb.search("configur SETTINGS") == [wanted]
    assert kb.search("nothing like this") == []


def test_search_finds_chinese_by_two_or_more_characters(agent):
    wanted = _article(
        agent, title="如何重設密碼", body="請在登入頁面點選「忘記密碼」。", language="zh_Hant"
    )
    _article(agent, title="印表機設定", language="zh_Hant")
    assert kb.search("密碼") == [wanted]
    assert kb.search("登入頁面") == [wanted]
    assert kb.search("重設密碼", language="zh_Hant") == [wanted]
    assert kb.search("密碼", language="en") == []


def test_drafts_and_internal_articles_stay_out_of_public_search(agent):
    public = _article(agent, title="Invoice questions")
    internal = _article(agent, title="Invoice refunds", visibility="INTERNAL")
    draft = _article(agent, published=False, title="Invoice drafts")
    assert kb.search("invoice", public_only=True) == [public]
    assert set(kb.search("invoice")) == {public, internal}
    staff = kb.search("invoice", agent, include_drafts=True)
    assert draft in staff and len(staff) == 3
    reader = make_user(Role.SALES)
    assert draft not in kb.search("invoice", reader, include_drafts=True)
    assert internal.visibility is ArticleVisibility.INTERNAL


def test_title_matches_come_first_then_the_helpful_ones(agent):
    in_body = _article(agent, title="Accounts", body="How to change the billing address.")
    in_title = _article(agent, title="Billing address changes")
    helpful = _article(agent, title="Billing address on invoices")
    kb.vote(helpful, True, "reader-1")
    db.session.commit()
    assert kb.search("billing") == [helpful, in_title, in_body]


def test_search_pages_continue_after_the_cursor(agent):
    made = [_article(agent, title=f"Guide {n}") for n in range(5)]
    first, cursor = kb.search_page("guide", limit=2)
    second, cursor2 = kb.search_page("guide", limit=2, cursor=cursor)
    third, end = kb.search_page("guide", limit=2, cursor=cursor2)
    assert first + second + third == sorted(made, key=lambda a: -a.id) and end is None
    assert kb.search_page("guide", limit=2, cursor="not a cursor")[0] == first


def test_suggestions_rank_the_relevant_article_first(agent):
    _article(agent, title="Printer offline", body="Check the printer cable.")
    password = _article(agent, title="Reset a forgotten password", body="Use the reset link.")
    _article(agent, title="Change your email address", body="Your password stays the same.")
    found = kb.suggest("I forgot my password and the reset email never came.", subject="Login")
    assert found[0] == password and len(found) == 2


def test_chinese_suggestions_use_pieces_of_the_text(agent):
    password = _article(agent, title="如何重設密碼", body="點選忘記密碼。", language="zh_Hant")
    _article(agent, title="發票問題", body="發票寄送時間。", language="zh_Hant")
    assert kb.suggest("您好，我忘記密碼了，無法登入系統") == [password]
    terms = [term for term, _ in kb.suggest_terms("我忘記密碼了")]
    assert "密碼" in terms and "忘記" in terms


def test_suggestions_leave_out_drafts_and_stop_words(agent):
    _article(agent, published=False, title="Password draft")
    assert kb.suggest("password") == []
    assert kb.suggest_terms("Please help, it is not working") == []


def test_a_view_is_counted_without_an_audit_entry(agent):
    article = _article(agent, title="Counted")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    updated = article.updated_at
    kb.record_view(article)
    kb.record_view(article)
    db.session.commit()
    assert article.view_count == 2
    db.session.expire_all()
    assert db.session.get(KbArticle, article.id).view_count == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before
    assert db.session.get(KbArticle, article.id).updated_at == updated


def test_each_voter_is_counted_once(agent):
    article = _article(agent, title="Helpful?")
    assert kb.vote(article, True, "user:1") is True
    assert kb.vote(article, False, "user:1") is False
    assert kb.vote(article, False, "session:abc") is True
    db.session.commit()
    db.session.expire_all()
    fresh = db.session.get(KbArticle, article.id)
    assert (fresh.helpful_yes, fresh.helpful_no) == (1, 1)
    assert kb.has_voted(fresh, "user:1") and not kb.has_voted(fresh, "user:2")


def test_categories_are_ordered_renamed_and_deleted_only_when_empty(agent):
    manager = make_user(Role.MANAGER)
    first = kb.create_category(manager, "Accounts")
    second = kb.create_category(manager, "Billing")
    kb.move_category(second, manager, -1)
    assert kb.categories() == [second, first]
    with pytest.raises(RecordInvalid):
        kb.create_category(manager, "accounts")
    kb.rename_category(first, manager, "Logins")
    _article(agent, title="In billing", category_id=second.id)
    with pytest.raises(RecordInvalid):
        kb.delete_category(second, manager)
    kb.delete_category(first, manager)
    assert kb.categories() == [second]
    with pytest.raises(PermissionDenied):
        kb.create_category(make_user(Role.SALES), "Nope")


def test_the_body_is_split_into_paragraphs_of_lines():
    assert kb.paragraphs("One\ntwo\n\n\nThree <b>") == [["One", "two"], ["Three <b>"]]
