"""The product catalogue: create, change, deactivate and delete products, and list and
search them (keyset-paged). Their prices in price books are in app.services.price_books.

Everyone reads the catalogue; managers and administrators keep it (permission "product").
Money is Decimal, two decimals, never float.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.sales import PriceBookEntry, Product
from app.services import history, quote_math
from app.services.record_checks import check_text
from app.services.record_lists import (
    MAX_QUERY_LENGTH,
    KeysetSort,
    keyset_page,
)
from app.services.search import contains_pattern
from app.services.validation import RecordInvalid

history.register_record_type("products", Product, "product")

FIELD_LABELS = {
    "sku": _l("SKU"),
    "name": _l("Name"),
    "description": _l("Description"),
    "unit": _l("Unit"),
    "line": _l("Product line"),
    "list_price": _l("List price"),
    "tax_rate": _l("Tax rate (%)"),
    "is_active": _l("Active"),
}
SKU_LENGTH = 64
NAME_LENGTH = 200
UNIT_LENGTH = 20
LINE_LENGTH = 80
DESCRIPTION_LENGTH = 10_000
# Numeric(14, 2): twelve digits before the point.
MAX_AMOUNT = Decimal("999999999999.99")
_SKU = re.compile(r"^[A-Za-z0-9._-]+$")
_PRODUCT_FIELDS = {
    "sku", "name", "description", "unit", "line", "list_price", "tax_rate", "is_active",
}  # fmt: skip

# Checks that may refuse deleting a product still in use (quote lines, orders...): each
# returns a message saying why, or None. Modules that point at products register one.
_REFERENCE_CHECKS: list[Callable[[Product], str | None]] = []


def register_reference_check(check: Callable[[Product], str | None]) -> None:
    """Refuse `delete_product` while `check(product)` returns a message."""
    _REFERENCE_CHECKS.append(check)


def check_amount(fields: dict, name: str, errors: dict, required_message=None) -> Decimal | None:
    """A money amount: zero or more, at most two decimals; records an error otherwise."""
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required_message:
            errors[name] = required_message
        return None
    try:
        amount = quote_math.as_decimal(value, name)
    except ValueError:
        errors[name] = gettext("Enter an amount, like 1200 or 99.50.")
        return None
    if amount < 0:
        errors[name] = gettext("Enter zero or more.")
    elif amount > MAX_AMOUNT:
        errors[name] = gettext("Enter at most %(max)s.", max=MAX_AMOUNT)
    elif quote_math.decimal_places(amount) > 2:
        errors[name] = gettext("Use at most 2 decimals.")
    return None if name in errors else amount.quantize(quote_math.CENT)


def check_rate(fields: dict, name: str, errors: dict) -> Decimal:
    """A percentage from 0 to 100 with at most two decimals (empty means 0)."""
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0.00")
    try:
        rate = quote_math.as_decimal(value, name)
    except ValueError:
        errors[name] = gettext("Enter a percentage, like 5 or 0.")
        return Decimal("0.00")
    if not 0 <= rate <= 100:
        errors[name] = gettext("Enter a percentage from 0 to 100.")
    elif quote_math.decimal_places(rate) > 2:
        errors[name] = gettext("Use at most 2 decimals.")
    return Decimal("0.00") if name in errors else rate.quantize(quote_math.CENT)


def _check_sku(fields: dict, errors: dict, product: Product) -> str:
    sku = check_text(fields, "sku", SKU_LENGTH, errors, gettext("Enter the product's SKU."))
    if "sku" in errors:
        return sku
    if not _SKU.match(sku):
        errors["sku"] = gettext(
            "Use only letters, digits, dashes, underscores and dots in the SKU (no spaces)."
        )
        return sku
    taken = sa.select(Product.id).where(sa.func.lower(Product.sku) == sku.lower())
    if product.id is not None:
        taken = taken.where(Product.id != product.id)
    if db.session.execute(taken.limit(1)).first() is not None:
        errors["sku"] = gettext("Another product has the SKU %(sku)s.", sku=sku)
    return sku


def _apply_product(product: Product, fields: dict, partial: bool) -> None:
    """Check every given field, then store them all, or raise RecordInvalid with every
    problem at once (and leave `product` untouched)."""
    unknown = set(fields) - _PRODUCT_FIELDS
    if unknown:
        raise TypeError(f"unknown product fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    given = lambda name: not partial or name in fields  # noqa: E731
    if given("sku"):
        values["sku"] = _check_sku(fields, errors, product)
    if given("name"):
        message = gettext("Enter the product's name.")
        values["name"] = check_text(fields, "name", NAME_LENGTH, errors, message)
    if given("unit"):
        values["unit"] = check_text(fields, "unit", UNIT_LENGTH, errors)
    if given("line"):
        values["line"] = check_text(fields, "line", LINE_LENGTH, errors)
    if given("description"):
        values["description"] = str(fields.get("description") or "").strip()
        if len(values["description"]) > DESCRIPTION_LENGTH:
            errors["description"] = gettext(
                "Use at most %(max)d characters.", max=DESCRIPTION_LENGTH
            )
    if given("list_price"):
        message = gettext("Enter the list price (0 for a free item).")
        values["list_price"] = check_amount(fields, "list_price", errors, message)
    if given("tax_rate"):
        values["tax_rate"] = check_rate(fields, "tax_rate", errors)
    if "is_active" in fields:
        values["is_active"] = bool(fields["is_active"])
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        if getattr(product, name) != value:
            setattr(product, name, value)


def create_product(actor, **fields) -> Product:
    """Add a product to the catalogue; RecordInvalid lists every bad field."""
    permissions.require(actor, "create", "product")
    product = Product(is_active=True)
    _apply_product(product, fields, partial=False)
    db.session.add(product)
    db.session.flush()
    return product


def update_product(product: Product, actor, **fields) -> Product:
    """Change the given fields of `product` (the others stay as they are)."""
    permissions.require(actor, "edit", "product", product)
    _apply_product(product, fields, partial=True)
    db.session.flush()
    return product


def deactivate_product(product: Product, actor) -> Product:
    """Take a product off sale: it stays in the catalogue (and on old quotes) but new
    quotes no longer offer it."""
    return update_product(product, actor, is_active=False)


def delete_product(product: Product, actor) -> None:
    """Delete a product and its prices in every price book; refused (RecordInvalid) while
    something still refers to it (see register_reference_check): deactivate it instead."""
    permissions.require(actor, "delete", "product", product)
    for check in _REFERENCE_CHECKS:
        message = check(product)
        if message:
            raise RecordInvalid({"product": message})
    # Through the session, not the database's cascade, so each removed price is audited.
    entries = db.session.scalars(
        sa.select(PriceBookEntry).where(PriceBookEntry.product_id == product.id)
    )
    for entry in entries:
        db.session.delete(entry)
    db.session.flush()
    db.session.delete(product)
    db.session.flush()


SORTS = {
    "name": KeysetSort(Product.name, lambda p: p.name),
    "sku": KeysetSort(Product.sku, lambda p: p.sku),
    "updated_at": KeysetSort(Product.updated_at, lambda p: p.updated_at, is_time=True),
}
ACTIVE_CHOICES = ("active", "inactive", "all")


@dataclasses.dataclass
class ProductFilters:
    """What a product list shows: a search, active/inactive/all, an allowlisted sort."""

    q: str = ""
    active: str = "active"
    sort: str = "name"
    direction: str = "asc"

    @classmethod
    def from_args(cls, args) -> ProductFilters:
        """Read the filters from a query string; values outside the allowlists are ignored."""
        active = args.get("active")
        return cls(
            q=" ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH],
            active=active if active in ACTIVE_CHOICES else "active",
            sort=args.get("sort") if args.get("sort") in SORTS else "name",
            direction="desc" if args.get("direction") == "desc" else "asc",
        )

    def as_args(self) -> dict:
        """The query string for these filters (only what differs from the defaults)."""
        args = {
            "q": self.q,
            "active": self.active if self.active != "active" else "",
            "sort": self.sort if self.sort != "name" else "",
            "direction": self.direction if self.direction != "asc" else "",
        }
        return {key: value for key, value in args.items() if value}


def search_clause(query: str):
    """Products whose SKU, name or description contain every word of `query` (any case);
    None when there is nothing to search for. The catalogue holds thousands of products
    at most, so a scan is quick enough and needs no search machinery."""
    words = query.split()[:5]
    if not words:
        return None
    columns = (Product.sku, Product.name, Product.description)
    return sa.and_(
        *(
            sa.or_(*(column.ilike(contains_pattern(word), escape="\\") for column in columns))
            for word in words
        )
    )


def products_query(actor, filters: ProductFilters) -> sa.Select:
    """The products matching `filters` (none if `actor` may not read the catalogue),
    sorted by the sort column then id."""
    may_read = permissions.can(actor, "read", "product")
    query = sa.select(Product).where(sa.true() if may_read else sa.false())
    if filters.active != "all":
        query = query.where(Product.is_active.is_(filters.active == "active"))
    match = search_clause(filters.q)
    if match is not None:
        query = query.where(match)
    return SORTS[filters.sort].order(query, Product.id, filters.direction)


def product_page(actor, filters: ProductFilters, cursor: str | None = None, limit: int = 50):
    """One page of products after `cursor`: (rows, cursor of the next page or None)."""
    return keyset_page(
        products_query(actor, filters),
        SORTS[filters.sort],
        Product.id,
        filters.direction,
        cursor,
        limit,
    )
