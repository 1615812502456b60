"""Product recommendations from purchase history: item-item collaborative filtering (the
cosine similarity of two products' buyer sets in the customer x product purchase matrix),
with each suggestion's reason ("bought by customers who bought X"), and the most bought
products for a customer with no purchases yet (or too little history overall).

train() stores each product's nearest neighbours and the popularity list as JSON, and
measures precision@5 on a time split: the model fitted on the purchases before the cutoff
must guess which new products each customer bought after it, against the most bought
products as the baseline. The stored neighbours are then fitted on the whole history.
"""

from __future__ import annotations

import dataclasses
import time as clock
from collections import defaultdict
from datetime import UTC, date, datetime, time

import numpy as np
import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.orders import Order, OrderLine, OrderStatus
from app.models.predictions import PredictionKind, PredictionMode, PredictionModel
from app.services.predictions import classifier, model_store

KIND = PredictionKind.RECOMMEND
NEIGHBOURS = 20  # kept per product
POPULAR = 50
MIN_CO_BUYERS = 2  # two products are neighbours once at least two customers bought both
MIN_CUSTOMERS = 20  # customers with purchases before item-item is worth training
K = 5


@dataclasses.dataclass(frozen=True)
class Purchase:
    """The first time a customer bought a product (a UTC day ordinal)."""

    customer_id: int
    product_id: int
    day: int


def purchases(before: datetime, customer_id: int | None = None) -> list[Purchase]:
    """Each (customer, product) pair's first purchase on an order dated before `before`
    (cancelled orders left out)."""
    query = (
        sa.select(Order.customer_id, OrderLine.product_id, sa.func.min(Order.order_date))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Order.status != OrderStatus.CANCELLED,
            Order.order_date < before.date(),
            OrderLine.product_id.is_not(None),
        )
        .group_by(Order.customer_id, OrderLine.product_id)
    )
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    return [Purchase(c, p, day.toordinal()) for c, p, day in db.session.execute(query)]


def fit(bought: list[Purchase]) -> dict:
    """The JSON parameters: each product's nearest neighbours [[product, cosine], ...]
    (most similar first) and the most bought products [[product, buyers], ...]."""
    from scipy import sparse

    customers = sorted({p.customer_id for p in bought})
    products = sorted({p.product_id for p in bought})
    if not products:
        return {"neighbours": {}, "popular": []}
    row_of = {c: i for i, c in enumerate(customers)}
    column_of = {p: i for i, p in enumerate(products)}
    matrix = sparse.csr_matrix(
        (np.ones(len(bought)), ([row_of[p.customer_id] for p in bought],
                                [column_of[p.product_id] for p in bought])),
        shape=(len(customers), len(products)),
    )  # fmt: skip
    matrix.data[:] = 1.0
    buyers = np.asarray(matrix.sum(axis=0)).ravel()
    together = (matrix.T @ matrix).tocsr()
    neighbours = {}
    for i in range(len(products)):
        start, end = together.indptr[i], together.indptr[i + 1]
        others, counts = together.indices[start:end], together.data[start:end]
        keep = (others != i) & (counts >= MIN_CO_BUYERS)
        others, counts = others[keep], counts[keep]
        if not len(others):
            continue
        cosine = counts / np.sqrt(buyers[i] * buyers[others])
        order = np.lexsort((others, -cosine))[:NEIGHBOURS]
        neighbours[str(products[i])] = [
            [int(products[others[j]]), round(float(cosine[j]), 5)] for j in order
        ]
    ranked = sorted(range(len(products)), key=lambda i: (-buyers[i], products[i]))[:POPULAR]
    return {"neighbours": neighbours, "popular": [[products[i], int(buyers[i])] for i in ranked]}


@dataclasses.dataclass(frozen=True)
class Suggestion:
    """A product to offer: why ("similar": bought with `because`; "popular"), and its
    score (the summed similarity to what the customer bought; 0 for popular)."""

    product_id: int
    reason: str
    score: float = 0.0
    because: tuple[int, ...] = ()


class Recommender:
    """Suggestions from stored parameters (see fit)."""

    def __init__(self, params: dict | None):
        params = params or {}
        self.neighbours = {
            int(product): [(int(other), float(sim)) for other, sim in near]
            for product, near in (params.get("neighbours") or {}).items()
        }
        self.popular = [int(product) for product, _ in params.get("popular") or []]

    def suggest(self, owned, limit: int = K, exclude=()) -> list[Suggestion]:
        """The best `limit` products for a customer who bought `owned`: item-item first,
        then the most bought products; never one in `owned` or `exclude`."""
        skip = set(owned) | set(exclude)
        scores: dict[int, float] = defaultdict(float)
        evidence: dict[int, list] = defaultdict(list)
        for product in owned:
            for other, similarity in self.neighbours.get(product, ()):
                if other not in skip:
                    scores[other] += similarity
                    evidence[other].append((similarity, product))
        ranked = sorted(scores, key=lambda p: (-scores[p], p))[:limit]
        chosen = [
            Suggestion(p, "similar", round(scores[p], 4),
                       tuple(q for _, q in sorted(evidence[p], key=lambda e: (-e[0], e[1]))[:2]))
            for p in ranked
        ]  # fmt: skip
        for product in self.popular:
            if len(chosen) >= limit:
                break
            if product not in skip and product not in scores:
                chosen.append(Suggestion(product, "popular"))
        return chosen


