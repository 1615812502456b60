"""Forms of the order pages. They shape the inputs; the rules and their messages live in
app.services.orders and app.services.document_lines."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from app.blueprints.customers.forms import OwnedForm, _optional_int


class OrderForm(OwnedForm):
    customer_id = IntegerField(_l("Customer number"), validators=[Optional()])
    contact_id = IntegerField(_l("Contact number (optional)"), validators=[Optional()])
    opportunity_id = IntegerField(_l("Opportunity number (optional)"), validators=[Optional()])
    order_date = StringField(_l("Order date"), render_kw={"type": "date"})
    currency = StringField(_l("Currency"))
    discount_percent = StringField(_l("Order discount (%)"))
    notes = TextAreaField(_l("Notes"))

    NAMES = (
        "customer_id", "contact_id", "opportunity_id", "order_date", "currency",
        "discount_percent", "notes", "owner_id",
    )  # fmt: skip

    def values(self, names=NAMES) -> dict:
        """The keyword arguments for create_order / update_order."""
        values = {name: self[name].data for name in names}
        if isinstance(values.get("order_date"), str):
            values["order_date"] = values["order_date"].strip()
        return values


class OrderLineForm(FlaskForm):
    product_id = SelectField(_l("Product (optional)"), coerce=_optional_int, validate_choice=False)
    name = StringField(_l("Name, empty for the product's"))
    quantity = StringField(_l("Quantity"), default="1")
    unit_price = StringField(_l("Unit price, empty for the list price"))
    discount_percent = StringField(_l("Discount (%)"))
    tax_rate = StringField(_l("Tax rate (%), empty for the product's"))

    def values(self, new: bool) -> dict:
        """Line fields for orders.add_line / update_line: a new line leaves empty fields to
        its product; an edit sends what it shows."""
        names = ("name", "quantity", "unit_price", "discount_percent", "tax_rate")
        values = {name: (self[name].data or "").strip() for name in names}
        if new:
            values = {key: value for key, value in values.items() if value}
            if self.product_id.data:
                values["product_id"] = self.product_id.data
        return values

    def show_errors(self, errors: dict) -> None:
        for key, message in errors.items():
            field = self._fields.get(key)
            (field.errors if field is not None else self.form_errors).append(message)


class OrderStatusForm(FlaskForm):
    status = HiddenField()
