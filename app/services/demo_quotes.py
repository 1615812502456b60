"""Demo quotes and orders for `flask rapport seed`: quotes for the seeded deals (accepted
for won deals, declined for lost ones, sent or drafted for open ones; some revised, their
first version superseded) and orders over three years, most of them for won deals, dated
near the deal's close, older ones fulfilled, recent ones confirmed or pending.

Every line is priced from the seeded catalogue and every figure computed by quote_math, so
the stored totals are what the app itself would compute. Numbers run per year in date order
and number_sequences is left at the last number used, so the next quote continues the
series. Like the other demo data, rows go in with Core executemany, outside the audit trail
(see app.services.demo_customers).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models.base import person_name
from app.models.customers import Contact, Customer
from app.models.orders import NumberSequence, Order, OrderLine, OrderStatus, Quote, QuoteLine
from app.models.orders import QuoteStatus as QS
from app.models.sales import Opportunity, OpportunityStage, PriceBook, PriceBookEntry, Product
from app.services import numbering, orders, quote_math, quotes
from app.services.demo_customers import _insert, _next_id, _sync_sequences
from app.services.search import normalise

if TYPE_CHECKING:
    from app.services.demo import SeedContext

YEARS = 3
VALID_DAYS = 30
# The status of each quote's latest version, in percent; one quote in nine was revised once.
FINAL_MIX = ((QS.ACCEPTED, 35), (QS.DECLINED, 20), (QS.SENT, 25), (QS.DRAFT, 20))
REVISED_ONE_IN = 9
# Sized to a deal's amount, a line's quantity stays within what one buys of such a unit.
MAX_QUANTITY = {"seat": 500, "piece": 200, "hour": 400, "day": 60, "month": 36, "copy": 200}
INTRODUCTIONS = [
    "Thank you for your interest. Please find our proposal below.",
    "感謝貴公司的詢價，報價內容如下，敬請參考。",
    "Following our meeting, here is the offer we discussed.",
    "依照日前會議討論內容，提供報價如下。",
]
TERMS = "Payment within 30 days of invoice. 付款條件：發票開立後 30 天內付款。"
DECLINE_REASONS = ["Price too high", "Went with a competitor", "Project postponed",
                   "預算不足", "選擇其他廠商", ""]  # fmt: skip
ORDER_NOTES = ["", "", "Deliver to the Taipei office.", "請於月底前交貨。", "Invoice monthly."]
FOLLOW_ON = "Follow-on order. 追加訂單。"
TOTALS = ("discount_percent", "subtotal", "discount_amount", "tax_total", "total")
DEAL_POOLS = {
    OpportunityStage.CLOSED_WON: "won", OpportunityStage.CLOSED_LOST: "lost",
    OpportunityStage.PROPOSAL: "late", OpportunityStage.NEGOTIATION: "late",
    OpportunityStage.PROSPECTING: "early", OpportunityStage.QUALIFICATION: "early",
}  # fmt: skip
# Where the deal of a quote comes from, by the status of its latest version; a quote that
# finds none left is for a customer without a deal.
QUOTE_POOLS = {QS.ACCEPTED: ("won",), QS.DECLINED: ("lost",), QS.SENT: ("late", "early"),
               QS.DRAFT: ("early", "late")}  # fmt: skip


@dataclasses.dataclass
class _Doc:
    """A quote version or an order being planned; numbered and given ids at the end."""

    row: dict
    lines: list[dict]
    at: datetime  # when it was made: what its number's year and sequence follow


def _between(rng, start: datetime, end: datetime, count: int) -> list[datetime]:
    """`count` moments from `start` to `end`, in order. One draw each whatever the span, so
    the seconds between the seeders' clocks never change the data that follows."""
    span = max(timedelta(0), end - start)
    return sorted((start + span * rng.random()).replace(microsecond=0) for _ in range(count))


