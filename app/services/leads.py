"""Leads: people (and usually their company) who may buy. Create, change, delete and list
them (permission-filtered, searched, filtered, keyset-paged). Converting one into a
customer, a contact and an opportunity is in app.services.lead_conversion.

Field checks come from app.services.record_checks, shared with customers and contacts.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.activities import Activity
from app.models.customers import Contact
from app.models.identity import Team
from app.models.records import Tagging
from app.models.sales import Lead, LeadSource, LeadStatus
from app.services import custom_fields, history, marketing_signals, search, tags
from app.services.record_checks import (
    check_custom,
    check_email,
    check_enum,
    check_owner,
    check_text,
    check_website,
)
from app.services.record_lists import (
    KeysetSort,
    enum_member,
    filter_where,
    keyset_page,
    list_filters,
    query_args,
)
from app.services.validation import RecordInvalid

STATUS_LABELS = {
    LeadStatus.NEW: _l("New"),
    LeadStatus.CONTACTED: _l("Contacted"),
    LeadStatus.QUALIFIED: _l("Qualified"),
    LeadStatus.UNQUALIFIED: _l("Unqualified"),
    LeadStatus.CONVERTED: _l("Converted"),
}
SOURCE_LABELS = {
    LeadSource.MANUAL: _l("Entered by hand"),
    LeadSource.IMPORT: _l("Import"),
    LeadSource.WEB_FORM: _l("Web form"),
    LeadSource.API: _l("API"),
    LeadSource.REFERRAL: _l("Referral"),
    LeadSource.CAMPAIGN: _l("Campaign"),
    LeadSource.SOCIAL: _l("Social media"),
    LeadSource.EVENT: _l("Event"),
    LeadSource.OTHER: _l("Other"),
}

# A lead's own profile fields and their labels (import mapping, duplicate check, forms).
FIELD_LABELS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "company": _l("Company"),
    "title": _l("Job title"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "mobile": _l("Mobile"),
    "website": _l("Website"),
    "industry": _l("Industry"),
    "employees": _l("Employees"),
    "annual_revenue": _l("Annual revenue"),
    "country": _l("Country"),
    "region": _l("Region"),
    "city": _l("City"),
    "source": _l("Source"),
    "source_detail": _l("Source detail"),
    "status": _l("Status"),
    "description": _l("Description"),
}

tags.register_taggable("leads", Lead, "lead")
history.register_record_type("leads", Lead, "lead")

TEXT_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "company": 200,
    "title": 100,
    "phone": 50,
    "mobile": 50,
    "industry": 80,
    "region": 100,
    "city": 100,
    "source_detail": 200,
}
DESCRIPTION_LENGTH = 10_000
# Numeric(14, 2): twelve digits before the point.
MAX_REVENUE = Decimal("999999999999.99")
MAX_EMPLOYEES = 10_000_000
_FIELDS = set(TEXT_LIMITS) | {
    "email", "website", "employees", "annual_revenue", "country", "source", "status",
    "description", "owner_id", "team_id", "custom",
}  # fmt: skip


def _check_employees(fields: dict, errors: dict) -> int | None:
    raw = fields.get("employees")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raw = "x"  # a checkbox is not a head count
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_EMPLOYEES:
        errors["employees"] = gettext("Enter a whole number of 0 or more.")
        return None
    return value


def _check_revenue(fields: dict, errors: dict) -> Decimal | None:
    raw = fields.get("annual_revenue")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, float | bool):
        raw = "x"  # money is never a float
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value > MAX_REVENUE:
        errors["annual_revenue"] = gettext("Enter an amount of 0 or more, like 1250000.50.")
        return None
    if value != value.quantize(Decimal("0.01")):
        errors["annual_revenue"] = gettext("Use at most two decimal places.")
        return None
    return value.quantize(Decimal("0.01"))


def _check_country(fields: dict, errors: dict) -> str:
    country = check_text(fields, "country", 2, errors).upper()
    well_formed = len(country) == 2 and country.isascii() and country.isalpha()
    if "country" in errors or (country and not well_formed):
        errors["country"] = gettext("Use a two-letter country code, like TW.")
    return country


def _check_status(fields: dict, errors: dict, lead: Lead, partial: bool):
    """The status to store: CONVERTED comes only from conversion, and stays."""
    status = check_enum(LeadStatus, fields, "status", errors)
    converted = lead.status is LeadStatus.CONVERTED
    if status is None:
        return lead.status if partial else LeadStatus.NEW
    if status is LeadStatus.CONVERTED and not converted:
        errors["status"] = gettext("A lead becomes converted by converting it.")
    elif converted and status is not LeadStatus.CONVERTED:
        errors["status"] = gettext("A converted lead keeps its status.")
    return status


def _check_team(actor, fields: dict, errors: dict, current: int | None) -> int | None:
    """An existing team; someone without the edit scope ALL may pick only their own."""
    raw = fields.get("team_id")
    if raw in (None, ""):
        return None
    try:
        team_id = int(raw)
    except (TypeError, ValueError):
        team_id = None
    if team_id == current:
        return current
    wide = permissions.scope_for(actor, "lead", "edit") is permissions.Scope.ALL
    if (
        team_id is None
        or db.session.get(Team, team_id) is None
        or not (wide or team_id == actor.team_id)
    ):
        errors["team_id"] = gettext("Choose your team or one you may assign leads to.")
        return current
    return team_id


def apply_fields(lead: Lead, actor, fields: dict, partial: bool) -> None:
    """Check every given field, then store them all, or raise RecordInvalid with every
    problem at once (and leave `lead` untouched)."""
    unknown = set(fields) - _FIELDS
    if unknown:
        raise TypeError(f"unknown lead fields: {sorted(unknown)}")
    errors: dict[str, str] = {}
    values: dict = {}
    for name, limit in TEXT_LIMITS.items():
        if not partial or name in fields:
            required = gettext("Enter the lead's last name.") if name == "last_name" else None
            values[name] = check_text(fields, name, limit, errors, required)
    checks = {
        "email": lambda: check_email(fields, "email", errors),
        "website": lambda: check_website(fields, errors),
        "employees": lambda: _check_employees(fields, errors),
        "annual_revenue": lambda: _check_revenue(fields, errors),
        "country": lambda: _check_country(fields, errors),
        "status": lambda: _check_status(fields, errors, lead, partial),
        "team_id": lambda: _check_team(actor, fields, errors, lead.team_id),
    }
    for name, check in checks.items():
        if not partial or name in fields:
            values[name] = check()
    if not partial or "source" in fields:
        values["source"] = check_enum(LeadSource, fields, "source", errors) or (
            lead.source if partial else LeadSource.MANUAL
        )
    if not partial or "description" in fields:
        values["description"] = str(fields.get("description") or "").strip()
        if len(values["description"]) > DESCRIPTION_LENGTH:
            errors["description"] = gettext(
                "Use at most %(max)d characters.", max=DESCRIPTION_LENGTH
            )
    values["owner_id"] = check_owner(actor, "lead", fields, errors, lead.owner_id)
    custom = check_custom("lead", fields, errors, partial)
    if errors:
        raise RecordInvalid(errors)
    for name, value in values.items():
        setattr(lead, name, value)
    if custom is not None:
        custom_fields.apply_values(lead, custom)
    lead.updated_by_id = actor.id
    lead.search_text = search.normalise(
        lead.first_name, lead.last_name, lead.company, lead.email, lead.phone, lead.mobile
    )


def create_lead(actor, assign: bool = False, **fields) -> Lead:
    """Create a lead; RecordInvalid lists every bad field. With `assign` and no owner
    given, the assignment rules choose its owner and team (else it stays the actor's)."""
    permissions.require(actor, "create", "lead")
    lead = Lead(created_by_id=actor.id, custom={}, status=LeadStatus.NEW)
    apply_fields(lead, actor, fields, partial=False)
    db.session.add(lead)
    if assign and fields.get("owner_id") in (None, ""):
        from app.services import lead_assignment

        lead_assignment.assign(lead)
    db.session.flush()
    marketing_signals.emit("lead_created", lead=lead)
    return lead


def update_lead(lead: Lead, actor, **fields) -> Lead:
    """Change the given fields of `lead` (the others stay as they are)."""
    permissions.require(actor, "edit", "lead", lead)
    apply_fields(lead, actor, fields, partial=True)
    db.session.flush()
    return lead


def delete_lead(lead: Lead, actor) -> None:
    """Delete a lead with its tags and its own activities; activities that followed it to
    a customer on conversion stay there."""
    permissions.require(actor, "delete", "lead", lead)
    followed = db.session.scalars(
        sa.select(Activity).where(Activity.lead_id == lead.id, Activity.customer_id.is_not(None))
    )
    for activity in followed:
        activity.lead_id = None
    taggings = db.session.scalars(
        sa.select(Tagging).where(Tagging.entity_type == "leads", Tagging.entity_id == lead.id)
    )
    for tagging in taggings:
        db.session.delete(tagging)
    db.session.flush()
    db.session.delete(lead)
    db.session.flush()


def lead_activities(lead: Lead, actor, limit: int = 50) -> list[Activity]:
    """The lead's activities `actor` may read, newest first."""
    query = (
        sa.select(Activity)
        .where(
            Activity.lead_id == lead.id,
            permissions.visible(actor, "activity", Activity.owner_id),
        )
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


SORTS = {
    "name": KeysetSort(Lead.last_name, lambda lead: lead.last_name),
    "company": KeysetSort(Lead.company, lambda lead: lead.company),
    "status": KeysetSort(sa.type_coerce(Lead.status, sa.String()), lambda lead: lead.status.value),
    "source": KeysetSort(sa.type_coerce(Lead.source, sa.String()), lambda lead: lead.source.value),
    "created_at": KeysetSort(Lead.created_at, lambda lead: lead.created_at, is_time=True),
    "updated_at": KeysetSort(Lead.updated_at, lambda lead: lead.updated_at, is_time=True),
    "score": KeysetSort(
        sa.func.coalesce(Lead.score, -1), lambda lead: -1 if lead.score is None else lead.score
    ),
}
GRADES = ("A", "B", "C", "D")


@dataclasses.dataclass
class LeadFilters:
    """What a lead list shows: search, filters and an allowlisted sort."""

    q: str = ""
    status: LeadStatus | None = None
    source: LeadSource | None = None
    owner_id: int | None = None
    grade: str = ""
    tag: str = ""
    custom: dict = dataclasses.field(default_factory=dict)
    sort: str = "created_at"
    direction: str = "desc"

    @classmethod
    def from_args(cls, args) -> LeadFilters:
        """Read the filters from a query string; values outside the allowlists are ignored."""
        common = list_filters(args, SORTS, "created_at")
        if args.get("direction") not in ("asc", "desc"):
            common["direction"] = "desc" if common["sort"] == "created_at" else "asc"
        return cls(
            status=enum_member(LeadStatus, args.get("status")),
            source=enum_member(LeadSource, args.get("source")),
            grade=args.get("grade") if args.get("grade") in GRADES else "",
            **common,
        )

    def as_args(self) -> dict:
        """The query string for these filters (only what is set)."""
        default = self.sort == "created_at" and self.direction == "desc"
        own = {
            "status": self.status.value if self.status else "",
            "source": self.source.value if self.source else "",
            "grade": self.grade,
        }
        sort = {
            "sort": "" if default else self.sort,
            "direction": "" if default else self.direction,
        }
        return query_args(self, own, sort)


def leads_query(actor, filters: LeadFilters) -> sa.Select:
    """The leads `actor` may see that match `filters`, sorted by the sort column then id."""
    query = sa.select(Lead).where(permissions.visible(actor, "lead", Lead.owner_id))
    if filters.status is not None:
        query = query.where(Lead.status == filters.status)
    if filters.source is not None:
        query = query.where(Lead.source == filters.source)
    if filters.grade:
        query = query.where(Lead.score_grade == filters.grade)
    query = query.where(*filter_where(Lead, "lead", "leads", filters))
    return SORTS[filters.sort].order(query, Lead.id, filters.direction)


def lead_page(actor, filters: LeadFilters, cursor: str | None = None, limit: int = 50):
    """One page of leads after `cursor`: (rows, cursor of the next page or None)."""
    return keyset_page(
        leads_query(actor, filters), SORTS[filters.sort], Lead.id, filters.direction, cursor, limit
    )


def linkable_contacts(actor, customer_id: int | None = None, limit: int = 200) -> list:
    """(id, name, customer_id) of contacts `actor` may edit, hence link on conversion."""
    query = sa.select(Contact.id, Contact.first_name, Contact.last_name, Contact.customer_id)
    query = query.where(permissions.visible(actor, "contact", Contact.owner_id, "edit"))
    if customer_id is not None:
        query = query.where(Contact.customer_id == customer_id)
    rows = db.session.execute(query.order_by(Contact.last_name, Contact.id).limit(limit))
    return [
        (row.id, " ".join(p for p in (row.first_name, row.last_name) if p), row.customer_id)
        for row in rows
    ]
