"""The lines of quotes and orders: input checked once for both, product defaults (name,
unit, tax rate, the price from the document's price book), and the document's figures
recomputed by quote_math after every change, so stored totals always match the lines."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext

from app.extensions import db
from app.models.sales import PriceBook, Product
from app.services import price_books, quote_math
from app.services.record_checks import check_text
from app.services.validation import RecordInvalid

LINE_FIELDS = (
    "product_id", "name", "description", "unit", "quantity", "unit_price",
    "discount_percent", "tax_rate",
)  # fmt: skip
COPIED_COLUMNS = LINE_FIELDS + ("position", "net", "discount_share", "tax")
NAME_LENGTH = 200
UNIT_LENGTH = 20
DESCRIPTION_LENGTH = 2_000
MAX_QUANTITY = Decimal("999999999.999")  # Numeric(12, 3)
MAX_PRICE = Decimal("999999999999.99")  # Numeric(14, 2)


def _number(check, raw, limit: Decimal, errors: dict, key: str, message: str):
    try:
        value = check(raw)
    except ValueError:
        errors[key] = message
        return None
    if value > limit:
        errors[key] = message
        return None
    return value


def _product(raw, errors: dict) -> Product | None:
    if raw in (None, ""):
        return None
    product = db.session.get(Product, int(raw)) if str(raw).strip().isdigit() else None
    if product is None or not product.is_active:
        errors["product_id"] = gettext("Choose an active product.")
        return None
    return product


def check_line(fields: dict, price_book: PriceBook | None, current=None) -> dict:
    """The values to store for a line from `fields`; a new line (current None) takes what
    it is not given from its product. Raises RecordInvalid with every problem at once."""
    unknown = set(fields) - set(LINE_FIELDS)
    if unknown:
        raise TypeError(f"unknown line fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    product = None
    if "product_id" in fields:
        product = _product(fields["product_id"], errors)
        values["product_id"] = product.id if product else None
    if current is None and product is not None:
        defaults = {
            "name": product.name,
            "description": product.description,
            "unit": product.unit,
            "tax_rate": product.tax_rate,
        }
        fields = {key: value for key, value in fields.items() if value not in (None, "")}
        fields = defaults | fields
        if "unit_price" not in fields:
            price = price_books.price_for(product, price_book)
            if price is None:
                errors["unit_price"] = gettext(
                    "%(product)s has no price in %(book)s: enter one.",
                    product=product.name, book=price_book.name,
                )  # fmt: skip
            fields["unit_price"] = price
    given = fields
    if current is None or "name" in given:
        values["name"] = check_text(
            given, "name", NAME_LENGTH, errors, gettext("Name the line or choose a product.")
        )
    if current is None or "unit" in given:
        values["unit"] = check_text(given, "unit", UNIT_LENGTH, errors)
    if current is None or "description" in given:
        values["description"] = str(given.get("description") or "").strip()
        if len(values["description"]) > DESCRIPTION_LENGTH:
            errors["description"] = gettext(
                "Use at most %(max)d characters.", max=DESCRIPTION_LENGTH
            )
    percent_message = gettext("Enter a percentage from 0 to 100, with at most 2 decimals.")
    checks = {
        "quantity": (
            quote_math.check_quantity, MAX_QUANTITY,
            gettext("Enter a quantity of more than 0, with at most 3 decimals."),
        ),
        "unit_price": (
            quote_math.check_unit_price, MAX_PRICE,
            gettext("Enter a price of 0 or more, with at most 2 decimals."),
        ),
        "discount_percent": (quote_math.check_percent, Decimal(100), percent_message),
        "tax_rate": (quote_math.check_percent, Decimal(100), percent_message),
    }  # fmt: skip
    for key, (check, limit, message) in checks.items():
        if current is not None and key not in given:
            continue
        raw = given.get(key)
        if raw in (None, "") and key in ("discount_percent", "tax_rate"):
            raw = "0"
        if "unit_price" in errors and key == "unit_price":
            continue
        value = _number(check, raw if raw is not None else "", limit, errors, key, message)
        if value is not None:
            values[key] = value
    if errors:
        raise RecordInvalid(errors)
    return values


def recalculate(document) -> None:
    """Store every line's figures and the document's totals, as quote_math computes them."""
    lines = list(document.lines)
    totals = quote_math.quote_totals(
        (
            quote_math.Line(line.quantity, line.unit_price, line.discount_percent, line.tax_rate)
            for line in lines
        ),
        document.discount_percent or 0,
    )
    for line, figures in zip(lines, totals.lines, strict=True):
        line.net = figures.net
        line.discount_share = figures.quote_discount
        line.tax = figures.tax
    document.subtotal = totals.subtotal
    document.discount_amount = totals.discount
    document.tax_total = totals.tax_total
    document.total = totals.total


def add_line(document, line_class, fields: dict, price_book: PriceBook | None = None):
    """Append a line to `document` (a quote or an order) and recompute its totals."""
    values = check_line(fields, price_book)
    position = max((line.position for line in document.lines), default=0) + 1
    line = line_class(position=position, **values)
    document.lines.append(line)
    recalculate(document)
    db.session.flush()
    return line


def update_line(document, line, fields: dict) -> None:
    values = check_line(fields, None, current=line)
    for key, value in values.items():
        setattr(line, key, value)
    recalculate(document)
    db.session.flush()


def remove_line(document, line) -> None:
    document.lines.remove(line)
    recalculate(document)
    db.session.flush()


def find_line(document, line_id):
    """The line `line_id` of `document`, or None (never another document's line)."""
    return next((line for line in document.lines if str(line.id) == str(line_id)), None)


def copy_lines(source, target, line_class) -> None:
    """Give `target` copies of `source`'s lines, figures included, in the same order."""
    for line in source.lines:
        target.lines.append(
            line_class(**{column: getattr(line, column) for column in COPIED_COLUMNS})
        )
