"""ABC grading of customers by their share of revenue: A for the top customers making up the
first ~80% of revenue, B for the next ~15%, C for the rest (thresholds configurable).

Revenue comes from registered sources (orders, invoices... as those modules land): each is
a function returning {customer_id: Decimal}; orders register theirs (app.services.orders).
Without any revenue there is nothing to grade by, so classes stay unset rather than
everyone becoming C.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models.customers import Customer

DEFAULT_THRESHOLDS = (0.8, 0.95)
_BATCH = 500

RevenueSource = Callable[[], dict[int, Decimal]]
_SOURCES: list[RevenueSource] = []


def register_revenue_source(source: RevenueSource) -> RevenueSource:
    """Count `source()`'s revenue per customer in grading (usable as a decorator)."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def unregister_revenue_source(source: RevenueSource) -> None:
    if source in _SOURCES:
        _SOURCES.remove(source)


def revenue_by_customer() -> dict[int, Decimal]:
    """Every source's revenue per customer, added up."""
    total: dict[int, Decimal] = {}
    for source in _SOURCES:
        for customer_id, amount in source().items():
            total[customer_id] = total.get(customer_id, Decimal(0)) + Decimal(amount or 0)
    return total


def classify(revenue: dict[int, Decimal], thresholds=DEFAULT_THRESHOLDS) -> dict[int, str]:
    """A/B/C per customer in `revenue`: ranked by revenue (ties by id), a customer whose
    cumulative share (its own included) is within the first threshold is A, within the
    second B, else C; zero or negative revenue is C. The top customer is always A, even
    when it alone makes up more than the first threshold."""
    a_limit, b_limit = (Decimal(str(t)) for t in thresholds)
    ranked = sorted(
        ((cid, amount) for cid, amount in revenue.items() if amount > 0),
        key=lambda item: (-item[1], item[0]),
    )
    total = sum((amount for _, amount in ranked), Decimal(0))
    classes = {cid: "C" for cid in revenue}
    running = Decimal(0)
    for rank, (cid, amount) in enumerate(ranked):
        running += amount
        share = running / total
        classes[cid] = "A" if share <= a_limit or rank == 0 else "B" if share <= b_limit else "C"
    return classes


def grade_abc(thresholds=DEFAULT_THRESHOLDS) -> dict[str, int]:
    """Store every customer's ABC class; returns how many changed to each class.

    Customers without revenue get C; while nobody has any revenue (no orders yet), classes
    stay as they are rather than everyone becoming C. Only changed rows are written, in
    batches, with plain UPDATEs: a computed grade rewritten nightly is not worth an audit
    entry per row.
    """
    revenue = revenue_by_customer() if _SOURCES else {}
    if not any(amount > 0 for amount in revenue.values()):
        return {}
    targets = classify(revenue, thresholds)
    current = db.session.execute(sa.select(Customer.id, Customer.abc_class)).tuples().all()
    changes: dict[str, list[int]] = {"A": [], "B": [], "C": []}
    for customer_id, abc_class in current:
        wanted = targets.get(customer_id, "C")
        if wanted != abc_class:
            changes[wanted].append(customer_id)
    for abc_class, ids in changes.items():
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            db.session.execute(
                sa.update(Customer)
                .where(Customer.id.in_(batch))
                .values(abc_class=abc_class)
                .execution_options(synchronize_session=False)
            )
    db.session.flush()
    return {abc_class: len(ids) for abc_class, ids in changes.items()}
