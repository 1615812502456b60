"""Knowledge-base suggestions by BM25 (app.services.predictions.kb_retrieval): recall on the
labelled question set in English and Chinese, Chinese questions finding Chinese articles,
the portal's public-only rule, an index that follows every article change, and the model
version the Models page shows."""

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.identity import Role
from app.models.predictions import PredictionMode
from app.models.service import ArticleVisibility
from app.services import kb
from app.services.predictions import kb_questions, kb_retrieval, model_store, registry
from app.services.predictions.text_index import TextIndex, is_chinese, stem, tokens
from tests.factories import make_ticket, make_user


def _article(author, published=True, **fields):
    fields.setdefault("body", "")
    article = kb.create_article(author, **fields)
    if published:
        kb.publish(article, author)
    db.session.commit()
    return article


def test_the_labelled_set_is_found_in_the_top_five_in_each_language():
    figures = registry.module(kb_retrieval.KIND).evaluate_planted(seed=7)
    assert figures["questions_en"] == 120 and figures["questions_zh"] == 120
    assert figures["articles"] == 40 + 40 + kb_questions.DISTRACTORS  # internal copies too
    assert figures["recall_at_5_en"] >= 0.8, figures
    assert figures["recall_at_5_zh"] >= 0.8, figures
    # BM25 ranks better than the old "most significant words" suggestions on paraphrases.
    assert figures["recall_at_5_en"] >= figures["baseline_recall_at_5_en"], figures
    assert figures["recall_at_5_zh"] > figures["baseline_recall_at_5_zh"], figures
    assert figures["portal_leaks"] == 0
    model = model_store.latest(kb_retrieval.KIND)
    assert model.mode is PredictionMode.MODEL and model.metrics["public_articles"] == 80
    assert model.metrics["articles_en"] + model.metrics["articles_zh"] == figures["articles"]


def test_the_labelled_set_is_well_formed():
    assert len(kb_questions.ARTICLES) == 80
    for article in kb_questions.ARTICLES:
        assert article.title and len(article.body) > 40 and len(article.questions) == 3
        chinese = article.language == "zh_Hant"
        assert is_chinese(article.title + article.body) == chinese
        assert all(any(is_chinese(ch) for ch in q) == chinese for q in article.questions)
    titles = [article.title for article in kb_questions.ARTICLES]
    assert len(set(titles)) == len(titles)


def test_tokens_stem_english_and_split_chinese_into_pairs():
    assert {stem(w) for w in ("shipping", "shipped", "ships", "ship")} == {"ship"}
    assert stem("invoices") == stem("invoice") and stem("charged") == stem("charge")
    assert tokens("The printer IS jammed!") == ["printer", "jam"]
    assert tokens("忘記密碼") == ["忘記", "記密", "密碼", "忘", "記", "密", "碼"]
    assert "的" not in tokens("我的密碼") and "密碼" in tokens("我的密碼")
    assert tokens("PDF發票") == ["pdf", "發票", "發", "票"]


def test_an_index_ranks_by_bm25_and_scores_a_document_against_itself():
    docs = [tokens("reset a forgotten password"), tokens("printer paper jam"), tokens("")]
    index = TextIndex.build([10, 20, 30], docs)
    assert [found for found, _ in index.ranked(tokens("password reset"))] == [10]
    assert index.ranked(tokens("unrelated words")) == [] and index.ranked([]) == []
    scores = index.scores(sorted(set(docs[1])))
    assert abs(float(scores[1]) - index.self_score(docs[1])) < 1e-4
    assert TextIndex.build([], []).ranked(tokens("password")) == []


