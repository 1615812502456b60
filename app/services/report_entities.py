"""The record types the custom report builder offers and their fields: for each, its
model, its permission entity (whose owner column and team queue decide which rows a reader
may read) and an allowlist of fields with their label, type and SQL expression. Column
names come only from here; secret and internal columns (password hashes, tokens, search
text, stored file names, message ids) are simply not listed. Choice labels are the ones
the record pages use. What a field is and how custom fields join in:
app.services.report_fields."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from app.models.activities import Activity
from app.models.customers import AddressKind, Contact, Customer, CustomerAddress
from app.models.identity import Team, User
from app.models.marketing import Campaign, SegmentEntity
from app.models.orders import Order, Quote
from app.models.sales import Lead, Opportunity, Pipeline
from app.models.service import Ticket, TicketCategory
from app.services import (
    campaigns,
    contacts,
    customers,
    leads,
    opportunities,
    orders,
    quotes,
    tickets,
)
from app.services import segment_fields as sf
from app.services.report_fields import (
    BOOLEAN,
    CHOICE,
    DATE,
    DAY,
    MONEY,
    NUMBER,
    TEXT,
    Entity,
    Field,
    may_read,
)


def _choices(labels: dict) -> tuple:
    return tuple((member.value, label) for member, label in labels.items())


def _segment_choices(key: str) -> tuple:
    return sf.FIELDS[SegmentEntity.CONTACT][key].choices


_OWNER = aliased(User, name="report_owner")
_CUSTOMER = aliased(Customer, name="report_customer")
_TEAM = aliased(Team, name="report_team")


def _owner(label=None) -> Field:
    return Field("owner", label or _l("Owner"), TEXT, _OWNER.name, join="owner", needs="user")


def _created(model) -> Field:
    return Field("created_at", _l("Created"), DATE, model.created_at)


def _customer() -> Field:
    return Field(
        "customer", _l("Customer"), TEXT, _CUSTOMER.name, join="customer", needs="customer"
    )


def _country(customer_id) -> Field:
    """The country of the customer's first billing address (a correlated subquery)."""
    country = (
        sa.select(CustomerAddress.country)
        .where(
            CustomerAddress.customer_id == customer_id,
            CustomerAddress.kind == AddressKind.BILLING,
        )
        .order_by(CustomerAddress.id)
        .limit(1)
        .scalar_subquery()
    )
    return Field("country", _l("Country (billing address)"), TEXT, country, needs="customer")


def _joins(model, *names) -> dict:
    """The owner, customer and team joins of `model` by name (outer joins on <name>_id)."""
    targets = {"owner": _OWNER, "customer": _CUSTOMER, "team": _TEAM}
    return {
        name: (targets[name], targets[name].id == getattr(model, f"{name}_id")) for name in names
    }


def _money(model, key, label) -> Field:
    return Field(key, label, MONEY, getattr(model, key))


def _choice(model, key, label, choices) -> Field:
    return Field(key, label, CHOICE, getattr(model, key), choices=choices)


def _text(model, key, label) -> Field:
    return Field(key, label, TEXT, getattr(model, key))


def _customers() -> Entity:
    m, labels = Customer, customers.FIELD_LABELS
    return Entity(
        "customers",
        _l("Customers"),
        m,
        "customer",
        (
            *(_text(m, key, labels[key]) for key in ("name", "company", "industry")),
            _choice(m, "status", labels["status"], _segment_choices("customer_status")),
            _choice(m, "size", labels["size"], _segment_choices("customer_size")),
            _choice(m, "rating", labels["rating"], _segment_choices("customer_rating")),
            _choice(m, "abc_class", _l("ABC class"), _segment_choices("customer_abc_class")),
            _text(m, "credit_rating", _l("Credit rating")),
            *(_text(m, key, labels[key]) for key in ("source", "email", "phone", "website")),
            _country(m.id),
            _owner(),
            _created(m),
            Field("updated_at", _l("Last updated"), DATE, m.updated_at),
        ),
        defaults=("name", "status", "owner"),
        joins=_joins(m, "owner"),
        custom_type="customer",
    )


def _contacts() -> Entity:
    m, labels = Contact, contacts.FIELD_LABELS
    return Entity(
        "contacts",
        _l("Contacts"),
        m,
        "contact",
        (
            *(_text(m, key, label) for key, label in labels.items()),
            Field("is_primary", _l("Primary contact"), BOOLEAN, m.is_primary),
            _customer(),
            _owner(),
            _created(m),
        ),
        defaults=("first_name", "last_name", "customer", "email"),
        joins=_joins(m, "owner", "customer"),
        custom_type="contact",
    )