def evaluate_split(bought: list[Purchase], cutoff: int) -> tuple[dict, dict]:
    """Fit on the purchases before day `cutoff` only, then for every customer who bought
    before it and bought something new after it, compare the top 5 suggestions with
    the top 5 most bought products: (the fitted parameters, the figures)."""
    before = [p for p in bought if p.day < cutoff]
    params = fit(before)
    model = Recommender(params)
    owned, new = defaultdict(set), defaultdict(set)
    for p in before:
        owned[p.customer_id].add(p.product_id)
    for p in bought:
        if p.day >= cutoff and p.product_id not in owned[p.customer_id]:
            new[p.customer_id].add(p.product_id)
    hits = baseline = hit_customers = 0
    judged = [c for c in new if owned.get(c)]
    popularity = Recommender({"popular": params["popular"]})
    for customer in judged:
        found = {s.product_id for s in model.suggest(owned[customer], K)} & new[customer]
        hits += len(found)
        hit_customers += bool(found)
        baseline += len(
            {s.product_id for s in popularity.suggest(owned[customer], K)} & new[customer]
        )
    precision = hits / (K * len(judged)) if judged else None
    popular_precision = baseline / (K * len(judged)) if judged else None
    figures = {
        "customers_evaluated": len(judged),
        "precision_at_5": precision,
        "popularity_precision_at_5": popular_precision,
        "ratio": precision / popular_precision if judged and popular_precision else None,
        "hit_rate_at_5": hit_customers / len(judged) if judged else None,
    }
    return params, figures


def _moment(day: int) -> datetime:
    return datetime.combine(date.fromordinal(day), time(), tzinfo=UTC)


def train(*, actor=None, now: datetime | None = None) -> PredictionModel:
    """Store a new version: neighbours and popularity fitted on every purchase before
    `now`, with precision@5 measured on a time split; with too few customers who bought
    anything, a RULES version (the most bought products) with a notice."""
    started = clock.perf_counter()
    now = now or utcnow()
    bought = purchases(now)
    customers = len({p.customer_id for p in bought})
    common = {"rows": len(bought), "positives": customers}
    if customers < MIN_CUSTOMERS or len({p.product_id for p in bought}) < 2:
        return model_store.save_version(
            KIND, PredictionMode.RULES, actor=actor, algorithm="most bought products",
            params={"neighbours": {}, "popular": fit(bought)["popular"]},
            notice=f"{customers} customers have bought products so far; item-item "
            f"recommendations need {MIN_CUSTOMERS}. The most bought products are suggested.",
            seconds=clock.perf_counter() - started, **common,
        )  # fmt: skip
    cutoff = classifier.time_split([p.day for p in bought])[2]
    _, metrics = evaluate_split(bought, cutoff)
    if metrics.get("customers_evaluated") and (metrics.get("precision_at_5") or 0) <= (
        metrics.get("popularity_precision_at_5") or 0
    ):
        # Neighbours that find the newest purchases no better than popularity are not used.
        return model_store.save_version(
            KIND, PredictionMode.RULES, actor=actor, algorithm="most bought products",
            train_rows=sum(1 for p in bought if p.day < cutoff),
            test_rows=sum(1 for p in bought if p.day >= cutoff), cutoff=_moment(cutoff),
            metrics=metrics, params={"neighbours": {}, "popular": fit(bought)["popular"]},
            notice="Item-item recommendations found the most recent purchases no better than "
            "the most bought products, which are suggested instead.",
            seconds=clock.perf_counter() - started, **common,
        )  # fmt: skip
    return model_store.save_version(
        KIND, PredictionMode.MODEL, actor=actor, algorithm="item-item cosine",
        train_rows=sum(1 for p in bought if p.day < cutoff),
        test_rows=sum(1 for p in bought if p.day >= cutoff), cutoff=_moment(cutoff),
        metrics=metrics, params=fit(bought), seconds=clock.perf_counter() - started, **common,
    )  # fmt: skip


def score_all(*, now: datetime | None = None) -> int:
    """Recommendations are computed when a page asks: nothing is stored on records."""
    return 0


def evaluate_planted(*, seed: int = 7, size: float = 1.0) -> dict:
    """Plant purchase histories with known product affinities, train on the past and
    score the future: precision@5 of item-item against the most bought products."""
    from app.services.predictions import recommendation_planted

    return recommendation_planted.evaluate(seed=seed, size=size)
