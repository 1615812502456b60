"""A planted churn history for the evaluation harness: three years of customers who order
at their own pace; about half of them churn on a planted day, and in the 150 days before it
the known drivers show: orders slow down, urgent tickets stay open, CSAT and NPS answers
turn low, and calls and email opens dry up. Two in five loyal customers go through a
rough patch (an urgent ticket, a poor answer) and stay, so no single signal is the answer.
The real train() then learns from the database the way it does in production."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from app.models.base import utcnow
from app.models.predictions import PredictionMode
from app.models.service import SurveyKind, TicketPriority
from app.services.predictions.planted_history import PlantedHistory, day_start

SPAN = 1095  # days of history before "now"
WARNING = 150  # the drivers show this many days before a planted churn
CUSTOMERS = 700  # at size 1.0
NPS_DAYS = (180, 545, 910)


def _orders(history, rng, customer_id, start, end, churn, pace) -> None:
    day = start + rng.uniform(0, pace)
    while day < end:
        history.order(customer_id, day)
        slow = 1.8 if day >= churn - WARNING else 1.0
        day += pace * slow * rng.uniform(0.3, 1.7)


def _tickets(history, rng, customer_id, start, end, churn, rough) -> None:
    day = start + rng.uniform(20, 200)
    while day < end:
        resolved = day + rng.uniform(0.5, 10)
        priority = rng.choice((TicketPriority.LOW, TicketPriority.MEDIUM, TicketPriority.HIGH))
        ticket = history.ticket(customer_id, day, priority, resolved if resolved < SPAN else None)
        if resolved < SPAN and rng.random() < 0.5:
            score = rng.choice((3, 4, 4, 5, 5, 5))
            history.survey(SurveyKind.CSAT, resolved + 1, score, ticket_id=ticket)
        day += rng.uniform(90, 220)
    troubles = []
    if churn < math.inf and rng.random() < 0.7:  # some churn without a word of complaint
        day = churn - WARNING + rng.uniform(0, 60)
        while day < min(churn + 30, SPAN):
            troubles.append((day, rng.uniform(40, 160), rng.choice((1, 1, 2, 2, 3))))
            day += rng.uniform(40, 90)
    if rough is not None:
        troubles.append((rough, rng.uniform(5, 40), rng.choice((2, 3, 3, 4))))
    for day, lasts, score in troubles:
        if day >= SPAN:
            continue
        resolved = day + lasts
        done = resolved if resolved < SPAN else None
        ticket = history.ticket(customer_id, day, TicketPriority.URGENT, done)
        if done is not None and done + 1 < SPAN and rng.random() < 0.7:
            history.survey(SurveyKind.CSAT, done + 1, score, ticket_id=ticket)


def _engagement(history, rng, customer_id, contact_id, start, end, churn, rough) -> None:
    warning = churn - WARNING

    fading = rng.uniform(0.2, 0.8)

    def quiet(day):
        if day >= warning:
            return fading
        return 0.5 if rough is not None and rough <= day < rough + 90 else 0.0

    day = start + rng.uniform(0, 20)
    while day < end:
        if rng.random() >= quiet(day):
            history.activity(customer_id, day)
        day += rng.uniform(10, 35)
    day = start + rng.uniform(0, 15)
    while day < end:
        if rng.random() >= quiet(day) + 0.1:
            history.email_open(contact_id, day)
        day += rng.uniform(6, 25)
    for day in NPS_DAYS:
        if start <= day < end and rng.random() < 0.6:
            low = (day >= warning and rng.random() < 0.6) or (
                rough is not None and rough <= day < rough + 90
            )
            score = rng.randint(2, 6) if low else rng.choice((6, 7, 8, 9, 9, 10, 10))
            history.survey(SurveyKind.NPS, day, score, contact_id=contact_id)


def plant(*, seed: int = 7, size: float = 1.0, now=None) -> PlantedHistory:
    """Write the planted history ending at `now` (midnight UTC) into the database."""
    rng = random.Random(seed)
    now = day_start(now or utcnow())
    history = PlantedHistory(now - timedelta(days=SPAN))
    for number in range(1, max(60, int(CUSTOMERS * size)) + 1):
        start = rng.uniform(0, 450)
        customer_id = history.customer(f"Planted customer {number}", start)
        contact_id = history.contact(customer_id, start)
        churn = rng.uniform(start + 200, SPAN + 250) if rng.random() < 0.55 else math.inf
        rough = rng.uniform(start + 60, SPAN) if churn == math.inf and rng.random() < 0.4 else None
        end = min(churn, SPAN)
        _orders(history, rng, customer_id, start, end, churn, rng.uniform(20, 80))
        _tickets(history, rng, customer_id, start, end, churn, rough)
        _engagement(history, rng, customer_id, contact_id, start, end, churn, rough)
    history.write()
    return history


def evaluate(*, seed: int = 7, size: float = 1.0) -> dict:
    """Plant, train on the past, score the future; the figures the harness prints."""
    from app.services.predictions import churn

    now = day_start(utcnow())
    planted = plant(seed=seed, size=size, now=now)
    version = churn.train(now=now)
    metrics = version.metrics or {}
    rules = metrics.get("rules") or {}
    return {
        "mode": version.mode.value,
        "customers": len(planted.rows[churn.Customer]),
        "snapshots": version.rows,
        "train_rows": version.train_rows,
        "test_rows": version.test_rows,
        "churned_share": round(version.positives / version.rows, 3) if version.rows else 0.0,
        "auc": metrics.get("auc") if version.mode is PredictionMode.MODEL else rules.get("auc"),
        "brier": metrics.get("brier"),
        "ece": metrics.get("ece"),
        "auc_recent_buyers": metrics.get("auc_recent_buyers"),
        "rules_auc": rules.get("auc"),
        "rules_brier": rules.get("brier"),
        "scored": churn.score_all(now=now),
    }