def _quantity(rng, unit: str, price: Decimal, target: Decimal | None) -> Decimal:
    cap = MAX_QUANTITY.get(unit, 3)
    if target is None or price == 0:
        wanted = rng.randint(1, max(1, cap // 10))
    else:
        wanted = int(target / price + Decimal("0.5"))
    return Decimal(min(max(wanted, 1), cap))


def _lines(rng, catalogue: list, prices: dict, target: Decimal | None) -> list[dict]:
    """1 to 5 catalogue lines; sized so their net comes near `target` when one is given."""
    chosen = rng.sample(catalogue, rng.choice([1, 1, 2, 2, 3, 3, 4, 5]))
    share = target / len(chosen) if target else None
    lines = []
    for position, (product_id, name, description, unit, tax_rate) in enumerate(chosen, 1):
        price = prices[product_id]
        lines.append({
            "position": position, "product_id": product_id, "name": name,
            "description": description, "unit": unit,
            "quantity": _quantity(rng, unit, price, share), "unit_price": price,
            "discount_percent": Decimal(rng.choice([0, 0, 0, 0, 0, 0, 0, 5, 10, 15])),
            "tax_rate": tax_rate,
        })  # fmt: skip
    return lines


def _priced(lines: list[dict], discount_percent: Decimal) -> dict:
    """Store quote_math's figures on `lines`; the document's totals."""
    totals = quote_math.quote_totals(
        [
            quote_math.Line(
                li["quantity"], li["unit_price"], li["discount_percent"], li["tax_rate"]
            )
            for li in lines
        ],
        discount_percent,
    )
    for line, figures in zip(lines, totals.lines, strict=True):
        line |= {"net": figures.net, "discount_share": figures.quote_discount, "tax": figures.tax}
    return {
        "discount_percent": discount_percent, "subtotal": totals.subtotal,
        "discount_amount": totals.discount, "tax_total": totals.tax_total, "total": totals.total,
    }  # fmt: skip


class _Planner:
    """Plans the quotes and orders in memory from the seeded customers, deals and catalogue."""

    def __init__(self, ctx: SeedContext, now: datetime):
        self.rng, self.now, self.size = ctx.rng, now, ctx.size
        self.currency = current_app.config["DEFAULT_CURRENCY"]
        self.staff = {user.id: user.name for user in ctx.staff}
        customers = sa.select(Customer.id, Customer.owner_id, Customer.name)
        self.customers = {cid: (owner, name) for cid, owner, name in db.session.execute(customers)}
        self.customer_ids = sorted(self.customers)
        contacts = sa.select(Contact.customer_id, Contact.id, Contact.first_name, Contact.last_name)
        self.contacts = {
            cid: (contact_id, person_name(first, last))
            for cid, contact_id, first, last in db.session.execute(
                contacts.where(Contact.is_primary).order_by(Contact.id)
            )
        }
        self.deals: dict[str, list] = {"won": [], "lost": [], "late": [], "early": []}
        deals = sa.select(
            Opportunity.id, Opportunity.customer_id, Opportunity.owner_id, Opportunity.name,
            Opportunity.amount, Opportunity.created_at, Opportunity.closed_at, Opportunity.stage,
        )  # fmt: skip
        for deal in db.session.execute(deals.order_by(Opportunity.id)):
            self.deals[DEAL_POOLS[deal.stage]].append(deal)
        for pool in self.deals.values():
            self.rng.shuffle(pool)
        # The home-currency books (Retail, then Distributor) and their prices.
        book_ids = db.session.scalars(
            sa.select(PriceBook.id)
            .where(PriceBook.currency == self.currency)
            .order_by(PriceBook.id)
        ).all()[:2]
        self.books = {
            book_id: dict(
                db.session.execute(
                    sa.select(PriceBookEntry.product_id, PriceBookEntry.unit_price).where(
                        PriceBookEntry.price_book_id == book_id
                    )
                ).all()
            )
            for book_id in book_ids
        }
        products = sa.select(
            Product.id, Product.name, Product.description, Product.unit, Product.tax_rate
        ).where(Product.is_active)
        self.catalogue = [
            tuple(row)
            for row in db.session.execute(products.order_by(Product.id))
            if all(row.id in prices for prices in self.books.values())
        ]
        self.quotes: list[list[_Doc]] = []
        self.orders: list[_Doc] = []
        self.won_with_orders: list = []

    def _party(self, deal) -> dict:
        """Customer, contact, owner and price book of a document, for a deal or at random."""
        customer_id = deal.customer_id if deal else self.rng.choice(self.customer_ids)
        owner, name = self.customers[customer_id]
        contact_id, contact_name = self.contacts.get(customer_id, (None, ""))
        books = list(self.books)
        # One customer in six buys at distributor prices (the second book).
        book = books[-1] if customer_id % 6 == 0 else books[0]
        return {
            "customer_id": customer_id, "customer_name": name, "contact_id": contact_id,
            "contact_name": contact_name, "owner_id": (deal.owner_id if deal else None) or owner,
            "opportunity_id": deal.id if deal else None, "price_book_id": book,
        }  # fmt: skip

    def _lines(self, party: dict, target: Decimal | None) -> list[dict]:
        return _lines(self.rng, self.catalogue, self.books[party["price_book_id"]], target)

    def _ago(self, low_days: int, high_days: int) -> datetime:
        seconds = self.rng.randint(low_days * 86_400, high_days * 86_400)
        return self.now - timedelta(seconds=seconds)

    def _deal_for(self, final: QS):
        for pool in QUOTE_POOLS[final]:
            if self.deals[pool]:
                return self.deals[pool].pop()
        return None

    def _moments(self, final: QS, deal, revised: bool) -> tuple[list[datetime], datetime]:
        """When each version was made and sent (in order), and when the quote was decided
        (or last touched, for an open one)."""
        rng = self.rng
        if final in (QS.ACCEPTED, QS.DECLINED):
            end = deal.closed_at if deal is not None else self._ago(1, YEARS * 365)
        else:
            end = self._ago(0, 50 if final is QS.SENT else 20)
            if deal is not None:
                end = max(end, min(self.now, deal.created_at + timedelta(days=1)))
        start = end - timedelta(days=rng.randint(3, 40) * (2 if revised else 1))
        if deal is not None:
            start = min(max(start, deal.created_at), end)
        events = (2 if revised else 0) + (1 if final is QS.DRAFT else 2)
        if final in (QS.ACCEPTED, QS.DECLINED):
            return _between(rng, start, end, events), end
        return [*_between(rng, start, end, events - 1), end], end

    def quote(self, final: QS, revised: bool) -> None:
        """One quote: its versions (a superseded first one when revised) and, accepted, its
        order."""
        rng = self.rng
        deal = self._deal_for(final)
        party = self._party(deal)
        lines = self._lines(party, deal.amount if deal is not None and deal.amount else None)
        discount = Decimal(rng.choice([0, 0, 0, 0, 0, 3, 5, 8, 10]))
        title = (
            deal.name if deal is not None else f"{party['customer_name'][:60]} – {lines[0]['name']}"
        )
        moments, end = self._moments(final, deal, revised)
        decided = final in (QS.ACCEPTED, QS.DECLINED)
        versions = []
        for version in (1, 2) if revised else (1,):
            last = version == (2 if revised else 1)
            made = moments[2 * version - 2]
            sent = moments[2 * version - 1] if not last or final is not QS.DRAFT else None
            if version == 2:
                # The customer negotiated: a better discount, or one line fewer.
                lines = [dict(line) for line in lines]
                if len(lines) > 1 and rng.random() < 0.3:
                    lines.pop()
                else:
                    discount = min(Decimal(15), discount + 5)
            valid_until = (sent or made).date() + timedelta(days=VALID_DAYS)
            row = {
                "version": version, "title": title[:200],
                "status": final if last else QS.SUPERSEDED,
                "customer_id": party["customer_id"], "contact_id": party["contact_id"],
                "opportunity_id": party["opportunity_id"], "price_book_id": party["price_book_id"],
                "currency": self.currency, "introduction": rng.choice(INTRODUCTIONS),
                "terms": TERMS, "sent_at": sent, "decided_at": end if last and decided else None,
                "decided_by": "", "decline_reason": "", "pdf_file": None, "pdf_rendered_at": None,
                "valid_until": max(valid_until, end.date()) if last and decided else valid_until,
                "owner_id": party["owner_id"], "created_by_id": party["owner_id"],
                "updated_by_id": party["owner_id"], "created_at": made,
                "updated_at": (end if decided else sent or made) if last else moments[2],
                "custom": {}, "customer_name": party["customer_name"],
            } | _priced(lines, discount)  # fmt: skip
            if last and decided:
                row["decided_by"] = party["contact_name"] or self.staff.get(party["owner_id"], "")
                if final is QS.DECLINED:
                    row["decline_reason"] = rng.choice(DECLINE_REASONS)
            versions.append(_Doc(row, lines, made))
        self.quotes.append(versions)
        if final is QS.ACCEPTED:
            if deal is not None:
                self.won_with_orders.append(deal)
            copies = [dict(line) for line in versions[-1].lines]
            self.order(party, end, copies, quote=versions[-1])

    def order(self, party: dict, at: datetime, lines: list[dict], quote=None, note="") -> None:
        """One order dated `at`: the older it is, the likelier it was fulfilled."""
        rng, at = self.rng, min(at, self.now)
        age, coin = (self.now - at).days, rng.random()
        if len(self.orders) % 25 == 7:
            status = OrderStatus.CANCELLED
        elif age > 45 or (age > 14 and coin < 0.5):
            status = OrderStatus.FULFILLED
        elif quote is not None or age > 5:
            status = OrderStatus.CONFIRMED
        else:
            status = OrderStatus.PENDING
        if quote is not None:
            figures = {key: quote.row[key] for key in TOTALS}
        else:
            figures = _priced(lines, Decimal(rng.choice([0, 0, 0, 0, 3, 5])))
        row = {
            "customer_id": party["customer_id"], "contact_id": party["contact_id"],
            "opportunity_id": party["opportunity_id"], "quote": quote, "status": status,
            "order_date": at.date(), "currency": self.currency,
            "notes": note or rng.choice(ORDER_NOTES), "owner_id": party["owner_id"],
            "created_by_id": party["owner_id"], "updated_by_id": party["owner_id"],
            "created_at": at, "updated_at": at, "custom": {},
            "customer_name": party["customer_name"],
        } | figures  # fmt: skip
        self.orders.append(_Doc(row, lines, at))

    def plan(self) -> None:
        """Quotes first (accepted ones bring their orders), then the other orders."""
        rng = self.rng
        quote_count, order_count = self.size.get("quotes", 0), self.size.get("orders", 0)
        series = quote_count - quote_count // REVISED_ONE_IN
        revised = set(rng.sample(range(series), quote_count - series))
        finals = [status for status, percent in FINAL_MIX for _ in range(series * percent // 100)]
        finals += [QS.DRAFT] * (series - len(finals))
        while finals.count(QS.ACCEPTED) > order_count:
            finals[finals.index(QS.ACCEPTED)] = QS.SENT
        for n, final in enumerate(finals):
            self.quote(final, n in revised)
        # A tenth of the orders are repeat business without a deal. The rest: orders of won
        # deals that had no accepted quote, then follow-on orders of won deals.
        with_deals = order_count - order_count // 10
        for deal in self.deals["won"][: max(0, with_deals - len(self.orders))]:
            party = self._party(deal)
            self.order(party, deal.closed_at + timedelta(days=rng.randint(0, 10)),
                       self._lines(party, deal.amount or None))  # fmt: skip
            self.won_with_orders.append(deal)
        room = max(0, with_deals - len(self.orders))
        for deal in rng.sample(self.won_with_orders, min(room, len(self.won_with_orders))):
            party = self._party(deal)
            target = (deal.amount or Decimal(10_000)) * rng.randint(10, 40) / 100
            when = deal.closed_at + timedelta(days=rng.randint(14, 120))
            self.order(party, when, self._lines(party, target), note=FOLLOW_ON)
        for n in range(order_count - len(self.orders)):
            # A quarter of the repeat orders came in the last two weeks: work in progress.
            when = {0: self._ago(0, 5), 4: self._ago(6, 14)}.get(n % 8) or self._ago(0, YEARS * 365)
            party = self._party(None)
            self.order(party, when, self._lines(party, None))


def _numbered(docs: list[_Doc], prefix: str) -> dict[str, int]:
    """Number `docs` per year in the order they were made; the last number of each year."""
    last: Counter = Counter()
    for doc in sorted(docs, key=lambda doc: doc.at):
        series = f"{prefix}-{doc.at.year}"
        last[series] += 1
        doc.row["number"] = f"{series}-{last[series]:0{numbering.WIDTH}d}"
    return last


def _rows(docs: list[_Doc], model, line_model, key: str) -> tuple[list[dict], list[dict]]:
    """The rows of `docs` and of their lines, ids given in the order the documents were
    made."""
    rows, lines = [], []
    next_id, next_line = _next_id(model), _next_id(line_model)
    for doc in sorted(docs, key=lambda doc: doc.at):
        doc.row["id"] = next_id
        next_id += 1
        for line in doc.lines:
            lines.append(line | {"id": next_line, key: doc.row["id"]})
            next_line += 1
        rows.append(doc.row)
    return rows, lines


def seed_quotes(ctx: SeedContext) -> dict:
    """Quotes and orders for the deals and customers seeded before; returns the counts."""
    empty = {"quotes": 0, "quote_lines": 0, "orders": 0, "order_lines": 0}
    planner = _Planner(ctx, datetime.now(UTC).replace(microsecond=0))
    if not planner.customers or not planner.catalogue or not planner.books:
        return empty
    planner.plan()
    firsts = [versions[0] for versions in planner.quotes]
    last_numbers = _numbered(firsts, quotes.NUMBER_PREFIX)
    for versions in planner.quotes:
        for doc in versions[1:]:
            doc.row["number"] = versions[0].row["number"]
    last_numbers |= _numbered(planner.orders, orders.NUMBER_PREFIX)
    quote_rows, quote_lines = _rows(
        [doc for versions in planner.quotes for doc in versions], Quote, QuoteLine, "quote_id"
    )
    for row in quote_rows:
        row["search_text"] = normalise(row["number"], row["title"], row.pop("customer_name"))
    order_rows, order_lines = _rows(planner.orders, Order, OrderLine, "order_id")
    for row in order_rows:
        quote = row.pop("quote")
        row["quote_id"] = quote.row["id"] if quote is not None else None
        if quote is not None:
            reference = quote.row["number"] + (
                f" v{quote.row['version']}" if quote.row["version"] > 1 else ""
            )
            row["notes"] = f"From quote {reference}."
        row["search_text"] = normalise(row["number"], row.pop("customer_name"))
    counts = {
        "quotes": _insert(Quote.__table__, quote_rows),
        "quote_lines": _insert(QuoteLine.__table__, quote_lines),
        "orders": _insert(Order.__table__, order_rows),
        "order_lines": _insert(OrderLine.__table__, order_lines),
    }
    db.session.execute(
        sa.insert(NumberSequence),
        [{"name": name, "last_value": value} for name, value in sorted(last_numbers.items())],
    )
    _sync_sequences(Quote, QuoteLine, Order, OrderLine)
    return counts
