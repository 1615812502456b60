"""Forms of the ticket pages. They shape the inputs; the rules (and their messages) live in
app.services.tickets, .ticket_attachments and .ticket_merge, whose RecordInvalid errors
`show_errors` puts back on the fields."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app import permissions
from app.blueprints.customers.forms import _optional_int, enum_choices
from app.extensions import db
from app.models.customers import Contact, Customer
from app.models.identity import Team, User
from app.models.service import TicketCategory
from app.services import tickets

TICKET_FIELDS = (
    "subject", "description", "customer_id", "contact_id", "priority", "channel",
    "category_id", "team_id",
)  # fmt: skip
# A service error about the file goes on the form's file field.
_ERROR_FIELDS = {"file": "attachments"}


def _show_errors(form, errors: dict) -> None:
    for key, message in errors.items():
        field = form._fields.get(_ERROR_FIELDS.get(key, key))
        (field.errors if field is not None else form.form_errors).append(message)


def uploaded_files(field) -> list:
    """The files actually chosen in a file input (browsers send an empty part when none)."""
    return [upload for upload in (field.data or []) if upload and upload.filename]


def agent_choices(empty_label) -> list[SelectChoice]:
    """Active colleagues who may work on tickets, by name."""
    users = db.session.execute(
        sa.select(User.id, User.name, User.role)
        .where(User.is_active.is_(True))
        .order_by(User.name, User.id)
        .limit(500)
    )
    return [SelectChoice("", empty_label)] + [
        SelectChoice(user_id, name)
        for user_id, name, role in users
        if permissions.role_scope(role, "ticket", "edit") is not permissions.Scope.NONE
    ]


class TicketForm(FlaskForm):
    """A ticket's header: who it is from, what about, how urgent, which queue."""

    subject = StringField(_l("Subject"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 6})
    customer_id = SelectField(_l("Customer"), coerce=_optional_int, validate_choice=False)
    contact_id = SelectField(_l("Contact"), coerce=_optional_int, validate_choice=False)
    priority = SelectField(_l("Priority"), validate_choice=False, default="MEDIUM")
    channel = SelectField(_l("Channel"), validate_choice=False, default="PHONE")
    category_id = SelectField(_l("Category"), coerce=_optional_int, validate_choice=False)
    team_id = SelectField(_l("Team (queue)"), coerce=_optional_int, validate_choice=False)
    owner_id = SelectField(_l("Assignee"), coerce=_optional_int, validate_choice=False)
    attachments = MultipleFileField(_l("Attachments"))

    def set_choices(self, actor, ticket=None) -> None:
        self.priority.choices = enum_choices(tickets.PRIORITY_LABELS)
        self.channel.choices = enum_choices(tickets.CHANNEL_LABELS)
        customers = db.session.execute(
            sa.select(Customer.id, Customer.name)
            .where(permissions.visible(actor, "customer", Customer.owner_id))
            .order_by(Customer.name, Customer.id)
            .limit(500)
        ).tuples()
        self.customer_id.choices = [SelectChoice("", _l("No customer"))] + [
            SelectChoice(customer_id, name) for customer_id, name in customers
        ]
        current = self.customer_id.data
        if ticket is not None and current == ticket.customer_id:
            _keep(self.customer_id, Customer, current, "name")
        self.set_contact_choices(actor, current)
        if ticket is not None and self.contact_id.data == ticket.contact_id:
            _keep(self.contact_id, Contact, ticket.contact_id, "full_name")
        categories = db.session.execute(
            sa.select(TicketCategory.id, TicketCategory.name)
            .where(TicketCategory.is_active.is_(True))
            .order_by(TicketCategory.name)
        ).tuples()
        self.category_id.choices = [SelectChoice("", _l("No category"))] + [
            SelectChoice(category_id, name) for category_id, name in categories
        ]
        if ticket is not None:
            _keep(self.category_id, TicketCategory, ticket.category_id, "name")
        teams = db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name)).tuples()
        self.team_id.choices = [SelectChoice("", _l("The category's team, else mine"))] + [
            SelectChoice(team_id, name) for team_id, name in teams
        ]
        self.owner_id.choices = agent_choices(_l("Unassigned (the team's queue)"))

    def set_contact_choices(self, actor, customer_id) -> None:
        """The contacts of `customer_id` the user may read."""
        self.contact_id.choices = [SelectChoice("", _l("No contact"))]
        if not customer_id:
            return
        people = db.session.scalars(
            sa.select(Contact)
            .where(
                Contact.customer_id == customer_id,
                permissions.visible(actor, "contact", Contact.owner_id),
            )
            .order_by(Contact.last_name, Contact.first_name, Contact.id)
            .limit(200)
        )
        self.contact_id.choices += [SelectChoice(c.id, c.full_name) for c in people]

    def values(self, with_owner: bool = True) -> dict:
        """The keyword arguments for tickets.create_ticket / update_ticket."""
        values = {name: self[name].data for name in TICKET_FIELDS}
        if with_owner:
            values["owner_id"] = self.owner_id.data
        return values

    def show_errors(self, errors: dict) -> None:
        _show_errors(self, errors)


def _keep(field, model, record_id, label: str) -> None:
    """Keep the ticket's own customer, contact or category offered, even if no longer
    listed (another team's customer, a retired category)."""
    if record_id and all(choice.value != record_id for choice in field.choices):
        record = db.session.get(model, record_id)
        if record is not None:
            field.choices.insert(1, SelectChoice(record.id, getattr(record, label)))


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Message"), render_kw={"rows": 5})
    internal = BooleanField(_l("Internal note (only colleagues see it)"))
    notify_sms = BooleanField(_l("Also text the customer that there is a reply"))
    attachments = MultipleFileField(_l("Attachments"))

    def show_errors(self, errors: dict) -> None:
        _show_errors(self, errors)


class AssignForm(FlaskForm):
    owner_id = SelectField(_l("Assignee"), coerce=_optional_int, validate_choice=False)

    def show_errors(self, errors: dict) -> None:
        _show_errors(self, errors)


class MergeForm(FlaskForm):
    numbers = StringField(
        _l("Numbers of the duplicate tickets"), render_kw={"placeholder": "T-000012, T-000015"}
    )

    def show_errors(self, errors: dict) -> None:
        _show_errors(self, errors)
