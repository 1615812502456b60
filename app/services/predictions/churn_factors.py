"""Churn risk explained: the points-based rules that stand in while there is too little
history for a model, the risk factors stored on a customer (customers.churn_factors), the
retention actions chosen from them, and what the pages say about how the risk was made.

A stored factor is {"feature", "value", "weight"} (plus "recent"/"previous" for the order
trend): a positive weight raises the risk (logit units for a model, points for the rules).
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.predictions import PredictionMode, PredictionModel
from app.models.service import Ticket, TicketPriority, TicketStatus
from app.services.predictions import classifier

LEVELS = ((0.7, "high"), (0.4, "medium"), (0.0, "low"))
LEVEL_LABELS = {"high": _l("High"), "medium": _l("Medium"), "low": _l("Low")}
LEVEL_KINDS = {"high": "danger", "medium": "warning", "low": "success"}
TOP_FACTORS = 5
QUIET_DAYS = 45  # a call is suggested once the last order is this old

FACTOR_LABELS = {
    "days_since_last_order": _l("Days since the last order"),
    "order_trend": _l("Orders in the last 6 months against the 6 before"),
    "orders_12m": _l("Orders in the last 12 months"),
    "open_tickets": _l("Open tickets"),
    "urgent_tickets": _l("Urgent open tickets"),
    "csat": _l("Average CSAT score (1 to 5), last 12 months"),
    "nps": _l("Average NPS score (0 to 10), last 12 months"),
    "activities_90d": _l("Activities in the last 90 days"),
    "email_opens_90d": _l("Email opens in the last 90 days"),
}


def level(risk: float) -> str:
    """low below 0.4, medium from 0.4, high from 0.7."""
    return next(name for floor, name in LEVELS if risk >= floor)


def factor(features: dict, name: str, weight: float) -> dict:
    """A stored factor: the feature, the customer's own value of it and its push."""
    record = {"feature": name, "value": features[name], "weight": round(float(weight), 4)}
    if name == "order_trend":
        record |= {"recent": features["orders_recent"], "previous": features["orders_previous"]}
    return record


def rule_points(features: dict) -> list[tuple[str, int]]:
    """The transparent fallback: (feature, points) of each rule the customer meets. The
    points add up to the risk in percent (capped at 100)."""
    points = []
    days = features["days_since_last_order"]
    if days >= 60:
        points.append(("days_since_last_order", 40 if days >= 180 else 25 if days >= 90 else 10))
    recent, previous = features["orders_recent"], features["orders_previous"]
    if previous and recent < previous:
        points.append(("order_trend", 20 if recent * 2 <= previous else 10))
    if features["urgent_tickets"]:
        points.append(("urgent_tickets", min(30, 15 * features["urgent_tickets"])))
    if features["open_tickets"]:
        points.append(("open_tickets", min(10, 5 * features["open_tickets"])))
    csat = features["csat"]
    if csat is not None and csat < 4:
        points.append(("csat", 15 if csat < 3 else 5))
    if features["nps"] is not None and features["nps"] <= 6:
        points.append(("nps", 10))
    if not features["activities_90d"] and not features["email_opens_90d"]:
        points.append(("activities_90d", 10))
    return points


def rules_risk(features: dict) -> tuple[float, list[dict]]:
    """(risk 0-1, factors) by the rules."""
    points = rule_points(features)
    risk = min(100, sum(p for _, p in points)) / 100
    factors = [factor(features, name, p) for name, p in sorted(points, key=lambda x: -x[1])]
    return risk, factors[:TOP_FACTORS]


def model_factors(features: dict, contributions) -> list[dict]:
    """The model's strongest pushes on this customer (an unknown CSAT or NPS is never one:
    it was filled with the training mean)."""
    known = [
        c for c in contributions if features.get(c.feature) is not None and abs(c.weight) > 1e-3
    ]
    return [factor(features, c.feature, c.weight) for c in known[:TOP_FACTORS]]


@dataclasses.dataclass(frozen=True)
class Action:
    """A suggested retention step, with the ticket it concerns when there is one."""

    key: str
    text: str
    ticket_id: int | None = None


