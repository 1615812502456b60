"""What a segment condition may name: an allowlist of fields per entity (contacts, leads),
each with its label, its type, the operators it allows and its clause builder (from
app.services.segment_clauses). Column names come only from this registry; custom fields
come from their definitions (app.services.custom_fields).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.models.activities import Activity, ActivityKind
from app.models.customers import (
    Contact,
    Customer,
    CustomerAddress,
    CustomerSize,
    CustomerStatus,
    Rating,
)
from app.models.marketing import (
    CampaignRecipient,
    EmailPreference,
    EventKind,
    MarketingEvent,
    SegmentEntity,
)
from app.models.records import CustomField, FieldType
from app.models.sales import Lead, LeadSource, LeadStatus
from app.services import custom_fields
from app.services import segment_clauses as sc
from app.services.segment_clauses import (
    ACTIVITY,
    BOOLEAN,
    CAMPAIGN,
    CHOICE,
    DATE,
    EVENTS,
    NUMBER,
    TAG,
    TEXT,
)

OPERATOR_LABELS = {
    "eq": _l("is"),
    "ne": _l("is not"),
    "contains": _l("contains"),
    "not_contains": _l("does not contain"),
    "starts_with": _l("starts with"),
    "is_empty": _l("is empty"),
    "is_not_empty": _l("is not empty"),
    "in": _l("is any of"),
    "not_in": _l("is none of"),
    "gt": _l("is more than"),
    "gte": _l("is at least"),
    "lt": _l("is less than"),
    "lte": _l("is at most"),
    "before": _l("is before"),
    "after": _l("is after"),
    "within_days": _l("is within the last (days)"),
    "older_than_days": _l("is more than (days) ago"),
    "has": _l("has"),
    "has_not": _l("has not"),
    "is_true": _l("yes"),
    "is_false": _l("no"),
}
TYPE_OPERATORS = {
    TEXT: ("eq", "ne", "contains", "not_contains", "starts_with", "is_empty", "is_not_empty"),
    NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "is_empty", "is_not_empty"),
    DATE: ("before", "after", "within_days", "older_than_days", "is_empty", "is_not_empty"),
    CHOICE: ("eq", "ne", "in", "not_in", "is_empty", "is_not_empty"),
    BOOLEAN: ("is_true", "is_false"),
    TAG: ("has", "has_not"),
    ACTIVITY: ("has", "has_not"),
    CAMPAIGN: ("has", "has_not"),
    EVENTS: ("gte", "lte"),
}
# Operators without a value to enter.
NO_VALUE = frozenset({"is_empty", "is_not_empty", "is_true", "is_false"})

GROUP_PERSON = _l("Person")
GROUP_CUSTOMER = _l("Customer")
GROUP_LEAD = _l("Lead")
GROUP_CUSTOM = _l("Custom fields")
GROUP_BEHAVIOUR = _l("Activity and behaviour")
GROUP_EMAIL = _l("Email and consent")


@dataclasses.dataclass(frozen=True)
class Field:
    """One condition field. `clause(op, value)` gets an allowed operator and a value
    already checked by app.services.segment_rules, and returns a WHERE clause."""

    key: str
    label: object
    group: object
    type: str
    clause: Callable[[str, object], sa.ColumnElement]
    ops: tuple[str, ...] = ()
    choices: tuple[tuple[str, object], ...] = ()
    integer: bool = False

    def __post_init__(self):
        if not self.ops:
            object.__setattr__(self, "ops", TYPE_OPERATORS[self.type])


def _column(key, label, group, type_, expr, *, link=None, choices=(), ops=(), integer=False):
    clause = sc.column_clause(type_, expr, link, integer)
    return Field(key, label, group, type_, clause, ops, choices, integer)


def _enum_choices(enum_cls, labels: dict) -> tuple:
    return tuple(
        (m.value, labels.get(m.value, m.value.replace("_", " ").title())) for m in enum_cls
    )


# The same words as the customer and lead forms use (one translation each).
_CUSTOMER_STATUSES = {
    "LEAD": _l("Lead"),
    "PROSPECT": _l("Prospect"),
    "CUSTOMER": _l("Customer"),
    "PARTNER": _l("Partner"),
}
_SIZES = {
    "SMALL": _l("Small"),
    "MEDIUM": _l("Medium"),
    "LARGE": _l("Large"),
    "ENTERPRISE": _l("Enterprise"),
}
_RATINGS = {"HOT": _l("Hot"), "WARM": _l("Warm"), "COLD": _l("Cold")}
_LEAD_STATUSES = {
    "NEW": _l("New"),
    "CONTACTED": _l("Contacted"),
    "QUALIFIED": _l("Qualified"),
    "UNQUALIFIED": _l("Unqualified"),
    "CONVERTED": _l("Converted"),
}
_LEAD_SOURCES = {
    "MANUAL": _l("Entered by hand"),
    "IMPORT": _l("Import"),
    "WEB_FORM": _l("Web form"),
    "API": _l("API"),
    "REFERRAL": _l("Referral"),
    "CAMPAIGN": _l("Campaign"),
    "SOCIAL": _l("Social"),
    "EVENT": _l("Event"),
    "OTHER": _l("Other"),
}


def _person_fields(model, group) -> list[Field]:
    return [
        _column("first_name", _l("First name"), group, TEXT, model.first_name),
        _column("last_name", _l("Last name"), group, TEXT, model.last_name),
        _column("email", _l("Email"), group, TEXT, model.email),
        Field(
            "has_email", _l("Has an email address"), group, BOOLEAN, sc.has_email(model.email_key)
        ),
        _column("title", _l("Job title"), group, TEXT, model.title),
        _column("created_at", _l("Created"), group, DATE, model.created_at),
    ]


def _behaviour_fields(model, link: str, tag_table: str) -> list[Field]:
    recipient = getattr(CampaignRecipient, link)
    return [
        Field("tag", _l("Tag"), GROUP_BEHAVIOUR, TAG, sc.tagged(tag_table, model.id)),
        Field(
            "activity",
            _l("Activity"),
            GROUP_BEHAVIOUR,
            ACTIVITY,
            sc.activity(getattr(Activity, link), model.id),
        ),
        Field(
            "campaign_received",
            _l("Received a campaign email"),
            GROUP_EMAIL,
            CAMPAIGN,
            sc.campaign(recipient, model.id, "received"),
        ),
        Field(
            "campaign_opened",
            _l("Opened a campaign email"),
            GROUP_EMAIL,
            CAMPAIGN,
            sc.campaign(recipient, model.id, "opened"),
        ),
        Field(
            "campaign_clicked",
            _l("Clicked a link in a campaign email"),
            GROUP_EMAIL,
            CAMPAIGN,
            sc.campaign(recipient, model.id, "clicked"),
        ),
        Field(
            "events",
            _l("Behaviour events"),
            GROUP_BEHAVIOUR,
            EVENTS,
            sc.events(getattr(MarketingEvent, link), model.id),
        ),
        Field(
            "consent",
            _l("Has marketing consent"),
            GROUP_EMAIL,
            BOOLEAN,
            sc.preference(model.email_key, EmailPreference.consent.is_(True)),
        ),
        Field(
            "unsubscribed",
            _l("Unsubscribed"),
            GROUP_EMAIL,
            BOOLEAN,
            sc.preference(model.email_key, EmailPreference.unsubscribed_at.is_not(None)),
        ),
        Field(
            "bounced",
            _l("Email bounced"),
            GROUP_EMAIL,
            BOOLEAN,
            sc.preference(model.email_key, EmailPreference.bounced_at.is_not(None)),
        ),
    ]


def _customer_fields() -> list[Field]:
    group = GROUP_CUSTOMER
    abc = (("A", "A"), ("B", "B"), ("C", "C"))
    return [
        _column(
            "customer_status",
            _l("Customer status"),
            group,
            CHOICE,
            Customer.status,
            link=sc.via_customer,
            choices=_enum_choices(CustomerStatus, _CUSTOMER_STATUSES),
            ops=("eq", "ne", "in", "not_in"),
        ),
        _column(
            "customer_industry",
            _l("Customer industry"),
            group,
            TEXT,
            Customer.industry,
            link=sc.via_customer,
        ),
        _column(
            "customer_size",
            _l("Customer size"),
            group,
            CHOICE,
            Customer.size,
            link=sc.via_customer,
            choices=_enum_choices(CustomerSize, _SIZES),
        ),
        _column(
            "customer_rating",
            _l("Customer rating"),
            group,
            CHOICE,
            Customer.rating,
            link=sc.via_customer,
            choices=_enum_choices(Rating, _RATINGS),
        ),
        _column(
            "customer_abc_class",
            _l("Customer ABC class"),
            group,
            CHOICE,
            Customer.abc_class,
            link=sc.via_customer,
            choices=abc,
        ),
        _column(
            "customer_country",
            _l("Customer country (billing address)"),
            group,
            TEXT,
            CustomerAddress.country,
            link=sc.via_billing_address,
            ops=("eq", "ne", "is_empty", "is_not_empty"),
        ),
        Field(
            "customer_tag",
            _l("Customer tag"),
            group,
            TAG,
            sc.tagged("customers", Contact.customer_id),
        ),
    ]


def _contact_fields() -> list[Field]:
    return [
        *_person_fields(Contact, GROUP_PERSON),
        _column("department", _l("Department"), GROUP_PERSON, TEXT, Contact.department),
        *_customer_fields(),
        *_behaviour_fields(Contact, "contact_id", "contacts"),
    ]


def _lead_fields() -> list[Field]:
    group = GROUP_LEAD
    return [
        *_person_fields(Lead, GROUP_PERSON),
        _column(
            "status",
            _l("Lead status"),
            group,
            CHOICE,
            Lead.status,
            choices=_enum_choices(LeadStatus, _LEAD_STATUSES),
            ops=("eq", "ne", "in", "not_in"),
        ),
        _column(
            "source",
            _l("Lead source"),
            group,
            CHOICE,
            Lead.source,
            choices=_enum_choices(LeadSource, _LEAD_SOURCES),
            ops=("eq", "ne", "in", "not_in"),
        ),
        _column("company", _l("Company"), group, TEXT, Lead.company),
        _column("industry", _l("Industry"), group, TEXT, Lead.industry),
        _column("country", _l("Country"), group, TEXT, Lead.country),
        _column("region", _l("Region"), group, TEXT, Lead.region),
        _column("employees", _l("Employees"), group, NUMBER, Lead.employees, integer=True),
        _column("annual_revenue", _l("Annual revenue"), group, NUMBER, Lead.annual_revenue),
        _column("utm_source", _l("UTM source"), group, TEXT, Lead.utm_source),
        _column("utm_medium", _l("UTM medium"), group, TEXT, Lead.utm_medium),
        _column("utm_campaign", _l("UTM campaign"), group, TEXT, Lead.utm_campaign),
        _column("score", _l("Lead score"), group, NUMBER, Lead.score, integer=True),
        _column(
            "score_grade",
            _l("Lead grade"),
            group,
            CHOICE,
            Lead.score_grade,
            choices=[(grade, grade) for grade in "ABCD"],
            ops=("eq", "ne", "in", "not_in"),
        ),
        *_behaviour_fields(Lead, "lead_id", "leads"),
    ]


FIELDS: dict[SegmentEntity, dict[str, Field]] = {
    SegmentEntity.CONTACT: {field.key: field for field in _contact_fields()},
    SegmentEntity.LEAD: {field.key: field for field in _lead_fields()},
}
MODELS = {SegmentEntity.CONTACT: Contact, SegmentEntity.LEAD: Lead}
CUSTOM_FIELD_ENTITY = {SegmentEntity.CONTACT: "contact", SegmentEntity.LEAD: "lead"}
CUSTOM_PREFIX = "custom."

_CUSTOM_TYPES = {
    FieldType.TEXT: (TEXT, TYPE_OPERATORS[TEXT]),
    FieldType.CHOICE: (CHOICE, ("eq", "ne", "in", "is_empty", "is_not_empty")),
    FieldType.NUMBER: (NUMBER, TYPE_OPERATORS[NUMBER]),
    FieldType.DATE: (DATE, TYPE_OPERATORS[DATE]),
    FieldType.CHECKBOX: (BOOLEAN, TYPE_OPERATORS[BOOLEAN]),
}


def custom_field(entity: SegmentEntity, definition: CustomField) -> Field:
    """The condition field of one custom field definition."""
    type_, ops = _CUSTOM_TYPES[definition.field_type]
    choices = tuple((choice, choice) for choice in definition.choices or ())
    return Field(
        CUSTOM_PREFIX + definition.key,
        custom_fields.field_label(definition),
        GROUP_CUSTOM,
        type_,
        sc.custom_clause(MODELS[entity], definition),
        ops,
        choices,
    )


def fields_for(entity: SegmentEntity, with_custom: bool = True) -> dict[str, Field]:
    """Every field a condition on `entity` may name, the active custom fields last (reading
    their definitions is one query, skipped with `with_custom=False`)."""
    fields = dict(FIELDS[entity])
    if with_custom:
        for definition in custom_fields.fields_for(CUSTOM_FIELD_ENTITY[entity]):
            field = custom_field(entity, definition)
            fields[field.key] = field
    return fields


ACTIVITY_KINDS = _enum_choices(
    ActivityKind,
    {"CALL": _l("Call"), "EMAIL": _l("Email"), "MEETING": _l("Meeting"), "NOTE": _l("Note")}
    | {"TASK": _l("Task")},
)
EVENT_KINDS = tuple(
    (kind.value, label)
    for kind, label in (
        (EventKind.VISIT, _l("Website visits")),
        (EventKind.EMAIL_OPEN, _l("Email opens")),
        (EventKind.EMAIL_CLICK, _l("Email clicks")),
        (EventKind.DOWNLOAD, _l("Downloads")),
        (EventKind.FORM_SUBMIT, _l("Form submissions")),
    )
)
