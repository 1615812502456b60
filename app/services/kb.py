"""The knowledge base: categories, articles (drafted, published, public or internal, in
English or Traditional Chinese), substring search that finds Chinese by any part of a word,
articles suggested for a ticket's text, and the view and "was this helpful" counters.

The counters change with every reader, so they are written with a plain UPDATE ... SET
n = n + 1 (atomic, and outside the ORM flush, so the audit trail is not flooded with them).
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions, queues
from app.extensions import db
from app.models.base import utcnow
from app.models.service import ArticleStatus, ArticleVisibility, KbArticle, KbCategory
from app.services import history
from app.services.record_checks import check_enum, check_text
from app.services.search import normalise
from app.services.validation import RecordInvalid

history.register_record_type("kb_articles", KbArticle, "kb_article")

LANGUAGES = {"en": _l("English"), "zh_Hant": _l("Chinese (Traditional)")}
STATUS_LABELS = {ArticleStatus.DRAFT: _l("Draft"), ArticleStatus.PUBLISHED: _l("Published")}
VISIBILITY_LABELS = {
    ArticleVisibility.PUBLIC: _l("Public (portal too)"),
    ArticleVisibility.INTERNAL: _l("Internal (colleagues only)"),
}
TITLE_LENGTH = 300
BODY_LENGTH = 50_000
CATEGORY_LENGTH = 120
# Enough of the body to find an article by what it is about; the rest only slows search.
SEARCH_BODY_LENGTH = 5_000
VOTE_MEMORY = timedelta(days=30)
_FIELDS = {"title", "body", "category_id", "language", "visibility", "is_faq"}


# ---------------------------------------------------------------- categories


def categories() -> list[KbCategory]:
    """Every category, in the order chosen on the categories page."""
    return list(
        db.session.scalars(sa.select(KbCategory).order_by(KbCategory.position, KbCategory.id))
    )


def may_manage_categories(actor) -> bool:
    """Categories shape everyone's knowledge base: those who may edit every article keep them."""
    return permissions.scope_for(actor, "kb_article", "edit") is permissions.Scope.ALL


def _require_categories(actor) -> None:
    if not may_manage_categories(actor):
        raise permissions.PermissionDenied()


def _category_name(name, category: KbCategory | None = None) -> str:
    errors: dict[str, str] = {}
    text = check_text(
        {"name": name}, "name", CATEGORY_LENGTH, errors, gettext("Name the category.")
    )
    if not errors:
        taken = db.session.scalar(
            sa.select(KbCategory.id).where(sa.func.lower(KbCategory.name) == text.lower())
        )
        if taken is not None and (category is None or taken != category.id):
            errors["name"] = gettext("There is already a category with this name.")
    if errors:
        raise RecordInvalid(errors)
    return text


def create_category(actor, name: str) -> KbCategory:
    """A new category, placed last."""
    _require_categories(actor)
    last = db.session.scalar(sa.select(sa.func.max(KbCategory.position))) or 0
    category = KbCategory(name=_category_name(name), position=last + 1)
    db.session.add(category)
    db.session.flush()
    return category


def rename_category(category: KbCategory, actor, name: str) -> KbCategory:
    _require_categories(actor)
    category.name = _category_name(name, category)
    db.session.flush()
    return category


def delete_category(category: KbCategory, actor) -> None:
    """Delete a category that holds no article (move or delete them first)."""
    _require_categories(actor)
    used = db.session.scalar(sa.select(sa.func.count()).where(KbArticle.category_id == category.id))
    if used:
        raise RecordInvalid(
            {
                "name": gettext(
                    "Move or delete the %(count)d articles of this category first.", count=used
                )
            }
        )
    db.session.delete(category)
    db.session.flush()


def reorder_categories(actor, ordered_ids: list[int]) -> None:
    """Put the categories in the order of `ordered_ids`; those not named follow, as they were."""
    _require_categories(actor)
    rows = categories()
    wanted = {category_id: n for n, category_id in enumerate(ordered_ids)}
    rows.sort(key=lambda c: (wanted.get(c.id, len(wanted)), c.position, c.id))
    for position, category in enumerate(rows, start=1):
        if category.position != position:
            category.position = position
    db.session.flush()


def move_category(category: KbCategory, actor, step: int) -> None:
    """Move a category one place up (step -1) or down (+1)."""
    ids = [c.id for c in categories()]
    at = ids.index(category.id)
    to = max(0, min(len(ids) - 1, at + step))
    ids.insert(to, ids.pop(at))
    reorder_categories(actor, ids)


# ---------------------------------------------------------------- articles


def may_read(actor, article: KbArticle) -> bool:
    """Published articles are for every colleague; drafts for those who may edit them."""
    if article.status is ArticleStatus.PUBLISHED:
        return permissions.can(actor, "read", "kb_article", article)
    return permissions.can(actor, "edit", "kb_article", article)


