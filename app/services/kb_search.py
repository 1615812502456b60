"""Finding knowledge-base articles: the search box (every word found as a substring, so
Chinese is found by any two characters of it) and the articles suggested for a ticket,
chosen by the most significant words of its subject and description.

Both are one query each. Results come by relevance: words found in the title first, then
the articles readers found helpful, then the most read.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
from collections import Counter

import sqlalchemy as sa

from app import permissions
from app.extensions import db
from app.models.service import ArticleStatus, ArticleVisibility, KbArticle
from app.services import search as substring
from app.services.record_lists import MAX_QUERY_LENGTH, enum_member
from app.services.search import contains_pattern

SUGGEST_TERMS = 12

# English words too common to say what a ticket is about.
_ENGLISH_STOP = """a about above after again against all am an and any are aren't as at be
    because been before being below between both but by can can't cannot could couldn't did
    didn't do does doesn't doing don't down during each few for from further get gets got had
    hadn't has hasn't have haven't having he her here hers herself him himself his how however i i'm
    if in into is isn't it it's its itself just let's me more most my myself no nor not now
    of off on once only or other ought our ours ourselves out over own please same she should
    so some such than thank thanks that the their theirs them themselves then there these
    they this those through to too under until up very want was wasn't we were what when
    where which while who whom why will with won't would you your yours yourself hello hi
    dear regards help issue problem still also anyone someone something able unable since
    need needs using use used work works working"""
_STOP_WORDS = frozenset(_ENGLISH_STOP.split())
_CHINESE_STOP = (
    "我們 你們 他們 可以 沒有 請問 謝謝 問題 因為 所以 如何 怎麼 什麼 一個 這個 那個 已經 "
    "不能 無法 但是 還是 就是 我的 你的 您好 你好 麻煩 一下 現在 今天 時候 的時 了一 不了"
)
_CJK_STOP = frozenset(_CHINESE_STOP.split())
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_TOKENS = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+(?:['’][^\W_{_CJK}]+)?")
_CJK_START = re.compile(rf"[{_CJK}]")


def _visible(viewer, public_only: bool, include_drafts: bool):
    """Published articles (public ones only for the portal); drafts too for their editors."""
    published = KbArticle.status == ArticleStatus.PUBLISHED
    if public_only:
        return sa.and_(published, KbArticle.visibility == ArticleVisibility.PUBLIC)
    if viewer is None:
        return published
    readable = sa.and_(published, permissions.visible(viewer, "kb_article", KbArticle.owner_id))
    if not include_drafts:
        return readable
    editable = permissions.visible(viewer, "kb_article", KbArticle.owner_id, action="edit")
    return sa.or_(readable, sa.and_(KbArticle.status == ArticleStatus.DRAFT, editable))


def _in_title(term: str):
    return sa.func.lower(KbArticle.title).like(contains_pattern(term), escape="\\")


_HELPFUL = KbArticle.helpful_yes - KbArticle.helpful_no


def _encode(values: list[int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str | None) -> list[int] | None:
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not (isinstance(values, list) and len(values) == 4):
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return None
    return values


def _after(keys: list, values: list[int]):
    """Rows after `values` in the descending order of `keys` (the last one unique: the id)."""
    clause = keys[-1] < values[-1]
    for key, value in zip(reversed(keys[:-1]), reversed(values[:-1]), strict=True):
        clause = sa.or_(key < value, sa.and_(key == value, clause))
    return clause


def _where(query, viewer, public_only, language, category_id, status, visibility, faq, drafts):
    where = [_visible(viewer, public_only, drafts)]
    match = substring.matches(KbArticle, query, db.session.get_bind().dialect.name)
    if match is not None:
        where.append(match)
    if language:
        where.append(KbArticle.language == language)
    if category_id:
        where.append(KbArticle.category_id == category_id)
    if status is not None:
        where.append(KbArticle.status == status)
    if visibility is not None:
        where.append(KbArticle.visibility == visibility)
    if faq is not None:
        where.append(KbArticle.is_faq.is_(faq))
    return where


def articles_query(
    viewer, query=None, public_only=False, language=None, category_id=None, *,
    status=None, include_drafts=False,
) -> sa.Select:  # fmt: skip
    """The articles search_page would find, unordered (the API pages them by id)."""
    where = _where(
        query, viewer, public_only, language, category_id, status, None, None, include_drafts
    )
    return sa.select(KbArticle).where(*where)


def search_page(
    query: str | None,
    viewer=None,
    public_only: bool = False,
    language: str | None = None,
    category_id: int | None = None,
    limit: int = 20,
    cursor: str | None = None,
    *,
    status: ArticleStatus | None = None,
    visibility: ArticleVisibility | None = None,
    faq: bool | None = None,
    include_drafts: bool = False,
) -> tuple[list[KbArticle], str | None]:
    """One page of the articles matching every word of `query` that `viewer` may read
    (`public_only`: what customers may read), best first; (rows, next page's cursor).
    `include_drafts` adds the drafts `viewer` may edit (the staff list)."""
    limit = max(1, min(limit, 100))
    title_hits = sa.literal(0)
    for word in substring.terms(query):
        title_hits = title_hits + sa.case((_in_title(word), 1), else_=0)
    where = _where(
        query, viewer, public_only, language, category_id, status, visibility, faq, include_drafts
    )
    keys = [title_hits, _HELPFUL, KbArticle.view_count, KbArticle.id]
    position = _decode(cursor)
    if position is not None:
        where.append(_after(keys, position))
    statement = (
        sa.select(KbArticle, title_hits.label("title_hits"))
        .where(*where)
        .order_by(*(key.desc() for key in keys))
        .limit(limit + 1)
    )
    found = db.session.execute(statement).all()
    rows = [row[0] for row in found[:limit]]
    if len(found) <= limit:
        return rows, None
    last, hits = found[limit - 1]
    return rows, _encode([hits, last.helpful_yes - last.helpful_no, last.view_count, last.id])


def search(query: str | None, viewer=None, public_only: bool = False, language=None, **kwargs):
    """The first page of search_page's articles, as a list."""
    return search_page(query, viewer, public_only, language, **kwargs)[0]


@dataclasses.dataclass
class ArticleFilters:
    """The staff list's search box and filters, read from a query string."""

    q: str = ""
    category_id: int | None = None
    language: str = ""
    status: ArticleStatus | None = None
    visibility: ArticleVisibility | None = None
    faq: bool | None = None

    @classmethod
    def from_args(cls, args) -> ArticleFilters:
        category = str(args.get("category_id") or "")
        language = args.get("language") or ""
        return cls(
            q=" ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH],
            category_id=int(category) if category.isdigit() else None,
            language=language if language in ("en", "zh_Hant") else "",
            status=enum_member(ArticleStatus, args.get("status")),
            visibility=enum_member(ArticleVisibility, args.get("visibility")),
            faq={"yes": True, "no": False}.get(args.get("faq") or ""),
        )

    def as_args(self) -> dict:
        args = {
            "q": self.q,
            "category_id": self.category_id,
            "language": self.language,
            "status": self.status.value if self.status else None,
            "visibility": self.visibility.value if self.visibility else None,
            "faq": {True: "yes", False: "no"}.get(self.faq),
        }
        return {key: value for key, value in args.items() if value not in ("", None)}

    def page(self, viewer, cursor: str | None = None, limit: int = 20):
        """The articles `viewer` may see (their editable drafts too) on this page."""
        return search_page(
            self.q, viewer, language=self.language or None, category_id=self.category_id,
            limit=limit, cursor=cursor, status=self.status, visibility=self.visibility,
            faq=self.faq, include_drafts=True,
        )  # fmt: skip


def _candidates(text: str):
    """The words of normalised `text` worth searching for: English words of three letters
    or more that are not stop words, and the two- and three-character pieces of Chinese."""
    for token in _TOKENS.findall(text):
        if _CJK_START.match(token):
            if len(token) <= 3:
                if token not in _CJK_STOP:
                    yield token
                continue
            for size in (2, 3):
                for start in range(len(token) - size + 1):
                    piece = token[start : start + size]
                    if piece not in _CJK_STOP:
                        yield piece
        elif len(token) >= 3 and token not in _STOP_WORDS and not token.isdigit():
            yield token


def suggest_terms(text: str, subject: str = "", limit: int = SUGGEST_TERMS) -> list[tuple]:
    """The `limit` most significant search terms of a ticket, with their weights: those
    of the subject count twice, repeated words more, then longer words, then the first."""
    counts: Counter = Counter()
    first_seen: dict[str, int] = {}
    for weight, part in ((2, subject), (1, text)):
        for term in _candidates(substring.normalise(part)):
            counts[term] += weight
            first_seen.setdefault(term, len(first_seen))

    def rank(term: str):
        specific = 2 if _CJK_START.match(term) else min(len(term), 8)
        return (-min(counts[term], 4), -specific, first_seen[term])

    chosen = sorted(counts, key=rank)[:limit]
    return [(term, min(counts[term], 4)) for term in chosen]


def suggest(text: str, limit: int = 5, public_only: bool = False, subject: str = ""):
    """Published articles for a ticket's text (and `subject`, which weighs more): those
    matching the most of its significant terms first, in one query."""
    terms = suggest_terms(text, subject)
    if not terms:
        return []
    dialect = db.session.get_bind().dialect.name
    score = sa.literal(0)
    for term, weight in terms:
        in_text = KbArticle.search_text.like(contains_pattern(term), escape="\\")
        score = score + sa.case((in_text, weight), else_=0)
        score = score + sa.case((_in_title(term), weight), else_=0)
    matching = sa.or_(*(substring.matches(KbArticle, term, dialect) for term, _ in terms))
    statement = (
        sa.select(KbArticle)
        .where(_visible(None, public_only, False), matching)
        .order_by(score.desc(), _HELPFUL.desc(), KbArticle.view_count.desc(), KbArticle.id.desc())
        .limit(max(1, min(limit, 20)))
    )
    return list(db.session.scalars(statement))


def suggest_for_ticket(ticket, limit: int = 5, public_only: bool = False):
    """Articles that may answer `ticket`, from its subject and description."""
    return suggest(ticket.description or "", limit, public_only, subject=ticket.subject or "")