def _leads() -> Entity:
    m, labels = Lead, leads.FIELD_LABELS
    texts = ("first_name", "last_name", "company", "title", "email", "phone", "industry",
             "country", "region", "city", "source_detail")  # fmt: skip
    return Entity(
        "leads",
        _l("Leads"),
        m,
        "lead",
        (
            *(_text(m, key, labels[key]) for key in texts),
            Field("employees", labels["employees"], NUMBER, m.employees, integer=True),
            Field("annual_revenue", labels["annual_revenue"], NUMBER, m.annual_revenue),
            _choice(m, "source", labels["source"], _choices(leads.SOURCE_LABELS)),
            _choice(m, "status", labels["status"], _choices(leads.STATUS_LABELS)),
            _text(m, "utm_source", _l("UTM source")),
            _text(m, "utm_medium", _l("UTM medium")),
            _text(m, "utm_campaign", _l("UTM campaign")),
            Field("converted_at", _l("Converted"), DATE, m.converted_at),
            Field("team", _l("Team"), TEXT, _TEAM.name, join="team", needs="team"),
            _owner(),
            _created(m),
        ),
        defaults=("first_name", "last_name", "company", "status", "source"),
        joins=_joins(m, "owner", "team"),
        custom_type="lead",
    )


def _opportunities() -> Entity:
    m = Opportunity
    return Entity(
        "opportunities",
        _l("Opportunities"),
        m,
        "opportunity",
        (
            _text(m, "name", _l("Name")),
            _customer(),
            _country(m.customer_id),
            Field(
                "pipeline", _l("Pipeline"), TEXT, Pipeline.name, join="pipeline", needs="pipeline"
            ),
            _choice(m, "stage", _l("Stage"), _choices(opportunities.STAGE_LABELS)),
            _money(m, "amount", _l("Amount")),
            _text(m, "currency", _l("Currency")),
            Field("probability", _l("Probability"), NUMBER, m.probability, integer=True),
            Field(
                "expected_close_date", _l("Expected close"), DATE, m.expected_close_date, dates=DAY
            ),
            Field("closed_at", _l("Closed"), DATE, m.closed_at),
            _text(m, "loss_reason", _l("Loss reason")),
            _text(m, "competitors", _l("Competitors")),
            _text(m, "next_step", _l("Next step")),
            Field("team", _l("Team"), TEXT, _TEAM.name, join="team", needs="team"),
            _owner(),
            _created(m),
        ),
        defaults=("name", "customer", "stage", "amount", "expected_close_date"),
        joins=_joins(m, "owner", "customer", "team")
        | {"pipeline": (Pipeline, Pipeline.id == m.pipeline_id)},
        currency=m.currency,
        custom_type="opportunity",
    )


def _document_totals(m) -> tuple[Field, ...]:
    return (
        _text(m, "currency", _l("Currency")),
        _money(m, "subtotal", _l("Subtotal")),
        _money(m, "discount_amount", _l("Discount")),
        Field("net_amount", _l("Net amount"), MONEY, m.subtotal - m.discount_amount),
        _money(m, "tax_total", _l("Tax")),
        _money(m, "total", _l("Total")),
    )


def _quotes() -> Entity:
    m = Quote
    return Entity(
        "quotes",
        _l("Quotes"),
        m,
        "quote",
        (
            _text(m, "number", _l("Number")),
            Field("version", _l("Version"), NUMBER, m.version, integer=True),
            _text(m, "title", _l("Title")),
            _customer(),
            _choice(m, "status", _l("Status"), _choices(quotes.STATUS_LABELS)),
            *_document_totals(m),
            Field("valid_until", _l("Valid until"), DATE, m.valid_until, dates=DAY),
            Field("sent_at", _l("Sent"), DATE, m.sent_at),
            Field("decided_at", _l("Decided"), DATE, m.decided_at),
            _owner(),
            _created(m),
        ),
        defaults=("number", "title", "customer", "status", "total"),
        joins=_joins(m, "owner", "customer"),
        currency=m.currency,
    )


def _orders() -> Entity:
    m = Order
    return Entity(
        "orders",
        _l("Orders"),
        m,
        "order",
        (
            _text(m, "number", _l("Number")),
            _customer(),
            _country(m.customer_id),
            _choice(m, "status", _l("Status"), _choices(orders.STATUS_LABELS)),
            Field("order_date", _l("Order date"), DATE, m.order_date, dates=DAY),
            *_document_totals(m),
            _owner(),
            _created(m),
        ),
        defaults=("number", "customer", "order_date", "status", "total"),
        joins=_joins(m, "owner", "customer"),
        currency=m.currency,
    )


