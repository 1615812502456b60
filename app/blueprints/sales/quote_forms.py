"""Forms of the quote pages. They shape the inputs; the rules (and their messages) live in
app.services.quotes and app.services.document_lines, whose RecordInvalid errors
`show_errors` puts back on the fields."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app import permissions
from app.blueprints.customers.forms import OwnedForm, _optional_int
from app.extensions import db
from app.models.customers import Contact, Customer
from app.models.sales import Opportunity, Product
from app.services import contacts, price_books

HEADER_FIELDS = (
    "title", "customer_id", "contact_id", "opportunity_id", "price_book_id", "currency",
    "valid_until", "discount_percent", "introduction", "terms", "owner_id",
)  # fmt: skip
LINE_FIELDS = ("name", "description", "unit", "quantity", "unit_price", "discount_percent",
               "tax_rate")  # fmt: skip


def _show_errors(form, errors: dict) -> None:
    for key, message in errors.items():
        field = form._fields.get(key)
        (field.errors if field is not None else form.form_errors).append(message)


class QuoteForm(OwnedForm):
    """A quote's header: who it is for, its price book, currency, validity and texts."""

    title = StringField(_l("Title"))
    customer_id = SelectField(_l("Customer"), coerce=_optional_int, validate_choice=False)
    contact_id = SelectField(_l("Contact"), coerce=_optional_int, validate_choice=False)
    opportunity_id = SelectField(_l("Opportunity"), coerce=_optional_int, validate_choice=False)
    price_book_id = SelectField(_l("Price book"), coerce=_optional_int, validate_choice=False)
    currency = StringField(_l("Currency"))
    valid_until = StringField(_l("Valid until"), render_kw={"type": "date"})
    discount_percent = StringField(_l("Quote discount (%)"), default="0")
    introduction = TextAreaField(_l("Introduction"))
    terms = TextAreaField(_l("Terms"))

    def set_choices(self, actor, quote=None) -> None:
        """Customers the user may edit (the quote's own one kept), that customer's contacts
        and deals, the active price books."""
        rows = contacts.linkable_customers(actor)
        choices = [SelectChoice("", _l("Choose a customer"))]
        choices += [SelectChoice(customer_id, name) for customer_id, name in rows]
        current = self.customer_id.data or (quote.customer_id if quote else None)
        if current and all(customer_id != current for customer_id, _ in rows):
            customer = db.session.get(Customer, current)
            # The quote's own customer stays shown even when the rep may no longer link it.
            own = quote is not None and current == quote.customer_id
            if customer is not None and (
                own or permissions.can(actor, "read", "customer", customer)
            ):
                choices.insert(1, SelectChoice(customer.id, customer.name))
        self.customer_id.choices = choices
        self.set_customer_choices(actor, current)
        if quote is not None and current == quote.customer_id:
            self._keep(self.contact_id, Contact, quote.contact_id, "full_name")
            self._keep(self.opportunity_id, Opportunity, quote.opportunity_id, "name")
        books = price_books.price_books(actor, active_only=True)
        self.price_book_id.choices = [SelectChoice("", _l("List prices"))] + [
            SelectChoice(book.id, f"{book.name} ({book.currency})") for book in books
        ]

    @staticmethod
    def _keep(field, model, record_id, label: str) -> None:
        """Keep the quote's own contact or deal offered, even if no longer linkable."""
        if record_id and all(choice.value != record_id for choice in field.choices):
            record = db.session.get(model, record_id)
            if record is not None:
                field.choices.insert(1, SelectChoice(record.id, getattr(record, label)))

    def set_customer_choices(self, actor, customer_id) -> None:
        """The contacts and deals of `customer_id` the user may link to."""
        self.contact_id.choices = [SelectChoice("", _l("No contact"))]
        self.opportunity_id.choices = [SelectChoice("", _l("No opportunity"))]
        if not customer_id:
            return
        people = db.session.scalars(
            sa.select(Contact)
            .where(
                Contact.customer_id == customer_id,
                permissions.visible(actor, "contact", Contact.owner_id, "edit"),
            )
            .order_by(Contact.last_name, Contact.first_name, Contact.id)
            .limit(200)
        )
        self.contact_id.choices += [SelectChoice(c.id, c.full_name) for c in people]
        deals = db.session.execute(
            sa.select(Opportunity.id, Opportunity.name)
            .where(
                Opportunity.customer_id == customer_id,
                permissions.visible(actor, "opportunity", Opportunity.owner_id, "edit"),
            )
            .order_by(Opportunity.name, Opportunity.id)
            .limit(200)
        ).tuples()
        self.opportunity_id.choices += [SelectChoice(i, name) for i, name in deals]

    def values(self) -> dict:
        """The keyword arguments for create_quote / update_quote."""
        return {name: self[name].data for name in HEADER_FIELDS}

    def show_errors(self, errors: dict) -> None:
        _show_errors(self, errors)


class LineForm(FlaskForm):
    """A line: a product (its name, unit, tax and price taken when left empty) or typed."""

    product_id = SelectField(_l("Product"), coerce=_optional_int, validate_choice=False)
    name = StringField(_l("Name"))
    description = StringField(_l("Description"))
    unit = StringField(_l("Unit"))
    quantity = StringField(_l("Quantity"), default="1")
    unit_price = StringField(_l("Unit price"))
    discount_percent = StringField(_l("Discount (%)"))
    tax_rate = StringField(_l("Tax (%)"))

    def set_product_choices(self) -> None:
        rows = db.session.execute(
            sa.select(Product.id, Product.name, Product.sku)
            .where(Product.is_active.is_(True))
            .order_by(Product.name)
            .limit(500)
        ).tuples()
        self.product_id.choices = [SelectChoice("", _l("A typed line (no product)"))] + [
            SelectChoice(i, f"{name} ({sku})") for i, name, sku in rows
        ]

    def fill(self, line) -> None:
        """Show a line's stored values (numbers without trailing zeros)."""
        for name in LINE_FIELDS:
            value = getattr(line, name)
            self[name].data = (
                _plain(value) if name not in ("name", "description", "unit") else value
            )

    def values(self, with_product: bool) -> dict:
        """The keyword arguments for quotes.add_line (with the product) / update_line."""
        values = {name: self[name].data for name in LINE_FIELDS}
        if with_product:
            values["product_id"] = self.product_id.data
        return values

    def show_errors(self, errors: dict) -> None:
        _show_errors(self, errors)


def _plain(value) -> str:
    """A Decimal as typed: 3, 19.99, 12.5 (not 3.000 or 1E+1)."""
    text = format(value.normalize(), "f") if value is not None else ""
    return text


class DecisionForm(FlaskForm):
    """The customer's decision on a sent quote, as a user records it."""

    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("accept", _l("Accepted")), SelectChoice("decline", _l("Declined"))],
        default="accept",
        validate_choice=False,
    )
    name = StringField(_l("Decided by (the customer's name)"))
    reason = StringField(_l("Reason for declining"))

    def show_errors(self, errors: dict) -> None:
        _show_errors(self, errors)
