"""Revenue reports: product sales and regional sales, from orders (every order but a
cancelled one, on its order date, net of discounts and before tax). Money is added up in
the report's currency only: orders in other currencies are counted in a note, never
converted."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.customers import AddressKind, Customer, CustomerAddress
from app.models.orders import Order, OrderLine, OrderStatus
from app.models.sales import Product
from app.services.orders import net_amount_column
from app.services.reports import sql
from app.services.reports.registry import Report, register
from app.services.reports.results import Chart, Column, Figure, Result


def _orders_note(counts: Counter) -> list[str]:
    return [
        ngettext(
            "%(num)d order in %(currency)s is left out (other currencies are never converted).",
            "%(num)d orders in %(currency)s are left out (other currencies are never converted).",
            count,
            currency=currency,
        )
        for currency, count in sorted(counts.items())
    ]


def _billing_country():
    """The country of a customer's first billing address (correlated to Customer.id)."""
    return (
        sa.select(CustomerAddress.country)
        .where(
            CustomerAddress.customer_id == Customer.id,
            CustomerAddress.kind == AddressKind.BILLING,
        )
        .order_by(CustomerAddress.id)
        .limit(1)
        .scalar_subquery()
    )


def _order_filters(filters, actor) -> list:
    clauses = [
        Order.status != OrderStatus.CANCELLED,
        Order.order_date >= filters.start,
        Order.order_date < filters.end,
        filters.owned(actor, "order", Order.owner_id),
    ]
    if filters.region:
        clauses.append(
            sa.select(CustomerAddress.id)
            .where(
                CustomerAddress.customer_id == Order.customer_id,
                CustomerAddress.kind == AddressKind.BILLING,
                CustomerAddress.country == filters.region,
            )
            .exists()
        )
    return clauses


def _other_currency_orders(where: list, currency: str) -> Counter:
    return Counter(
        dict(
            db.session.execute(
                sa.select(Order.currency, sa.func.count())
                .where(*where, Order.currency != currency)
                .group_by(Order.currency)
            ).all()
        )
    )


def product_sales(filters, actor) -> Result:
    where = _order_filters(filters, actor)
    net = OrderLine.net - OrderLine.discount_share
    product = sa.func.coalesce(Product.name, OrderLine.name)
    # Inline '' rather than a bound value: PostgreSQL must see the grouped expression and
    # the selected one as the same.
    line = sa.func.coalesce(Product.line, sa.literal_column("''"))
    query = (
        sa.select(
            product,
            line,
            sa.func.sum(OrderLine.quantity),
            sa.func.count(sa.distinct(Order.id)),
            sa.func.sum(net),
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .where(*where, Order.currency == filters.currency)
        .group_by(product, line)
        .order_by(sa.func.sum(net).desc(), product)
    )
    if filters.product_id is not None:
        query = query.where(OrderLine.product_id == filters.product_id)
    rows = [
        {
            "product": name,
            "line": line,
            "quantity": sql.one_decimal(quantity),
            "orders": orders,
            "revenue": sql.money(revenue),
        }
        for name, line, quantity, orders, revenue in db.session.execute(query)
    ]
    total = sum((row["revenue"] for row in rows), Decimal("0.00"))
    for row in rows:
        row["share"] = sql.percent(row["revenue"], total)
    return Result(
        columns=[
            Column("product", str(_l("Product"))),
            Column("line", str(_l("Product line"))),
            Column("quantity", str(_l("Quantity")), "number"),
            Column("orders", str(_l("Orders")), "count"),
            Column("revenue", str(_l("Revenue")), "money"),
            Column("share", str(_l("Share")), "percent"),
        ],
        rows=rows,
        figures=[Figure(str(_l("Revenue")), total, "money")],
        chart=Chart("hbar", "product", ("revenue",)),
        notes=_orders_note(_other_currency_orders(where, filters.currency)),
        currency=filters.currency,
    )


def regional_sales(filters, actor) -> Result:
    where = _order_filters(filters, actor)
    country = sa.func.coalesce(_billing_country(), sa.literal_column("''"))
    query = (
        sa.select(
            country,
            sa.func.count(sa.distinct(Order.customer_id)),
            sa.func.count(Order.id),
            sa.func.sum(net_amount_column()),
        )
        .select_from(Order)
        .join(Customer, Customer.id == Order.customer_id)
        .where(*where, Order.currency == filters.currency)
        .group_by(country)
        .order_by(sa.func.sum(net_amount_column()).desc(), country)
    )
    if filters.product_id is not None:
        query = query.where(
            sa.select(OrderLine.id)
            .where(OrderLine.order_id == Order.id, OrderLine.product_id == filters.product_id)
            .exists()
        )
    rows = [
        {
            "region": code or gettext("No billing address"),
            "customers": customers,
            "orders": orders,
            "revenue": sql.money(revenue),
        }
        for code, customers, orders, revenue in db.session.execute(query)
    ]
    total = sum((row["revenue"] for row in rows), Decimal("0.00"))
    for row in rows:
        row["share"] = sql.percent(row["revenue"], total)
    return Result(
        columns=[
            Column("region", str(_l("Country"))),
            Column("customers", str(_l("Customers")), "count"),
            Column("orders", str(_l("Orders")), "count"),
            Column("revenue", str(_l("Revenue")), "money"),
            Column("share", str(_l("Share")), "percent"),
        ],
        rows=rows,
        figures=[Figure(str(_l("Revenue")), total, "money")],
        chart=Chart("hbar", "region", ("revenue",)),
        notes=_orders_note(_other_currency_orders(where, filters.currency)),
        currency=filters.currency,
    )


register(
    Report(
        key="product-sales",
        family="sales",
        title=_l("Product sales"),
        definition=_l(
            "Order lines of the orders dated in the period (cancelled orders excepted): "
            "quantity, number of orders and revenue per product, net of discounts and "
            "before tax, with each product's share of the total."
        ),
        entity="order",
        compute=product_sales,
        filters=("period", "team", "owner", "product", "region"),
    )
)
register(
    Report(
        key="regional-sales",
        family="sales",
        title=_l("Regional sales"),
        definition=_l(
            "Orders dated in the period (cancelled orders excepted), by the country of the "
            "customer's billing address (its first one): customers, orders and revenue "
            "net of discounts and before tax."
        ),
        entity="order",
        compute=regional_sales,
        filters=("period", "team", "owner", "product", "region"),
    )
)
