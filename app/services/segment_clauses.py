"""How each kind of segment condition becomes SQL: a WHERE clause over Contact or Lead
alone. Facts kept elsewhere (the customer, tags, activities, campaign sends, behaviour
events, email preferences) are correlated EXISTS or COUNT subqueries, so a whole segment
stays one SELECT; a negative condition on such a fact is NOT EXISTS of the positive one
("customer status is not X" includes contacts with no customer). Values are always bound
parameters. The fields that use these builders are in app.services.segment_fields.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app import timezones
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.base import utcnow
from app.models.customers import AddressKind, Contact, Customer, CustomerAddress
from app.models.marketing import (
    CampaignRecipient,
    EmailPreference,
    EventKind,
    MarketingEvent,
    RecipientStatus,
)
from app.models.records import CustomField, FieldType, Tag, Tagging
from app.services import custom_field_filters

TEXT, NUMBER, DATE, CHOICE, BOOLEAN = "text", "number", "date", "choice", "boolean"
TAG, ACTIVITY, CAMPAIGN, EVENTS = "tag", "activity", "campaign", "events"
# A negative operator on a fact kept in another row: NOT EXISTS of the positive one.
_NEGATED = {"ne": "eq", "not_contains": "contains", "is_empty": "is_not_empty", "not_in": "in"}


def _like(text: str, prefix_only: bool = False) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix_only else f"%{escaped}%"


def _zone() -> ZoneInfo:
    return ZoneInfo(timezones.default_name())


def day_start(day: date) -> datetime:
    """The UTC moment `day` begins in the installation's time zone."""
    return timezones.from_wall_clock(datetime.combine(day, time.min), _zone())