def _apply(article: KbArticle, actor, fields: dict, partial: bool) -> None:
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown article fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    if not partial or "title" in fields:
        values["title"] = check_text(
            fields, "title", TITLE_LENGTH, errors, gettext("Give the article a title.")
        )
    if not partial or "body" in fields:
        body = str(fields.get("body") or "").replace("\r\n", "\n").strip()
        if len(body) > BODY_LENGTH:
            errors["body"] = gettext("Use at most %(max)d characters.", max=BODY_LENGTH)
        values["body"] = body
    if not partial or "language" in fields:
        language = str(fields.get("language") or "en").strip()
        if language not in LANGUAGES:
            errors["language"] = gettext("Choose English or Chinese (Traditional).")
        values["language"] = language
    if not partial or "visibility" in fields:
        values["visibility"] = (
            check_enum(ArticleVisibility, fields, "visibility", errors) or ArticleVisibility.PUBLIC
        )
    if "category_id" in fields:
        raw = fields["category_id"]
        category = None
        if raw not in (None, "", 0):
            category = db.session.get(KbCategory, int(raw)) if str(raw).isdigit() else None
            if category is None:
                errors["category_id"] = gettext("Choose a category.")
        values["category_id"] = category.id if category else None
    if not partial or "is_faq" in fields:
        values["is_faq"] = bool(fields.get("is_faq"))
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        if getattr(article, name) != value:
            setattr(article, name, value)
    article.updated_by_id = actor.id
    search_text = normalise(article.title, article.body[:SEARCH_BODY_LENGTH])
    if article.search_text != search_text:
        article.search_text = search_text


def create_article(actor, **fields) -> KbArticle:
    """A new draft by `actor`; RecordInvalid lists every bad field."""
    permissions.require(actor, "create", "kb_article")
    article = KbArticle(
        owner_id=actor.id, created_by_id=actor.id, status=ArticleStatus.DRAFT, custom={}
    )
    _apply(article, actor, fields, partial=False)
    db.session.add(article)
    db.session.flush()
    return article


def update_article(article: KbArticle, actor, **fields) -> KbArticle:
    """Change the given fields (the others stay as they are)."""
    permissions.require(actor, "edit", "kb_article", article)
    _apply(article, actor, fields, partial=True)
    db.session.flush()
    return article


def publish(article: KbArticle, actor) -> KbArticle:
    """Make the article findable (by customers too when it is public)."""
    permissions.require(actor, "edit", "kb_article", article)
    if article.status is not ArticleStatus.PUBLISHED:
        article.status = ArticleStatus.PUBLISHED
        article.published_at = utcnow()
        article.updated_by_id = actor.id
        db.session.flush()
    return article


def unpublish(article: KbArticle, actor) -> KbArticle:
    """Take the article back to draft: only its editors see it then."""
    permissions.require(actor, "edit", "kb_article", article)
    if article.status is not ArticleStatus.DRAFT:
        article.status = ArticleStatus.DRAFT
        article.updated_by_id = actor.id
        db.session.flush()
    return article


def delete_article(article: KbArticle, actor) -> None:
    permissions.require(actor, "delete", "kb_article", article)
    db.session.delete(article)
    db.session.flush()


def paragraphs(body: str) -> list[list[str]]:
    """The body as paragraphs (split on blank lines) of lines, for templates to escape and
    show with <p> and <br>: an article is plain text, never HTML."""
    blocks = re.split(r"\n\s*\n", (body or "").replace("\r\n", "\n").strip())
    return [block.split("\n") for block in blocks if block.strip()]


# ---------------------------------------------------------------- counters


def _bump(article: KbArticle, **increments: int) -> None:
    """Add to counters in one atomic UPDATE (not audited, updated_at kept) and refresh
    the in-memory values without reading the whole row again."""
    table = KbArticle.__table__
    values = {name: table.c[name] + n for name, n in increments.items()}
    statement = (
        sa.update(table)
        .where(table.c.id == article.id)
        .values(**values, updated_at=table.c.updated_at)
        .returning(*(table.c[name] for name in increments))
    )
    row = db.session.execute(statement).one()
    for name, value in zip(increments, row, strict=True):
        sa.orm.attributes.set_committed_value(article, name, value)


def record_view(article: KbArticle) -> None:
    """Count one reading of the article."""
    _bump(article, view_count=1)


def vote(article: KbArticle, helpful: bool, voter_key: str) -> bool:
    """Count a "was this helpful" answer, once per voter (a user id or a session id) and
    article for VOTE_MEMORY; returns whether this one counted."""
    digest = hashlib.sha256(str(voter_key).encode()).hexdigest()[:32]
    key = f"rapport:kb-vote:{article.id}:{digest}"
    first = queues.connection().set(key, b"1" if helpful else b"0", nx=True, ex=VOTE_MEMORY)
    if not first:
        return False
    _bump(article, **{"helpful_yes" if helpful else "helpful_no": 1})
    return True


def has_voted(article: KbArticle, voter_key: str) -> bool:
    digest = hashlib.sha256(str(voter_key).encode()).hexdigest()[:32]
    return bool(queues.connection().exists(f"rapport:kb-vote:{article.id}:{digest}"))


from app.services.kb_search import (  # noqa: E402,F401
    articles_query,
    search,
    search_page,
    suggest,
    suggest_for_ticket,
    suggest_terms,
)
