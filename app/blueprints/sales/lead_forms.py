"""Forms of the lead pages. They shape the inputs; the rules (and their messages) live in
app.services.leads, whose RecordInvalid errors `show_errors` puts back on the fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from app.blueprints.customers.forms import OwnedForm, _enum_value, _optional_int, enum_choices
from app.services import contacts, leads
from app.services.leads import SOURCE_LABELS, STATUS_LABELS

STATUS_KINDS = {
    "NEW": "info",
    "CONTACTED": "neutral",
    "QUALIFIED": "success",
    "UNQUALIFIED": "warning",
    "CONVERTED": "success",
}
_TEXT = (
    "first_name", "last_name", "company", "title", "email", "phone", "mobile", "website",
    "industry", "employees", "annual_revenue", "country", "region", "city", "source_detail",
    "description",
)  # fmt: skip


class LeadForm(OwnedForm):
    first_name = StringField(_l("First name"))
    last_name = StringField(_l("Last name"))
    company = StringField(_l("Company"))
    title = StringField(_l("Job title"))
    email = StringField(_l("Email"))
    phone = StringField(_l("Phone"))
    mobile = StringField(_l("Mobile"))
    website = StringField(_l("Website"))
    industry = StringField(_l("Industry"))
    # Text, not IntegerField/DecimalField: the service checks them and says what is wrong.
    employees = StringField(_l("Employees"))
    annual_revenue = StringField(_l("Annual revenue"))
    country = StringField(_l("Country (2 letters)"))
    region = StringField(_l("Region"))
    city = StringField(_l("City"))
    source = SelectField(_l("Source"), coerce=_enum_value, validate_choice=False)
    source_detail = StringField(_l("Source detail"))
    status = SelectField(_l("Status"), coerce=_enum_value, validate_choice=False)
    description = TextAreaField(_l("Description"))

    def __init__(self, *args, converted: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.source.choices = enum_choices(SOURCE_LABELS)
        statuses = {k: v for k, v in STATUS_LABELS.items() if converted or k.value != "CONVERTED"}
        self.status.choices = enum_choices(statuses)

    def values(self, custom: dict) -> dict:
        """The keyword arguments for create_lead / update_lead."""
        values = {name: self[name].data for name in _TEXT}
        values |= {
            "source": self.source.data,
            "status": self.status.data,
            "owner_id": self.owner_id.data,
            "custom": custom,
        }
        return values


class ConvertForm(FlaskForm):
    """Convert a lead: a new or an existing customer and contact, and maybe a deal."""

    customer_choice = RadioField(
        _l("Customer"),
        choices=[
            SelectChoice("new", _l("Create a new customer")),
            SelectChoice("existing", _l("Link an existing one")),
        ],
        default="new",
    )
    customer_id = SelectField(_l("Existing customer"), coerce=_optional_int, validate_choice=False)
    contact_choice = RadioField(
        _l("Contact"),
        choices=[
            SelectChoice("new", _l("Create a new contact")),
            SelectChoice("existing", _l("Link an existing one")),
        ],
        default="new",
    )
    contact_id = SelectField(_l("Existing contact"), coerce=_optional_int, validate_choice=False)
    create_opportunity = BooleanField(_l("Create an opportunity"))
    opportunity_name = StringField(_l("Opportunity name"))
    amount = StringField(_l("Amount"))
    expected_close_date = DateField(_l("Expected close date"), validators=[Optional()])

    def set_choices(self, actor) -> None:
        """Only customers and contacts the user may edit: linking needs edit rights."""
        self.customer_id.choices = [SelectChoice("", _l("Choose a customer"))] + [
            SelectChoice(customer_id, name)
            for customer_id, name in contacts.linkable_customers(actor)
        ]
        self.contact_id.choices = [SelectChoice("", _l("Choose a contact"))] + [
            SelectChoice(contact_id, name) for contact_id, name, _ in leads.linkable_contacts(actor)
        ]

    def values(self) -> dict:
        """The keyword arguments for convert_lead."""
        existing_customer = self.customer_choice.data == "existing"
        existing_contact = self.contact_choice.data == "existing"
        return {
            # 0 when "existing" is ticked but none chosen: refused, never a new record.
            "customer_id": (self.customer_id.data or 0) if existing_customer else None,
            "contact_id": (self.contact_id.data or 0) if existing_contact else None,
            "create_opportunity": bool(self.create_opportunity.data),
            "opportunity_name": self.opportunity_name.data or "",
            "amount": self.amount.data or None,
            "expected_close_date": self.expected_close_date.data,
        }

    def show_errors(self, errors: dict) -> None:
        """Link errors on their pickers; errors of the records made, above the form."""
        self.general_errors = []
        for key, message in errors.items():
            name = key.removeprefix("opportunity.")
            if name in ("amount", "expected_close_date") or key in ("customer_id", "contact_id"):
                self[name].errors = [*self[name].errors, message]
            elif key == "opportunity.name":
                self.opportunity_name.errors = [*self.opportunity_name.errors, message]
            else:
                self.general_errors.append(message)