def _tickets() -> Entity:
    m = Ticket
    return Entity(
        "tickets",
        _l("Tickets"),
        m,
        "ticket",
        (
            _text(m, "number", _l("Number")),
            _text(m, "subject", _l("Subject")),
            _customer(),
            _choice(m, "priority", _l("Priority"), _choices(tickets.PRIORITY_LABELS)),
            _choice(m, "status", _l("Status"), _choices(tickets.STATUS_LABELS)),
            _choice(m, "channel", _l("Channel"), _choices(tickets.CHANNEL_LABELS)),
            Field(
                "category",
                _l("Category"),
                TEXT,
                TicketCategory.name,
                join="category",
                needs="service_settings",
            ),
            Field("team", _l("Team"), TEXT, _TEAM.name, join="team", needs="team"),
            _owner(_l("Assignee")),
            _created(m),
            Field("first_responded_at", _l("First response"), DATE, m.first_responded_at),
            Field("resolution_due_at", _l("Due"), DATE, m.resolution_due_at),
            Field("resolved_at", _l("Resolved"), DATE, m.resolved_at),
            Field("closed_at", _l("Closed"), DATE, m.closed_at),
        ),
        defaults=("number", "subject", "priority", "status", "owner"),
        joins=_joins(m, "owner", "customer", "team")
        | {"category": (TicketCategory, TicketCategory.id == m.category_id)},
        custom_type="ticket",
    )


_ACTIVITY_STATUSES = (("OPEN", _l("Open")), ("DONE", _l("Done")), ("CANCELLED", _l("Cancelled")))


def _activities() -> Entity:
    m = Activity
    return Entity(
        "activities",
        _l("Activities"),
        m,
        "activity",
        (
            _choice(m, "kind", _l("Kind"), sf.ACTIVITY_KINDS),
            _text(m, "subject", _l("Subject")),
            _choice(m, "status", _l("Status"), _ACTIVITY_STATUSES),
            Field("occurred_at", _l("When"), DATE, m.occurred_at),
            Field("due_at", _l("Due"), DATE, m.due_at),
            Field("completed_at", _l("Completed"), DATE, m.completed_at),
            _customer(),
            _owner(),
            _created(m),
        ),
        defaults=("kind", "subject", "occurred_at", "owner"),
        joins=_joins(m, "owner", "customer"),
    )


def _campaigns() -> Entity:
    m = Campaign
    return Entity(
        "campaigns",
        _l("Campaigns"),
        m,
        "campaign",
        (
            _text(m, "name", _l("Name")),
            _choice(m, "type", _l("Type"), _choices(campaigns.TYPE_LABELS)),
            _choice(m, "status", _l("Status"), _choices(campaigns.STATUS_LABELS)),
            _choice(m, "topic", _l("Topic"), _choices(campaigns.TOPIC_LABELS)),
            Field("start_date", _l("Start date"), DATE, m.start_date, dates=DAY),
            Field("end_date", _l("End date"), DATE, m.end_date, dates=DAY),
            _text(m, "currency", _l("Currency")),
            _money(m, "budget", _l("Budget")),
            _money(m, "actual_cost", _l("Actual cost")),
            _money(m, "expected_revenue", _l("Expected revenue")),
            Field("impressions", _l("Impressions"), NUMBER, m.impressions, integer=True),
            _owner(),
            _created(m),
        ),
        defaults=("name", "type", "status", "start_date", "budget"),
        joins=_joins(m, "owner"),
        currency=m.currency,
    )


ENTITIES: dict[str, Entity] = {
    entity.key: entity
    for entity in (
        _customers(),
        _contacts(),
        _leads(),
        _opportunities(),
        _quotes(),
        _orders(),
        _tickets(),
        _activities(),
        _campaigns(),
    )
}


def entities_for(viewer) -> list[Entity]:
    """The record types `viewer` may report on (those they may read some of)."""
    return [entity for entity in ENTITIES.values() if may_read(viewer, entity.permission)]


def entity_for(key, viewer) -> Entity | None:
    """The record type `key` names, if `viewer` may report on it."""
    entity = ENTITIES.get(key) if isinstance(key, str) else None
    return entity if entity is not None and may_read(viewer, entity.permission) else None
