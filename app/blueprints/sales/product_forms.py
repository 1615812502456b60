"""Forms of the product and price book pages. They shape the inputs (amounts as text, so
the service reads them as exact decimals); the rules and their messages live in
app.services.products, whose RecordInvalid errors `show_errors` puts back on the fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice


def _optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class CatalogueForm(FlaskForm):
    """A form whose service reports errors by field name."""

    def show_errors(self, errors: dict) -> None:
        """Put a service's messages on the fields they are about (the rest above the form)."""
        for key, message in errors.items():
            field = self._fields.get(key)
            (field.errors if field is not None else self.form_errors).append(message)

    def values(self) -> dict:
        """The keyword arguments for the service's create/update function."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class ProductForm(CatalogueForm):
    sku = StringField(_l("SKU"))
    name = StringField(_l("Name"))
    unit = StringField(_l("Unit"))
    list_price = StringField(_l("List price"))
    tax_rate = StringField(_l("Tax rate (%)"), default="5")
    description = TextAreaField(_l("Description"))
    is_active = BooleanField(_l("Active (offered on new quotes)"), default=True)


class PriceBookForm(CatalogueForm):
    name = StringField(_l("Name"))
    currency = StringField(_l("Currency (3 letters)"))
    description = TextAreaField(_l("Description"))
    is_active = BooleanField(_l("Active"), default=True)


class PriceForm(CatalogueForm):
    """A product's price in a price book: the product is chosen when adding one."""

    product_id = SelectField(_l("Product"), coerce=_optional_int, validate_choice=False)
    unit_price = StringField(_l("Price"))

    def set_product_choices(self, rows) -> None:
        self.product_id.choices = [SelectChoice(row.id, f"{row.sku} {row.name}") for row in rows]
