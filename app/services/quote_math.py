"""Quote arithmetic: line and quote totals in exact decimals, with one set of rounding rules.

Pure functions on `Decimal` (no floats, no Flask, no database), so the quote pages, the
PDF, the API and the tests all compute the same cents.

Rounding rules
--------------
Amounts are rounded to cents (0.01) half-up: 0.005 becomes 0.01, 0.0049 becomes 0.00,
and -0.005 becomes -0.01 (away from zero). Rounding happens per line, never on the sum:

1. Line net = quantity x unit price x (1 - line discount % / 100), rounded to cents.
2. Quote discount (optional, a percentage of the whole quote, applied before tax): the
   discount amount is subtotal x quote discount % / 100, rounded to cents. It is shared
   pro rata among the lines: each line's share is its net x quote discount % / 100,
   rounded to cents; the rounding residue (the discount amount minus the sum of the shares,
   a few cents at most) is added to the share of the line with the largest net (the first
   of equal lines), so the shares add up to the discount amount exactly. Only when that
   line cannot take it all (a share below zero or above the line's net, possible with many
   tiny lines) does the rest go to the next largest line.
3. Line tax = (line net - its share of the quote discount) x tax rate % / 100, rounded to
   cents.
4. Subtotal = sum of the line nets; tax total = sum of the line taxes;
   total = subtotal - quote discount + tax total. Every sum is exact: the totals on a quote
   always equal the sums of the figures printed on its lines.

Inputs: quantity > 0 with at most 3 decimals; unit price >= 0 with at most 2 decimals;
discounts and tax rates from 0 to 100 with at most 2 decimals. Values may be `Decimal`,
`int` or text ("12.50"); floats are refused (0.1 is not exact in binary). A bad input
raises ValueError with a message naming the field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
QUANTITY_PLACES = 3
PRICE_PLACES = 2
PERCENT_PLACES = 2


def to_cents(amount: Decimal) -> Decimal:
    """`amount` rounded half-up (away from zero) to cents."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def as_decimal(value, name: str = "value") -> Decimal:
    """`value` (Decimal, int or text) as a finite Decimal; ValueError for anything else."""
    if isinstance(value, bool | float):
        raise ValueError(
            f"{name} must be a Decimal, an integer or text, not {type(value).__name__}"
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"{name} must be a number, not {value!r}") from None
    else:
        raise ValueError(f"{name} must be a number, not {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"{name} must be a finite number")
    return number


def decimal_places(number: Decimal) -> int:
    """How many digits `number` has after the point, ignoring trailing zeros (1.50 -> 1)."""
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _checked(value, name: str, places: int, low: Decimal, high: Decimal | None = None,
             low_inclusive: bool = True) -> Decimal:  # fmt: skip
    number = as_decimal(value, name)
    if number < low or (number == low and not low_inclusive):
        relation = "at least" if low_inclusive else "more than"
        raise ValueError(f"{name} must be {relation} {low}, not {number}")
    if high is not None and number > high:
        raise ValueError(f"{name} must be at most {high}, not {number}")
    if decimal_places(number) > places:
        raise ValueError(f"{name} may have at most {places} decimals, not {number}")
    return number


def check_quantity(value) -> Decimal:
    return _checked(value, "quantity", QUANTITY_PLACES, Decimal(0), low_inclusive=False)


def check_unit_price(value) -> Decimal:
    return _checked(value, "unit price", PRICE_PLACES, Decimal(0))


def check_percent(value, name: str = "discount") -> Decimal:
    """A percentage from 0 to 100 with at most 2 decimals (discounts and tax rates)."""
    return _checked(value, name, PERCENT_PLACES, Decimal(0), HUNDRED)


@dataclasses.dataclass(frozen=True)
class Line:
    """One quote line as priced: quantity x unit price, less a discount, plus tax."""

    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Decimal(0)
    tax_rate: Decimal = Decimal(0)

    def __post_init__(self):
        object.__setattr__(self, "quantity", check_quantity(self.quantity))
        object.__setattr__(self, "unit_price", check_unit_price(self.unit_price))
        object.__setattr__(
            self, "discount_percent", check_percent(self.discount_percent, "discount")
        )
        object.__setattr__(self, "tax_rate", check_percent(self.tax_rate, "tax rate"))


@dataclasses.dataclass(frozen=True)
class LineTotals:
    """A line's figures: net before the quote discount, its share of that discount, tax."""

    net: Decimal
    quote_discount: Decimal
    tax: Decimal

    @property
    def taxable(self) -> Decimal:
        """The net after the quote discount: what the tax is computed on."""
        return self.net - self.quote_discount

    @property
    def total(self) -> Decimal:
        return self.taxable + self.tax


@dataclasses.dataclass(frozen=True)
class QuoteTotals:
    """A quote's figures; `lines` in the order given."""

    lines: tuple[LineTotals, ...]
    subtotal: Decimal
    discount: Decimal
    tax_total: Decimal

    @property
    def net_total(self) -> Decimal:
        """Subtotal less the quote discount: the taxable amount."""
        return self.subtotal - self.discount

    @property
    def total(self) -> Decimal:
        return self.subtotal - self.discount + self.tax_total


def line_net(quantity, unit_price, discount_percent=0) -> Decimal:
    """quantity x unit price x (1 - discount % / 100), rounded half-up to cents."""
    quantity = check_quantity(quantity)
    unit_price = check_unit_price(unit_price)
    discount = check_percent(discount_percent, "discount")
    return to_cents(quantity * unit_price * (HUNDRED - discount) / HUNDRED)


def line_tax(net, tax_rate) -> Decimal:
    """net x tax rate % / 100, rounded half-up to cents."""
    return to_cents(as_decimal(net, "net") * check_percent(tax_rate, "tax rate") / HUNDRED)


def line_totals(line: Line) -> LineTotals:
    """A line on a quote without a quote-level discount."""
    net = line_net(line.quantity, line.unit_price, line.discount_percent)
    return LineTotals(net=net, quote_discount=ZERO, tax=line_tax(net, line.tax_rate))


def share_discount(nets: Sequence[Decimal], discount_percent) -> list[Decimal]:
    """Each line's share of a quote discount of `discount_percent` (rule 2 of the module
    docstring): pro rata, rounded per line, the residue on the largest line."""
    percent = check_percent(discount_percent, "quote discount")
    total = to_cents(sum(nets, ZERO) * percent / HUNDRED)
    shares = [to_cents(net * percent / HUNDRED) for net in nets]
    residue = total - sum(shares, ZERO)
    largest_first = sorted(range(len(nets)), key=lambda n: (-nets[n], n))
    for n in largest_first:
        if residue == 0:
            break
        # Keep 0 <= share <= net: move as much of the residue here as the line allows.
        moved = min(residue, nets[n] - shares[n]) if residue > 0 else max(residue, -shares[n])
        shares[n] += moved
        residue -= moved
    return shares


def quote_totals(lines: Iterable[Line], discount_percent=0) -> QuoteTotals:
    """The figures of a quote: each line's, the subtotal, the quote discount (applied
    before tax), the tax total; `QuoteTotals.total` is what the customer pays."""
    lines = list(lines)
    nets = [line_net(line.quantity, line.unit_price, line.discount_percent) for line in lines]
    shares = share_discount(nets, discount_percent)
    figures = tuple(
        LineTotals(net=net, quote_discount=share, tax=line_tax(net - share, line.tax_rate))
        for line, net, share in zip(lines, nets, shares, strict=True)
    )
    return QuoteTotals(
        lines=figures,
        subtotal=sum(nets, ZERO),
        discount=sum(shares, ZERO),
        tax_total=sum((line.tax for line in figures), ZERO),
    )
