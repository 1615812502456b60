"""The products suggested to one customer, as the 360 page and the quote page show them:
the newest recommendation version's suggestions (app.services.predictions.recommendations)
resolved to active catalogue products, each with the names of the products behind it, and
how they were chosen (item-item, or the most bought products and why)."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from app.extensions import db
from app.models.orders import Order, OrderLine, OrderStatus
from app.models.predictions import PredictionMode, PredictionModel
from app.models.sales import Product
from app.services.predictions import model_store
from app.services.predictions.recommendations import KIND, POPULAR, K, Recommender


@dataclasses.dataclass(frozen=True)
class Item:
    product: Product
    reason: str  # "similar" or "popular"
    because: tuple[str, ...] = ()  # names of the customer's products it goes with


@dataclasses.dataclass(frozen=True)
class Suggested:
    """The items, and how they were chosen: `basis` is "model" (item-item), "rules" (too
    little history: the most bought products) or "untrained" (no version yet); a
    customer who bought nothing is `new_customer`."""

    items: list[Item]
    basis: str
    new_customer: bool
    version: PredictionModel | None


def owned_products(customer_id: int) -> set[int]:
    """The products `customer_id` has bought (cancelled orders left out)."""
    query = (
        sa.select(OrderLine.product_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.customer_id == customer_id,
            Order.status != OrderStatus.CANCELLED,
            OrderLine.product_id.is_not(None),
        )
        .distinct()
    )
    return set(db.session.scalars(query))


def live_popular(limit: int = POPULAR) -> list[list[int]]:
    """The most bought products by number of buyers, counted now (before any training)."""
    buyers = sa.func.count(sa.distinct(Order.customer_id))
    query = (
        sa.select(OrderLine.product_id, buyers)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status != OrderStatus.CANCELLED, OrderLine.product_id.is_not(None))
        .group_by(OrderLine.product_id)
        .order_by(buyers.desc(), OrderLine.product_id)
        .limit(limit)
    )
    return [[product, count] for product, count in db.session.execute(query)]


def for_customer(customer_id: int, exclude=(), limit: int = K) -> Suggested:
    """Up to `limit` active products to offer `customer_id`, never one they bought or one
    in `exclude` (e.g. already on the quote)."""
    version = model_store.latest(KIND)
    if version is None:
        params, basis = {"popular": live_popular()}, "untrained"
    else:
        params = version.params or {}
        basis = "model" if version.mode is PredictionMode.MODEL else "rules"
    owned = owned_products(customer_id)
    # Ask for more than needed: retired products are dropped below.
    suggestions = Recommender(params).suggest(owned, limit * 3, exclude)
    wanted = {s.product_id for s in suggestions} | {p for s in suggestions for p in s.because}
    products = {
        product.id: product
        for product in db.session.scalars(sa.select(Product).where(Product.id.in_(wanted)))
    }
    items = []
    for suggestion in suggestions:
        product = products.get(suggestion.product_id)
        if product is None or not product.is_active:
            continue
        names = tuple(products[p].name for p in suggestion.because if p in products)
        items.append(Item(product, suggestion.reason, names))
        if len(items) >= limit:
            break
    return Suggested(items, basis, not owned, version)
