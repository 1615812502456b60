"""Planted purchase histories for the evaluation harness: products come in families (a
printer and its toner, a service and its add-ons); each customer is drawn to one family,
sometimes two, and buys mostly from them, now and then a product that is popular with
everybody. Item-item filtering should find a customer's family; the most bought products
only know what everybody buys."""

from __future__ import annotations

import random
from datetime import timedelta

from app.models.base import utcnow
from app.services.predictions.planted_history import PlantedHistory, day_start

SPAN = 1095
FAMILIES = 10
PER_FAMILY = 6
CUSTOMERS = 500  # at size 1.0
FROM_FAMILY = 0.75  # the share of lines from the customer's own families


def plant(*, seed: int = 7, size: float = 1.0, now=None) -> PlantedHistory:
    """Write the products, customers and orders of a planted purchase history."""
    rng = random.Random(seed)
    now = day_start(now or utcnow())
    history = PlantedHistory(now - timedelta(days=SPAN))
    families = [
        [history.product(f"Family {f + 1} item {i + 1}") for i in range(PER_FAMILY)]
        for f in range(FAMILIES)
    ]
    products = [product for family in families for product in family]
    # Everybody's favourites: a long-tailed popularity over all products.
    ranks = list(range(len(products)))
    rng.shuffle(ranks)
    weight = {
        product: 1.0 / (rank + 1) ** 0.8 for product, rank in zip(products, ranks, strict=True)
    }
    for number in range(1, max(40, int(CUSTOMERS * size)) + 1):
        start = rng.uniform(0, 700)
        customer = history.customer(f"Planted buyer {number}", start)
        own = rng.sample(range(FAMILIES), 2 if rng.random() < 0.4 else 1)
        liked = [product for f in own for product in families[f]]
        day = start + rng.uniform(0, 60)
        while day < SPAN:
            lines = set()
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                pool = liked if rng.random() < FROM_FAMILY else products
                lines.add(rng.choices(pool, weights=[weight[p] + 0.3 for p in pool])[0])
            history.order(customer, day, sorted(lines))
            day += rng.uniform(30, 110)
    history.write()
    return history


def evaluate(*, seed: int = 7, size: float = 1.0) -> dict:
    """Plant, train on the past, score the future; the figures the harness prints."""
    from app.services.predictions import recommendations

    now = day_start(utcnow())
    plant(seed=seed, size=size, now=now)
    version = recommendations.train(now=now)
    metrics = version.metrics or {}
    return {
        "mode": version.mode.value,
        "purchases": version.rows,
        "customers": version.positives,
        "train_rows": version.train_rows,
        "test_rows": version.test_rows,
        "customers_evaluated": metrics.get("customers_evaluated", 0),
        "precision_at_5": metrics.get("precision_at_5"),
        "popularity_precision_at_5": metrics.get("popularity_precision_at_5"),
        "ratio": metrics.get("ratio"),
        "hit_rate_at_5": metrics.get("hit_rate_at_5"),
    }