def days_ago(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def _text(expr, op: str, value):
    if op == "is_empty":
        return sa.or_(expr.is_(None), expr == "")
    if op == "is_not_empty":
        return sa.and_(expr.is_not(None), expr != "")
    if op in ("contains", "not_contains", "starts_with"):
        match = expr.ilike(_like(value, op == "starts_with"), escape="\\")
        return sa.or_(expr.is_(None), sa.not_(match)) if op == "not_contains" else match
    # lower() on both sides: the database folds case the same way for both.
    same = sa.func.lower(expr) == sa.func.lower(sa.literal(value, sa.String))
    return sa.or_(expr.is_(None), sa.not_(same)) if op == "ne" else same


def _number(expr, op: str, value, integer: bool = False):
    if op in ("is_empty", "is_not_empty"):
        return expr.is_(None) if op == "is_empty" else expr.is_not(None)
    number = int(Decimal(value)) if integer else Decimal(value)
    if op == "ne":
        return sa.or_(expr.is_(None), expr != number)
    compare = {"eq": "__eq__", "gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__"}
    return getattr(expr, compare[op])(number)


def _moment(expr, op: str, value):
    """A condition on a timestamp column; dates are whole days in the installation's zone."""
    if op in ("is_empty", "is_not_empty"):
        return expr.is_(None) if op == "is_empty" else expr.is_not(None)
    if op == "before":
        return expr < day_start(date.fromisoformat(value))
    if op == "after":
        return expr >= day_start(date.fromisoformat(value) + timedelta(days=1))
    if op == "within_days":
        return expr >= days_ago(int(value))
    return expr < days_ago(int(value))


def _choice(expr, op: str, value):
    if op in ("is_empty", "is_not_empty"):
        return expr.is_(None) if op == "is_empty" else expr.is_not(None)
    if op in ("in", "not_in"):
        found = expr.in_(list(value))
        return sa.or_(expr.is_(None), sa.not_(found)) if op == "not_in" else found
    if op == "ne":
        return sa.or_(expr.is_(None), expr != value)
    return expr == value


_PREDICATES = {TEXT: _text, NUMBER: _number, DATE: _moment, CHOICE: _choice}


def column_clause(type_: str, expr, link=None, integer: bool = False):
    """The clause builder of a field on a column: of the entity itself, or (with `link`, a
    function turning a predicate into an EXISTS over the related row) of a related row."""

    def clause(op, value):
        predicate = _PREDICATES[type_]
        extra = {"integer": integer} if type_ == NUMBER else {}
        if link is None:
            return predicate(expr, op, value, **extra)
        if op in _NEGATED:
            return sa.not_(link(predicate(expr, _NEGATED[op], value, **extra)))
        return link(predicate(expr, op, value, **extra))

    return clause


def has_email(email_key_column):
    def clause(op, _value):
        has = email_key_column != ""
        return has if op == "is_true" else sa.not_(has)

    return clause


def tagged(entity_type: str, id_column):
    def clause(op, name):
        tag_ids = sa.select(Tag.id).where(
            sa.func.lower(Tag.name) == sa.func.lower(sa.literal(name, sa.String))
        )
        found = (
            sa.select(Tagging.id)
            .where(
                Tagging.entity_type == entity_type,
                Tagging.entity_id == id_column,
                Tagging.tag_id.in_(tag_ids),
            )
            .exists()
        )
        return found if op == "has" else sa.not_(found)

    return clause


def activity(link_column, id_column):
    def clause(op, value):
        now = utcnow()
        # What happened: not what is planned (an open task, a meeting to come).
        query = sa.select(Activity.id).where(
            link_column == id_column,
            Activity.occurred_at >= now - timedelta(days=value["days"]),
            Activity.occurred_at <= now,
            Activity.status != ActivityStatus.CANCELLED,
            sa.or_(Activity.kind != ActivityKind.TASK, Activity.status == ActivityStatus.DONE),
        )
        if value.get("kind"):
            query = query.where(Activity.kind == ActivityKind(value["kind"]))
        found = query.exists()
        return found if op == "has" else sa.not_(found)

    return clause


def campaign(link_column, id_column, behaviour: str):
    moment = {
        "received": CampaignRecipient.sent_at,
        "opened": CampaignRecipient.opened_at,
        "clicked": CampaignRecipient.clicked_at,
    }[behaviour]

    def clause(op, value):
        query = sa.select(CampaignRecipient.id).where(link_column == id_column)
        if behaviour == "received":
            query = query.where(CampaignRecipient.status == RecipientStatus.SENT)
        else:
            query = query.where(moment.is_not(None))
        if value.get("campaign_id"):
            query = query.where(CampaignRecipient.campaign_id == value["campaign_id"])
        if value.get("days"):
            query = query.where(moment >= days_ago(value["days"]))
        found = query.exists()
        return found if op == "has" else sa.not_(found)

    return clause


def events(link_column, id_column):
    def clause(op, value):
        where = (
            MarketingEvent.kind == EventKind(value["kind"]),
            MarketingEvent.occurred_at >= days_ago(value["days"]),
        )
        count = value["count"]
        if op == "gte" and count <= 1:
            # "At least once" needs no counting, only one index probe.
            found = sa.select(MarketingEvent.id).where(link_column == id_column, *where)
            return found.exists() if count else sa.true()
        # The people with `least` or more such events, counted once over the window (an
        # index range scan of ix_marketing_events_recent) and hashed: a correlated count
        # would probe the index once for every contact.
        least = count if op == "gte" else count + 1
        busy = (
            sa.select(link_column)
            .where(link_column.is_not(None), *where)
            .group_by(link_column)
            .having(sa.func.count() >= least)
        )
        return id_column.in_(busy) if op == "gte" else id_column.not_in(busy)

    return clause


def preference(email_key_column, wanted):
    def clause(op, _value):
        found = (
            sa.select(EmailPreference.email)
            .where(EmailPreference.email == email_key_column, wanted)
            .exists()
        )
        return found if op == "is_true" else sa.not_(found)

    return clause


def via_customer(predicate):
    return (
        sa.select(Customer.id)
        .where(Customer.id == Contact.customer_id, predicate)
        .correlate(Contact)
        .exists()
    )


def via_billing_address(predicate):
    return (
        sa.select(CustomerAddress.id)
        .where(
            CustomerAddress.customer_id == Contact.customer_id,
            CustomerAddress.kind == AddressKind.BILLING,
            predicate,
        )
        .correlate(Contact)
        .exists()
    )


# Our operators in app.services.custom_field_filters' words.
_CUSTOM_OPS = {"gte": "ge", "lte": "le", "is_empty": "empty", "is_not_empty": "not_empty"}


def custom_clause(model, definition: CustomField):
    def clause(op, value):
        def filtered(their_op, their_value=None):
            return custom_field_filters.filter_clause(
                model.custom, definition, their_op, their_value
            )

        if definition.field_type is FieldType.CHECKBOX:
            return filtered("eq", op == "is_true")
        if definition.field_type is FieldType.TEXT:
            # Case-insensitive like every other text condition.
            return _text(model.custom[definition.key].as_string(), op, value)
        if definition.field_type is FieldType.DATE and op not in _CUSTOM_OPS:
            today = utcnow().astimezone(_zone()).date()
            if op == "before":
                return filtered("lt", value)
            if op == "after":
                return filtered("gt", value)
            cutoff = (today - timedelta(days=int(value))).isoformat()
            if op == "within_days":
                return sa.and_(filtered("ge", cutoff), filtered("le", today.isoformat()))
            return filtered("lt", cutoff)
        return filtered(_CUSTOM_OPS.get(op, op), value)

    return clause