def urgent_open_tickets(customer_id: int, limit: int = 3) -> list[Ticket]:
    done = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    return list(
        db.session.scalars(
            sa.select(Ticket)
            .where(
                Ticket.customer_id == customer_id,
                Ticket.priority == TicketPriority.URGENT,
                Ticket.status.not_in(done),
            )
            .order_by(Ticket.created_at, Ticket.id)
            .limit(limit)
        )
    )


def retention_actions(customer_id: int, factors: list[dict]) -> list[Action]:
    """What to do about the factors raising this customer's risk: long since the last
    order -> a call to review needs; falling orders -> a reorder offer; urgent open
    tickets -> escalate each; low satisfaction -> a manager check-in; little engagement ->
    re-engage. Only factors that raise the risk count."""
    raising = {f["feature"]: f for f in factors if f.get("weight", 0) > 0}
    actions = []
    days = raising.get("days_since_last_order", {}).get("value", 0)
    if days >= QUIET_DAYS:
        actions.append(Action("call", gettext(
            "Call to review their needs and make an offer: no order for %(days)d days.", days=days
        )))  # fmt: skip
    trend = raising.get("order_trend") or {}
    if trend.get("recent", 0) < trend.get("previous", 0) or "orders_12m" in raising:
        if trend.get("previous", 0) > trend.get("recent", 0):
            text = gettext(
                "Propose a reorder or a volume offer: %(recent)d orders in the last 6 months "
                "against %(previous)d before.",
                recent=trend["recent"], previous=trend["previous"],
            )  # fmt: skip
        else:
            text = gettext("Propose a reorder or a volume offer: they order less than they did.")
        actions.append(Action("offer", text))
    if "urgent_tickets" in raising:
        for ticket in urgent_open_tickets(customer_id):
            actions.append(Action("escalate", gettext(
                "Escalate ticket %(number)s: %(subject)s", number=ticket.number,
                subject=ticket.subject), ticket.id))  # fmt: skip
    elif "open_tickets" in raising:
        count = raising["open_tickets"]["value"]
        actions.append(Action("tickets", ngettext(
            "Ask support to settle the open ticket.",
            "Ask support to settle the %(num)d open tickets.", count,
        )))  # fmt: skip
    csat, nps = raising.get("csat", {}).get("value"), raising.get("nps", {}).get("value")
    if (csat is not None and csat < 4) or (nps is not None and nps <= 6):
        actions.append(Action("check_in", gettext(
            "Arrange a manager check-in: their recent satisfaction answers are low."
        )))  # fmt: skip
    if "activities_90d" in raising or "email_opens_90d" in raising:
        actions.append(Action("engage", gettext(
            "Re-engage them: schedule a meeting or send news they care about."
        )))  # fmt: skip
    return actions


def mode_notice(version: PredictionModel | None) -> str:
    """What the pages say about how the risk was computed (rules and why, or the model)."""
    if version is None:
        return gettext(
            "No churn model has been trained yet: the risk shown comes from points-based "
            "rules (long since the last order, falling orders, urgent tickets, low "
            "satisfaction, little engagement)."
        )
    if version.mode is PredictionMode.RULES and (version.metrics or {}).get("auc") is not None:
        return gettext(
            "The trained model ranked the most recent customers no better than the "
            "points-based rules (AUC %(model)s against %(rules)s): the rules score churn risk.",
            model=f"{version.metrics['auc']:.2f}",
            rules=f"{(version.metrics.get('rules') or {}).get('auc') or 0:.2f}",
        )  # fmt: skip
    if version.mode is PredictionMode.RULES:
        return gettext(
            "Too little order history to train a model (%(rows)d snapshots to learn from; "
            "a model needs %(min)d churned and %(min)d kept): the risk shown comes from "
            "points-based rules.",
            rows=version.train_rows, min=classifier.MIN_CLASS_EXAMPLES,
        )  # fmt: skip
    auc = (version.metrics or {}).get("auc")
    return gettext(
        "Model version %(version)d, trained on %(rows)d snapshots; tested on the most recent "
        "customers: AUC %(auc)s.",
        version=version.version, rows=version.train_rows,
        auc=f"{auc:.2f}" if auc is not None else "–",
    )  # fmt: skip
