"""Product recommendations: planted figures against the popularity baseline, the time
split, the popularity fallback with its notice, and reasons that name what the customer
really bought."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.predictions import PredictionMode
from app.models.sales import Product
from app.services.predictions import recommendations, registry, suggested_products
from app.services.predictions.planted_history import PlantedHistory, day_start
from app.services.predictions.recommendations import Purchase, Recommender


def _bought(*pairs, day=1):
    return [Purchase(customer, product, day) for customer, product in pairs]


def test_the_registry_finds_the_module():
    assert registry.module(recommendations.KIND) is recommendations


def test_planted_purchases_beat_popularity_twice_over():
    figures = recommendations.evaluate_planted(seed=7, size=0.3)

    assert figures["mode"] == "MODEL"
    assert figures["customers_evaluated"] >= 80
    assert figures["precision_at_5"] >= 0.12
    assert figures["ratio"] >= 2.0
    assert figures["precision_at_5"] >= 2 * figures["popularity_precision_at_5"]


def test_cosine_neighbours_and_popularity():
    params = recommendations.fit(
        _bought((1, 10), (1, 20), (2, 10), (2, 20), (3, 10), (3, 30), (4, 20))
    )

    json.dumps(params)  # plain JSON, never a pickle
    assert params["neighbours"]["10"] == [[20, round(2 / 3, 5)]]
    assert "30" not in params["neighbours"]  # bought together once: not enough
    assert params["popular"] == [[10, 3], [20, 3], [30, 1]]


def test_suggestions_skip_what_is_owned_or_excluded_and_fill_with_popular():
    model = Recommender(
        {"neighbours": {"1": [[2, 0.9], [3, 0.5]], "4": [[3, 0.5]]},
         "popular": [[5, 9], [2, 8], [6, 7]]}
    )  # fmt: skip

    chosen = model.suggest({1, 4}, limit=3)
    assert [(s.product_id, s.reason) for s in chosen] == [(3, "similar"), (2, "similar"),
                                                           (5, "popular")]  # fmt: skip
    assert chosen[0].because == (1, 4) and math.isclose(chosen[0].score, 1.0)
    assert [s.product_id for s in model.suggest({1}, limit=2, exclude={2})] == [3, 5]
    assert [s.product_id for s in model.suggest(set(), limit=2)] == [5, 2]


def test_a_purchase_after_the_cutoff_never_influences_training():
    before = _bought((1, 10), (1, 20), (2, 10), (2, 20), (3, 10), day=100)
    after = _bought((3, 30), (4, 10), (4, 30), (5, 10), (5, 30), day=200)

    params, figures = recommendations.evaluate_split(before + after, cutoff=150)
    assert params == recommendations.fit(before)
    assert "30" not in json.dumps(params["neighbours"])  # 10 and 30 paired only after it
    # Customer 3 (the only one who bought before and something new after) is judged.
    assert figures["customers_evaluated"] == 1

    with_more, _ = recommendations.evaluate_split(
        before + after + _bought((6, 20), (6, 30), (7, 20), (7, 30), day=160), cutoff=150
    )
    assert with_more == params


def _history(customers: int, now):
    history = PlantedHistory(now - timedelta(days=300))
    printer, toner, paper, cable = (history.product(name) for name in
                                    ("Printer", "Toner", "Paper", "Cable"))  # fmt: skip
    for number in range(customers):
        customer = history.customer(f"Buyer {number}")
        history.order(customer, 10 + number, [printer, toner] if number % 2 else [paper])
    lonely = history.customer("Printer only")
    history.order(lonely, 50, [printer])
    newcomer = history.customer("New")
    history.write()
    return lonely, newcomer, (printer, toner, paper, cable)


def test_too_little_history_suggests_the_most_bought_products_with_a_notice():
    now = day_start(utcnow())
    lonely, newcomer, (printer, toner, paper, _) = _history(6, now)

    version = recommendations.train(now=now)

    assert version.mode is PredictionMode.RULES
    assert "need 20" in version.notice
    suggested = suggested_products.for_customer(lonely)
    assert suggested.basis == "rules"
    assert [item.reason for item in suggested.items] == ["popular", "popular"]
    assert {item.product.id for item in suggested.items} == {toner, paper}


def test_reasons_name_what_the_customer_bought_and_retired_products_are_left_out():
    now = day_start(utcnow())
    lonely, newcomer, (printer, toner, paper, cable) = _history(30, now)
    version = recommendations.train(now=now)
    assert version.mode is PredictionMode.MODEL

    suggested = suggested_products.for_customer(lonely)
    assert suggested.basis == "model" and not suggested.new_customer
    first = suggested.items[0]
    assert (first.product.id, first.reason, first.because) == (toner, "similar", ("Printer",))
    assert printer not in {item.product.id for item in suggested.items}  # already theirs

    db.session.execute(sa.update(Product).where(Product.id == toner).values(is_active=False))
    assert toner not in {i.product.id for i in suggested_products.for_customer(lonely).items}
    assert paper not in {
        i.product.id for i in suggested_products.for_customer(lonely, exclude={paper}).items
    }

    fresh = suggested_products.for_customer(newcomer)
    assert fresh.new_customer
    assert all(item.reason == "popular" and not item.because for item in fresh.items)


def test_before_any_training_the_most_bought_products_are_counted_live():
    now = day_start(utcnow())
    lonely, newcomer, (printer, toner, paper, _) = _history(5, now)

    suggested = suggested_products.for_customer(newcomer)

    assert suggested.basis == "untrained" and suggested.version is None
    assert [item.product.id for item in suggested.items] == [printer, paper, toner]
    assert recommendations.score_all() == 0


def test_neighbours_no_better_than_popularity_are_not_put_to_use():
    """Every customer buys the best seller, then one of two others at random: nothing
    bought together says more than popularity does, so the most bought products stay."""
    import random

    now = day_start(utcnow())
    rng = random.Random(3)
    history = PlantedHistory(now - timedelta(days=300))
    products = [history.product(name) for name in ("Coffee", "Tea", "Cocoa", "Milk")]
    for number in range(60):
        customer = history.customer(f"Buyer {number}")
        history.order(customer, 10 + number, [products[0]])
        history.order(customer, 200 + number // 2, [rng.choice(products[1:])])
    history.write()

    version = recommendations.train(now=now)

    assert version.metrics["customers_evaluated"] > 0
    assert version.metrics["precision_at_5"] <= version.metrics["popularity_precision_at_5"]
    assert version.mode is PredictionMode.RULES
    assert "no better than the most bought products" in version.notice
