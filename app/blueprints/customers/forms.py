"""Forms of the customer and contact pages. They shape the inputs; the rules (and their
messages) live in app.services.customers and app.services.contacts, whose RecordInvalid
errors `show_errors` puts back on the fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from app.models.customers import AddressKind, CustomerSize, CustomerStatus, Rating
from app.services import contacts, record_checks
from app.services.custom_field_forms import PREFIX

STATUS_LABELS = {
    CustomerStatus.LEAD: _l("Lead"),
    CustomerStatus.PROSPECT: _l("Prospect"),
    CustomerStatus.CUSTOMER: _l("Customer"),
    CustomerStatus.PARTNER: _l("Partner"),
}
SIZE_LABELS = {
    CustomerSize.SMALL: _l("Small"),
    CustomerSize.MEDIUM: _l("Medium"),
    CustomerSize.LARGE: _l("Large"),
    CustomerSize.ENTERPRISE: _l("Enterprise"),
}
RATING_LABELS = {Rating.HOT: _l("Hot"), Rating.WARM: _l("Warm"), Rating.COLD: _l("Cold")}
ADDRESS_LABELS = {
    AddressKind.BILLING: _l("Billing address"),
    AddressKind.SHIPPING: _l("Shipping address"),
    AddressKind.OTHER: _l("Other address"),
}
STATUS_KINDS = {"LEAD": "neutral", "PROSPECT": "info", "CUSTOMER": "success", "PARTNER": "warning"}
RATING_KINDS = {"HOT": "danger", "WARM": "warning", "COLD": "info"}


def enum_choices(labels: dict, empty=None) -> list[SelectChoice]:
    choices = [SelectChoice("", empty)] if empty is not None else []
    return choices + [SelectChoice(member.value, label) for member, label in labels.items()]


def _optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


def _enum_value(value) -> str:
    """A stored enum member or a submitted string, as the option value ("" when unset)."""
    return "" if value is None else str(getattr(value, "value", value))


class AddressForm(Form):
    line1 = StringField(_l("Street"))
    line2 = StringField(_l("Street, second line"))
    postal_code = StringField(_l("Postal code"))
    city = StringField(_l("City"))
    region = StringField(_l("Region"))
    country = StringField(_l("Country (2 letters)"))


class OwnedForm(FlaskForm):
    owner_id = SelectField(_l("Owner"), coerce=_optional_int, validate_choice=False)

    def set_owner_choices(self, actor, entity: str, current_owner=None) -> None:
        users = record_checks.assignable_users(actor, entity)
        choices = [SelectChoice(user.id, user.name) for user in users]
        if current_owner is not None and all(user.id != current_owner.id for user in users):
            choices.insert(0, SelectChoice(current_owner.id, current_owner.name))
        self.owner_id.choices = choices
        if self.owner_id.data is None:
            self.owner_id.data = current_owner.id if current_owner else actor.id

    def show_errors(self, errors: dict) -> None:
        """Put a service's messages on the fields they are about (the rest above the form)."""
        for key, message in errors.items():
            name = key.replace("custom.", PREFIX, 1).replace("addresses.", "address_", 1)
            name, _, sub = name.partition(".")
            if name.startswith("address_") and sub:
                index = name.removeprefix("address_")
                name = f"address_{list(AddressKind)[int(index)].value.lower()}"
                block = self._fields.get(name)
                field = block[sub] if block is not None else None
            else:
                field = self._fields.get(name)
            (field.errors if field is not None else self.form_errors).append(message)


class CustomerForm(OwnedForm):
    name = StringField(_l("Name"))
    company = StringField(_l("Company"))
    industry = StringField(_l("Industry"))
    size = SelectField(_l("Size"), coerce=_enum_value, validate_choice=False)
    status = SelectField(_l("Status"), coerce=_enum_value, validate_choice=False)
    rating = SelectField(_l("Rating"), coerce=_enum_value, validate_choice=False)
    source = StringField(_l("Source"))
    website = StringField(_l("Website"))
    email = StringField(_l("Email"))
    phone = StringField(_l("Phone"))
    description = TextAreaField(_l("Description"))
    address_billing = FormField(AddressForm, label=ADDRESS_LABELS[AddressKind.BILLING])
    address_shipping = FormField(AddressForm, label=ADDRESS_LABELS[AddressKind.SHIPPING])
    address_other = FormField(AddressForm, label=ADDRESS_LABELS[AddressKind.OTHER])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.size.choices = enum_choices(SIZE_LABELS, _l("Not set"))
        self.status.choices = enum_choices(STATUS_LABELS)
        self.rating.choices = enum_choices(RATING_LABELS, _l("Not rated"))

    def fill_addresses(self, customer) -> None:
        """Show the customer's first address of each kind in its block."""
        for address in reversed(customer.addresses):
            block = self[f"address_{address.kind.value.lower()}"]
            for name in block.form.data:
                block[name].data = getattr(address, name)

    def values(self, custom: dict) -> dict:
        """The keyword arguments for create_customer / update_customer."""
        fields = ("name", "company", "industry", "size", "status", "rating", "source")
        values = {name: self[name].data for name in fields}
        for name in ("website", "email", "phone", "description", "owner_id"):
            values[name] = self[name].data
        values["addresses"] = [
            {"kind": kind.value, **self[f"address_{kind.value.lower()}"].data}
            for kind in AddressKind
        ]
        values["custom"] = custom
        return values


class ContactForm(OwnedForm):
    first_name = StringField(_l("First name"))
    last_name = StringField(_l("Last name"))
    customer_id = SelectField(_l("Customer"), coerce=_optional_int, validate_choice=False)
    is_primary = BooleanField(_l("Primary contact of this customer"))
    title = StringField(_l("Job title"))
    department = StringField(_l("Department"))
    email = StringField(_l("Email"))
    phone = StringField(_l("Phone"))
    mobile = StringField(_l("Mobile"))

    def set_customer_choices(self, actor, current=None) -> None:
        """Only customers the user may edit: linking needs edit rights on both ends."""
        rows = contacts.linkable_customers(actor)
        choices = [SelectChoice("", _l("No customer"))]
        choices += [SelectChoice(customer_id, name) for customer_id, name in rows]
        if current is not None and all(customer_id != current.id for customer_id, _ in rows):
            choices.insert(1, SelectChoice(current.id, current.name))
        self.customer_id.choices = choices

    def values(self, custom: dict) -> dict:
        names = ("first_name", "last_name", "title", "department", "email", "phone", "mobile")
        values = {name: self[name].data for name in names}
        values |= {
            "customer_id": self.customer_id.data,
            "is_primary": self.is_primary.data,
            "owner_id": self.owner_id.data,
            "custom": custom,
        }
        return values


class SavedViewForm(FlaskForm):
    name = StringField(_l("Name of this view"), validators=[Optional()])


class CreditRatingForm(FlaskForm):
    rating = StringField(_l("Credit rating"))
    note = StringField(_l("Why it changed"))