def test_a_chinese_question_finds_the_chinese_article():
    agent = make_user(Role.SUPPORT)
    english = _article(agent, title="Reset a forgotten password",
                       body="Choose Forgot password on the sign-in page.")  # fmt: skip
    chinese = _article(agent, title="重設忘記的密碼", language="zh_Hant",
                       body="在登入頁面點選「忘記密碼」，我們會寄出重設連結。")  # fmt: skip
    _article(agent, title="印表機卡紙", language="zh_Hant", body="打開前蓋，拉出卡住的紙張。")
    found = kb_retrieval.answers("我忘記密碼了，沒辦法登入", language="en")
    assert found == [chinese]
    assert kb_retrieval.answers("I forgot my password", language="zh_Hant") == [english]


def test_the_portal_never_suggests_internal_or_draft_articles():
    agent = make_user(Role.SUPPORT)
    text = {"title": "Printer paper jam", "body": "Open the tray and remove the jammed paper."}
    public = _article(agent, **text)
    internal = _article(agent, visibility=ArticleVisibility.INTERNAL, **text)
    _article(agent, published=False, **text)
    assert kb_retrieval.answers("paper jam in the printer") == [public]
    staff = kb_retrieval.suggest("paper jam in the printer", viewer=agent)
    assert set(staff) == {public, internal}
    # Internal articles are found only through the database's rule, even with a stale index.
    kb.update_article(public, agent, visibility="INTERNAL")
    db.session.commit()
    assert kb_retrieval.answers("paper jam in the printer") == []


def test_staff_suggestions_follow_the_article_read_scope():
    author, reader = make_user(Role.SUPPORT), make_user(Role.SALES)
    article = _article(author, title="Reset a forgotten password")
    assert kb_retrieval.suggest("password", viewer=reader) == [article]
    permissions.set_grant(Role.SALES, "kb_article", "read", permissions.Scope.OWN)
    db.session.commit()
    permissions.forget_cached_grants()
    assert kb_retrieval.suggest("password", viewer=reader) == []


def test_the_index_follows_publishing_edits_and_deletes():
    agent = make_user(Role.SUPPORT)
    article = _article(agent, published=False, title="Connect the printer to Wi-Fi")
    assert kb_retrieval.answers("wifi printer") == []
    kb.publish(article, agent)
    db.session.commit()
    assert kb_retrieval.answers("wireless printer wifi") == [article]
    kb.update_article(article, agent, title="Track your parcel")
    db.session.commit()
    assert kb_retrieval.answers("wifi printer") == []
    assert kb_retrieval.answers("parcel") == [article]
    kb.delete_article(article, agent)
    db.session.commit()
    assert kb_retrieval.answers("parcel") == []


def test_a_ticket_gets_the_article_that_answers_it_first():
    agent = make_user(Role.SUPPORT)
    refund = _article(
        agent,
        title="Request a refund",
        body="Ask for a refund within 14 days; the money goes back to your card.",
    )
    _article(agent, title="Update your payment card", body="Replace the card we charge.")
    ticket = make_ticket(
        agent,
        subject="Money back please",
        description="I want a refund of the last charge on my card.",
    )
    assert kb_retrieval.suggest_for_ticket(ticket, agent)[0] == refund


def test_training_stores_the_index_size_and_says_when_there_is_nothing_to_suggest():
    agent = make_user(Role.SUPPORT)
    empty = kb_retrieval.train(actor=agent)
    assert empty.mode is PredictionMode.RULES and "No published article" in empty.notice
    _article(agent, title="Reset a forgotten password", body="Use the reset link.")
    _article(agent, title="重設密碼", language="zh_Hant")
    _article(agent, title="Draft only", published=False)
    model = kb_retrieval.train(actor=agent)
    assert model.mode is PredictionMode.MODEL and model.version == empty.version + 1
    assert model.metrics["articles"] == 2 and model.metrics["articles_zh"] == 1
    words = tokens("Reset a forgotten password Use the reset link 重設密碼")
    assert model.metrics["terms"] == len(set(words))
    assert model.rows == 2 and model.trained_by_id == agent.id
    assert kb_retrieval.score_all() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(type(model))) == 2
