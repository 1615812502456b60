"""Offline text retrieval for English and Chinese: a tokeniser (lower-cased words with a
light English stemmer; character bigrams and single characters for Chinese, which has no
spaces) and a BM25 index (bm25s) built in process. Nothing is downloaded: the index is a
sparse matrix of the documents' own words.

Pure computation: imports nothing of Flask or the database.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import bm25s

K1 = 1.2
B = 0.75
ALGORITHM = "BM25 (bm25s, Lucene), stemmed words + Chinese character bigrams"

_ENGLISH_STOP = """a about after again all am an and any are as at be because been before
    being between both but by can cannot could did do does doing don done down during each
    few for from further get gets got had has have having he her here hers him his how i if
    in into is it its just me more most my myself no nor not now of off on once only or other
    our ours out over own please same she should so some such than thank thanks that the
    their them then there these they this those through to too under until up very want was
    we were what when where which while who whom why will with would you your yours hello hi
    dear regards anyone someone something also still even way ok okay t s m ll ve re d"""
STOP_WORDS = frozenset(_ENGLISH_STOP.split())
# Pieces of Chinese too common to say what a text is about (polite forms, pronouns, "how").
_CHINESE_STOP = (
    "我們 你們 他們 可以 請問 謝謝 您好 你好 麻煩 一下 怎麼 什麼 如何 是否 我的 你的 "
    "您的 一個 這個 那個 的話 了嗎 是不 不是 要怎 我想 我要 想要 需要 我在 在我 我是 請幫 幫我 好嗎"
)
CHINESE_STOP = frozenset(_CHINESE_STOP.split())
# Single characters, as common: the particles and pronouns of nearly every sentence.
_CHINESE_STOP_CHARS = frozenset("的了是我你您他她們在有和與或嗎呢吧要會就都也很這那個")
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_WORDS = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_CJK_START = re.compile(rf"[{_CJK}]")
_VOWELS = frozenset("aeiouy")


def stem(word: str) -> str:
    """A light English stemmer: plural, -ing and -ed endings, a final e and a doubled
    last consonant go, so "shipping", "shipped" and "ships" all become "ship". It only has
    to treat a question and an article alike, not to be right about English."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ing") and len(word) > 5 and _VOWELS & set(word[:-3]):
        word = word[:-3]
    elif word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ed") and len(word) > 4 and _VOWELS & set(word[:-2]):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in _VOWELS | {"s"}:
        word = word[:-1]
    return word


def tokens(text: str | None) -> list[str]:
    """The terms of `text`: stemmed English words (stop words left out) and, for each run
    of Chinese characters, its overlapping two-character pieces and its single characters
    (bar the commonest): the pieces match words, the characters their paraphrases (禮券 and
    禮物卡 share 禮)."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    found: list[str] = []
    for word in _WORDS.findall(text):
        if _CJK_START.match(word):
            if len(word) == 1:
                found.append(word)
                continue
            found.extend(
                piece
                for piece in (word[i : i + 2] for i in range(len(word) - 1))
                if piece not in CHINESE_STOP
            )
            found.extend(ch for ch in word if ch not in _CHINESE_STOP_CHARS)
        elif word not in STOP_WORDS and not (word.isdigit() and len(word) < 2):
            found.append(stem(word))
    return found


def is_chinese(text: str | None) -> bool:
    """Whether most of `text`'s letters are Chinese characters."""
    letters = [ch for ch in text or "" if ch.isalpha()]
    chinese = sum(1 for ch in letters if _CJK_START.match(ch))
    return bool(letters) and chinese * 2 >= len(letters)


@dataclasses.dataclass
class TextIndex:
    """BM25 over documents given as term lists, each with the id of its record."""

    ids: np.ndarray
    retriever: bm25s.BM25 | None
    doc_freq: dict[str, int]
    average_length: float

    @classmethod
    def build(cls, ids: Sequence[int], documents: Sequence[list[str]]) -> TextIndex:
        """Index `documents` (term lists); `ids[i]` names the record of `documents[i]`."""
        doc_freq: Counter = Counter()
        for terms in documents:
            doc_freq.update(set(terms))
        retriever = None
        if documents and doc_freq:
            import bm25s  # with scipy.sparse: 0.6 s, paid by the first index, not at start-up

            logging.getLogger("bm25s").setLevel(logging.WARNING)  # a line per index built
            retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
            retriever.index([list(terms) for terms in documents], show_progress=False)
        lengths = [len(terms) for terms in documents]
        return cls(
            ids=np.asarray(ids, dtype=np.int64),
            retriever=retriever,
            doc_freq=dict(doc_freq),
            average_length=(sum(lengths) / len(lengths)) if lengths else 0.0,
        )

    @property
    def documents(self) -> int:
        return len(self.ids)

    @property
    def terms(self) -> int:
        """The size of the vocabulary."""
        return len(self.doc_freq)

    def scores(self, query: list[str]) -> np.ndarray:
        """Each document's BM25 score for the query terms (a repeated term counts again)."""
        if self.retriever is None:
            return np.zeros(len(self.ids), dtype=np.float32)
        known = self.retriever.get_tokens_ids([term for term in query if term in self.doc_freq])
        if not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        return self.retriever.get_scores_from_ids(known)

    def ranked(self, query: list[str], keep: np.ndarray | None = None, limit: int = 20):
        """[(id, score)] of the best `limit` documents scoring above 0, best first (ties by
        the newer id); `keep` is a boolean mask of the documents that may be returned."""
        scores = self.scores(query)
        if keep is not None:
            scores = np.where(keep, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        order = positive[np.lexsort((-self.ids[positive], -scores[positive]))][:limit]
        return [(int(self.ids[i]), float(scores[i])) for i in order]

    def idf(self, term: str) -> float:
        """Lucene's inverse document frequency (a term found nowhere counts as found once)."""
        df = max(self.doc_freq.get(term, 0), 1)
        n = max(len(self.ids), df)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def score_document(self, query: set[str], document: list[str]) -> float:
        """The BM25 score of a document that is not in the index (a ticket newer than it)
        for the unique `query` terms, with the index's statistics."""
        counts = Counter(document)
        length = len(document)
        norm = K1 * (1 - B + B * length / (self.average_length or length or 1))
        return sum(
            self.idf(term) * tf / (tf + norm) for term, tf in counts.items() if term in query
        )

    def self_score(self, document: list[str]) -> float:
        """The score `document` would get as a query against itself: the most any document
        can reach for the query of its unique terms, so score / self_score is a 0-1
        similarity (1: the same words, as often)."""
        return self.score_document(set(document), document)
