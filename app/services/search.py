"""Substring search over a record's `search_text`: case-, width- and accent-insensitive,
Chinese found by any part of a name.

`search_text` holds the normalised name, company, email and phone. PostgreSQL answers
with a pg_trgm GIN index; SQLite with an FTS5 trigram table kept in step by triggers
(both created by the migrations). Two-character terms, common in Chinese, cannot use a
trigram index: PostgreSQL answers them from a GIN index over the bigrams of search_text
(`rapport_bigrams()`, created by a migration); SQLite, and one-character terms anywhere,
fall back to a LIKE scan of search_text, which is slower but still correct.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

MAX_TERMS = 5


def normalise(*parts: str | None) -> str:
    """One lower-case, accent-free, single-spaced string; full-width forms made ASCII."""
    text = " ".join(part for part in parts if part)
    text = unicodedata.normalize("NFKC", text)
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(text.casefold().split())


def terms(query: str | None) -> list[str]:
    """The words of a search box, normalised, at most MAX_TERMS of them."""
    return normalise(query).split()[:MAX_TERMS]


def contains_pattern(term: str) -> str:
    """A LIKE pattern matching `term` anywhere, its wildcards escaped (use escape='\\\\')."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def matches(model, query: str | None, dialect: str):
    """A WHERE clause: rows of `model` whose search_text contains every term, or None."""
    words = terms(query)
    if not words:
        return None
    clauses = []
    table = model.__tablename__
    for word in words:
        if dialect == "postgresql" and len(word) == 2:
            bigrams = sa.func.rapport_bigrams(model.search_text)
            wanted = postgresql.array([sa.cast(word, sa.Text)])
            clauses.append(bigrams.op("@>")(wanted))
        elif dialect == "sqlite" and len(word) >= 3:
            fts = sa.table(f"{table}_fts", sa.column("rowid"), sa.column(f"{table}_fts"))
            clauses.append(
                model.id.in_(
                    sa.select(fts.c.rowid).where(
                        sa.literal_column(f"{table}_fts").op("MATCH")(_fts_phrase(word))
                    )
                )
            )
        else:
            clauses.append(model.search_text.like(contains_pattern(word), escape="\\"))
    return sa.and_(*clauses)
