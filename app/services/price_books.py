"""Price books: named price lists in one currency each, their prices for products, and the
answer to "what does this product cost in that book".

Everyone reads them; managers and administrators keep them (permission "price_book").
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.sales import PriceBook, PriceBookEntry, Product
from app.services import history
from app.services.products import DESCRIPTION_LENGTH, check_amount
from app.services.record_checks import check_text
from app.services.validation import RecordInvalid

BOOK_NAME_LENGTH = 120
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_BOOK_FIELDS = {"name", "currency", "description", "is_active"}

history.register_record_type("price_books", PriceBook, "price_book")


def default_currency() -> str:
    """The currency of every product's list price (config DEFAULT_CURRENCY)."""
    return current_app.config["DEFAULT_CURRENCY"]


def _apply_book(book: PriceBook, fields: dict, partial: bool) -> None:
    unknown = set(fields) - _BOOK_FIELDS
    if unknown:
        raise TypeError(f"unknown price book fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    if not partial or "name" in fields:
        message = gettext("Enter the price book's name.")
        values["name"] = name = check_text(fields, "name", BOOK_NAME_LENGTH, errors, message)
        taken = sa.select(PriceBook.id).where(sa.func.lower(PriceBook.name) == name.lower())
        if book.id is not None:
            taken = taken.where(PriceBook.id != book.id)
        if "name" not in errors and db.session.execute(taken.limit(1)).first() is not None:
            errors["name"] = gettext("Another price book is called %(name)s.", name=name)
    if not partial or "currency" in fields:
        currency = str(fields.get("currency") or "").strip().upper()
        if not _CURRENCY.match(currency):
            errors["currency"] = gettext("Enter a three-letter currency code, like TWD or USD.")
        values["currency"] = currency
    if not partial or "description" in fields:
        values["description"] = str(fields.get("description") or "").strip()
        if len(values["description"]) > DESCRIPTION_LENGTH:
            errors["description"] = gettext(
                "Use at most %(max)d characters.", max=DESCRIPTION_LENGTH
            )
    if "is_active" in fields:
        values["is_active"] = bool(fields["is_active"])
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        if getattr(book, name) != value:
            setattr(book, name, value)


def create_price_book(actor, **fields) -> PriceBook:
    """A new, empty price book (name, currency, description, is_active)."""
    permissions.require(actor, "create", "price_book")
    book = PriceBook(is_active=True)
    _apply_book(book, fields, partial=False)
    db.session.add(book)
    db.session.flush()
    return book


def update_price_book(book: PriceBook, actor, **fields) -> PriceBook:
    """Change the given fields of a price book."""
    permissions.require(actor, "edit", "price_book", book)
    _apply_book(book, fields, partial=True)
    db.session.flush()
    return book


def delete_price_book(book: PriceBook, actor) -> None:
    """Delete a price book with all its prices (each removal audited)."""
    permissions.require(actor, "delete", "price_book", book)
    entries = db.session.scalars(
        sa.select(PriceBookEntry).where(PriceBookEntry.price_book_id == book.id)
    )
    for entry in entries:
        db.session.delete(entry)
    db.session.flush()
    db.session.delete(book)
    db.session.flush()


def price_books_query() -> sa.Select:
    """Every price book (the catalogue has no owners: readers see them all)."""
    return sa.select(PriceBook)


def price_books(actor, active_only: bool = False) -> list[PriceBook]:
    """Every price book `actor` may read, by name."""
    if not permissions.can(actor, "read", "price_book"):
        return []
    query = price_books_query().order_by(PriceBook.name, PriceBook.id)
    if active_only:
        query = query.where(PriceBook.is_active.is_(True))
    return list(db.session.scalars(query))


def entry_for(book: PriceBook, product: Product) -> PriceBookEntry | None:
    return db.session.scalar(
        sa.select(PriceBookEntry).where(
            PriceBookEntry.price_book_id == book.id, PriceBookEntry.product_id == product.id
        )
    )


def set_price(book: PriceBook, product: Product, unit_price, actor) -> PriceBookEntry:
    """Give `product` the price `unit_price` in `book` (adding or changing its entry)."""
    permissions.require(actor, "edit", "price_book", book)
    errors: dict[str, str] = {}
    price = check_amount(
        {"unit_price": unit_price}, "unit_price", errors, gettext("Enter the price.")
    )
    if errors:
        raise RecordInvalid(errors)
    entry = entry_for(book, product)
    if entry is None:
        entry = PriceBookEntry(price_book_id=book.id, product_id=product.id, unit_price=price)
        db.session.add(entry)
    elif entry.unit_price != price:
        entry.unit_price = price
    db.session.flush()
    return entry


def remove_price(book: PriceBook, product: Product, actor) -> bool:
    """Take `product` out of `book`; False when it had no price there."""
    permissions.require(actor, "edit", "price_book", book)
    entry = entry_for(book, product)
    if entry is None:
        return False
    db.session.delete(entry)
    db.session.flush()
    return True


def price_for(product: Product, price_book: PriceBook | None = None) -> Decimal | None:
    """What `product` costs in `price_book`: its entry there; else its list price when the
    book is in the default currency (or no book is given); else None, meaning "no price in
    this book" (a list price in another currency is never a price)."""
    if price_book is not None:
        entry = entry_for(price_book, product)
        if entry is not None:
            return entry.unit_price
        if price_book.currency != default_currency():
            return None
    return product.list_price


def book_entries(book: PriceBook) -> list[PriceBookEntry]:
    """A book's prices, by product name (the product loaded with each)."""
    query = (
        sa.select(PriceBookEntry)
        .join(Product, Product.id == PriceBookEntry.product_id)
        .where(PriceBookEntry.price_book_id == book.id)
        .order_by(Product.name, Product.id)
    )
    return list(db.session.scalars(query))


@dataclasses.dataclass(frozen=True)
class BookPrice:
    """A product's price in one book: its own entry, or what price_for falls back to."""

    book: PriceBook
    entry: PriceBookEntry | None
    price: Decimal | None


def product_prices(actor, product: Product) -> list[BookPrice]:
    """The product's price in every price book `actor` may read, by book name."""
    books = price_books(actor)
    entries = {
        entry.price_book_id: entry
        for entry in db.session.scalars(
            sa.select(PriceBookEntry).where(PriceBookEntry.product_id == product.id)
        )
    }
    currency = default_currency()
    prices = []
    for book in books:
        entry = entries.get(book.id)
        if entry is not None:
            price = entry.unit_price
        else:
            price = product.list_price if book.currency == currency else None
        prices.append(BookPrice(book, entry, price))
    return prices


def unpriced_products(book: PriceBook, limit: int = 500) -> list[sa.Row]:
    """(id, sku, name) of active products without a price in `book`, for a picker."""
    priced = sa.select(PriceBookEntry.product_id).where(PriceBookEntry.price_book_id == book.id)
    query = (
        sa.select(Product.id, Product.sku, Product.name)
        .where(Product.is_active.is_(True), Product.id.not_in(priced))
        .order_by(Product.name, Product.id)
        .limit(limit)
    )
    return list(db.session.execute(query))
