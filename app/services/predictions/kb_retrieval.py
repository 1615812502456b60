"""Knowledge-base suggestions by BM25: the articles that may answer a ticket (for staff)
or a customer's question (the portal help bot). The index covers the published articles,
is built in process from the database and kept until an article changes (the key is the
articles' count, newest id and newest update, so a publish, an edit or a delete rebuilds
it); nothing is downloaded. Which articles a reader may see is always decided by the
database query that loads the ranked ones, never by the cached index alone.

The search box (app.services.kb_search) keeps its substring search: its results are
"every word found", which people expect of a search box, while suggestions rank by
relevance. Registry kind: PredictionKind.KB (train / score_all / evaluate_planted).
"""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.predictions import PredictionKind, PredictionMode
from app.models.service import ArticleStatus, ArticleVisibility, KbArticle
from app.services.predictions import model_store
from app.services.predictions.text_index import ALGORITHM, K1, B, TextIndex, tokens

KIND = PredictionKind.KB
# The body beyond this says little more about what an article answers.
BODY_CHARS = 4_000
# Ranked candidates loaded per suggestion (the reader's rights and language then narrow).
CANDIDATES = 30
_lock = threading.Lock()
_cache: dict[str, tuple[tuple, ArticleIndex]] = {}


@dataclasses.dataclass
class ArticleIndex:
    """The BM25 index of the published articles, with each one's language and whether
    customers may read it (a first filter; the loading query has the last word)."""

    text: TextIndex
    languages: np.ndarray
    public: np.ndarray


def article_terms(title: str, body: str) -> list[str]:
    """An article's terms: its title counts twice, as it says what the article answers."""
    title_terms = tokens(title)
    return title_terms + title_terms + tokens((body or "")[:BODY_CHARS])


def _key() -> tuple:
    row = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(KbArticle.id), sa.func.max(KbArticle.updated_at))
    ).one()
    return (row[0], row[1], str(row[2]))


def _build() -> ArticleIndex:
    rows = db.session.execute(
        sa.select(
            KbArticle.id,
            KbArticle.title,
            sa.func.substr(KbArticle.body, 1, BODY_CHARS),
            KbArticle.language,
            KbArticle.visibility,
        )
        .where(KbArticle.status == ArticleStatus.PUBLISHED)
        .order_by(KbArticle.id)
    ).all()
    return ArticleIndex(
        text=TextIndex.build([r[0] for r in rows], [article_terms(r[1], r[2]) for r in rows]),
        languages=np.asarray([r[3] for r in rows], dtype=object),
        public=np.asarray([r[4] is ArticleVisibility.PUBLIC for r in rows], dtype=bool),
    )


def current_index() -> ArticleIndex:
    """The index of the published articles as they are now (rebuilt after any change)."""
    where = str(db.engine.url)
    key = _key()
    with _lock:
        kept = _cache.get(where)
        if kept is not None and kept[0] == key:
            return kept[1]
    index = _build()
    with _lock:
        _cache[where] = (key, index)
    return index


def forget() -> None:
    """Drop the kept indexes (the next suggestion rebuilds)."""
    with _lock:
        _cache.clear()


def _readable(viewer, public_only: bool):
    published = KbArticle.status == ArticleStatus.PUBLISHED
    if public_only:
        return sa.and_(published, KbArticle.visibility == ArticleVisibility.PUBLIC)
    if viewer is None:
        return published
    return sa.and_(published, permissions.visible(viewer, "kb_article", KbArticle.owner_id))


def suggest(
    text: str,
    *,
    viewer=None,
    public_only: bool = False,
    language: str | None = None,
    subject: str = "",
    limit: int = 5,
) -> list[KbArticle]:
    """The published articles that best answer `text` (and `subject`, which weighs twice),
    best first: those `viewer` may read (`public_only`: customers' articles only), those in
    `language` first when given. An article sharing no term with the text is never listed."""
    limit = max(1, min(limit, 20))
    subject_terms = tokens(subject)
    query = subject_terms + subject_terms + tokens(text)
    if not query:
        return []
    index = current_index()
    keep = index.public if public_only else None
    ranked = index.text.ranked(query, keep=keep, limit=max(CANDIDATES, limit * 4))
    if not ranked:
        return []
    ids = [article_id for article_id, _ in ranked]
    found = {
        article.id: article
        for article in db.session.scalars(
            sa.select(KbArticle).where(KbArticle.id.in_(ids), _readable(viewer, public_only))
        )
    }
    articles = [found[article_id] for article_id in ids if article_id in found]
    if language:
        articles.sort(key=lambda article: article.language != language)  # stable: rank kept
    return articles[:limit]


def suggest_for_ticket(ticket, viewer=None, limit: int = 5) -> list[KbArticle]:
    """Articles that may answer `ticket` (its subject weighs twice), those `viewer` may read."""
    return suggest(
        ticket.description or "", viewer=viewer, subject=ticket.subject or "", limit=limit
    )


def answers(question: str, language: str | None = None, limit: int = 5) -> list[KbArticle]:
    """The portal help bot: public published articles for a customer's question, those in
    the reader's `language` first."""
    return suggest(question, public_only=True, language=language, limit=limit)


# ---------------------------------------------------------------- registry interface


def train(*, actor=None, now=None):
    """Build the index of the published articles and store a version with its size (BM25
    learns nothing: the figures say what it covers). No published article: RULES with a
    notice, as there is nothing to suggest yet."""
    from app.services.predictions import similar_tickets

    started = time.perf_counter()
    index = current_index()
    tickets = similar_tickets.current_index()
    articles = index.text.documents
    by_language = {
        language: int((index.languages == language).sum()) for language in ("en", "zh_Hant")
    }
    metrics = {
        "articles": articles,
        "public_articles": int(index.public.sum()),
        "articles_en": by_language["en"],
        "articles_zh": by_language["zh_Hant"],
        "terms": index.text.terms,
        "tickets_indexed": tickets.documents,
        "ticket_terms": tickets.terms,
    }
    notice = "" if articles else "No published article yet: there is nothing to suggest."
    return model_store.save_version(
        KIND,
        PredictionMode.MODEL if articles else PredictionMode.RULES,
        actor=actor,
        algorithm=ALGORITHM,
        rows=articles,
        metrics=metrics,
        params={"k1": K1, "b": B, "body_chars": BODY_CHARS},
        notice=notice,
        seconds=round(time.perf_counter() - started, 3),
    )


def score_all(*, now=None) -> int:
    """Suggestions are computed when a page asks: nothing is stored on records."""
    return 0


def evaluate_planted(*, seed: int = 7, size: float = 1.0) -> dict:
    """The labelled question set (app.services.predictions.kb_questions): write its
    articles, train, ask every question as the portal help bot does and measure recall@5
    per language, beside the old substring ranking (kb_search.suggest) as the baseline."""
    from app.services.predictions import kb_questions

    return kb_questions.evaluate(seed=seed, size=size)
