"""Synthetic histories for the evaluation harness: rows of customers, contacts, products,
orders and their lines, tickets, survey answers, activities and email opens, written with
Core multi-row INSERTs (ids given here, so children point at parents without reading
anything back). Like the demo seed, bulk synthetic data is not user activity: it bypasses
the ORM and the audit trail. Only ever written into a scratch database."""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.customers import Contact, Customer, CustomerStatus
from app.models.marketing import EventKind, MarketingEvent
from app.models.orders import Order, OrderLine, OrderStatus
from app.models.sales import Product
from app.models.service import SurveyKind, SurveyResponse, Ticket, TicketPriority, TicketStatus
from app.services.demo_customers import _sync_sequences

CHUNK = 2_000
# Parents before children: the order the tables are written in.
MODELS = (Customer, Contact, Product, Order, OrderLine, Ticket, SurveyResponse, Activity,
          MarketingEvent)  # fmt: skip


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means of planted histories are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def day_start(now: datetime) -> datetime:
    """Midnight UTC of `now`'s day: planted histories are laid out in whole days."""
    return datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)


class PlantedHistory:
    """Rows to write, collected per model; `write()` inserts them all. Days are counted
    from `origin` (day 0), so a history reads the same whatever day it is written."""

    def __init__(self, origin: datetime):
        self.origin = day_start(origin)
        self.rows: dict[type, list[dict]] = defaultdict(list)
        self._ids = {model: itertools.count(1) for model in MODELS}

    def at(self, day: float) -> datetime:
        return self.origin + timedelta(days=day)

    def on(self, day: float) -> date:
        return self.at(day).date()

    def _add(self, model, **row) -> int:
        row["id"] = next(self._ids[model])
        self.rows[model].append(row)
        return row["id"]

    def customer(self, name: str, day: float = 0, owner_id: int | None = None) -> int:
        created = self.at(day)
        return self._add(
            Customer, name=name, status=CustomerStatus.CUSTOMER, custom={}, owner_id=owner_id,
            created_at=created, updated_at=created, search_text=name.lower(),
        )  # fmt: skip

    def contact(self, customer_id: int, day: float = 0) -> int:
        n = len(self.rows[Contact]) + 1
        return self._add(
            Contact, customer_id=customer_id, last_name=f"Contact {n}", custom={},
            created_at=self.at(day), updated_at=self.at(day),
        )  # fmt: skip

    def product(self, name: str, price: int = 100) -> int:
        n = len(self.rows[Product]) + 1
        return self._add(Product, sku=f"PLANTED-{n}", name=name, list_price=price, tax_rate=0)

    def order(self, customer_id: int, day: float, products=()) -> int:
        n = len(self.rows[Order]) + 1
        order_id = self._add(
            Order, number=f"PL-{n:07d}", customer_id=customer_id,
            status=OrderStatus.CONFIRMED, order_date=self.on(day), currency="USD", custom={},
            created_at=self.at(day), updated_at=self.at(day),
        )  # fmt: skip
        for position, product_id in enumerate(products):
            self._add(
                OrderLine, order_id=order_id, position=position, name=f"Product {product_id}",
                quantity=1, unit_price=100, net=100, product_id=product_id,
            )  # fmt: skip
        return order_id

    def ticket(
        self, customer_id: int, day: float, priority: TicketPriority, resolved: float | None
    ) -> int:
        n = len(self.rows[Ticket]) + 1
        done = resolved is not None
        return self._add(
            Ticket, number=f"PT-{n:07d}", subject=f"Planted ticket {n}", customer_id=customer_id,
            priority=priority, status=TicketStatus.RESOLVED if done else TicketStatus.OPEN,
            created_at=self.at(day), updated_at=self.at(resolved if done else day),
            resolved_at=self.at(resolved) if done else None, custom={},
        )  # fmt: skip

    def survey(self, kind: SurveyKind, day: float, score: int, ticket_id=None, contact_id=None):
        self._add(
            SurveyResponse, kind=kind, ticket_id=ticket_id, contact_id=contact_id,
            sent_at=self.at(day - 1), answered_at=self.at(day), score=score,
        )  # fmt: skip

    def activity(self, customer_id: int, day: float) -> None:
        self._add(
            Activity, kind=ActivityKind.CALL, subject="Planted call", customer_id=customer_id,
            status=ActivityStatus.DONE, occurred_at=self.at(day), custom={},
        )  # fmt: skip

    def email_open(self, contact_id: int, day: float) -> None:
        self._add(
            MarketingEvent, kind=EventKind.EMAIL_OPEN, contact_id=contact_id,
            occurred_at=self.at(day), detail={},
        )  # fmt: skip

    def write(self) -> dict[str, int]:
        """Insert every collected row (parents first); how many rows went in per table."""
        connection = db.session.connection()
        written = {}
        for model in MODELS:
            rows = self.rows.get(model, [])
            for start in range(0, len(rows), CHUNK):
                connection.execute(model.__table__.insert(), rows[start : start + CHUNK])
            written[model.__tablename__] = len(rows)
        _sync_sequences(*(model for model in MODELS if self.rows.get(model)))
        return written
