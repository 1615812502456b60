"""One person as Rapport knows them: the contact and lead records that are them (a lead and
the contact it was converted into are one person), their addresses and numbers, and the
rows of every table linked to them (the links named by app.services.personal_data).
Shared by the person's data export and their erasure.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.extensions import db
from app.models.base import person_name
from app.models.customers import Contact, Customer
from app.models.sales import Lead
from app.services import search

ERASED = "[erased]"
KINDS = ("contact", "lead")
_MIN_PART = 3  # shorter name parts ("Li") would be found inside other words


def e164(raw: str | None) -> str | None:
    """The number as the SMS module stores it, when that module is installed."""
    try:
        from app.services.sms import phones
    except ImportError:  # pragma: no cover - the SMS module is optional
        return None
    try:
        return phones.normalise_or_none(raw)
    except Exception:  # an unparseable number is simply not an SMS number
        return None


def address_hash(value: str) -> str:
    """The one-way form an erased address or number is kept in (consent evidence)."""
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()
    return f"sha256:{digest}"


@dataclasses.dataclass
class Person:
    """Everything that identifies one person, and the ids that link rows to them."""

    kind: str
    id: int
    contact_ids: set[int] = dataclasses.field(default_factory=set)
    lead_ids: set[int] = dataclasses.field(default_factory=set)
    names: set[str] = dataclasses.field(default_factory=set)
    name_parts: set[str] = dataclasses.field(default_factory=set)
    emails: set[str] = dataclasses.field(default_factory=set)
    phones: set[str] = dataclasses.field(default_factory=set)
    numbers: set[str] = dataclasses.field(default_factory=set)  # E.164
    customer_ids: set[int] = dataclasses.field(default_factory=set)
    individual_customer_ids: set[int] = dataclasses.field(default_factory=set)
    ticket_ids: set[int] = dataclasses.field(default_factory=set)
    opportunity_ids: set[int] = dataclasses.field(default_factory=set)
    # Addresses and numbers no other contact or lead has: rows keyed by them go too.
    own_emails: set[str] = dataclasses.field(default_factory=set)
    own_numbers: set[str] = dataclasses.field(default_factory=set)
    label: str = ""

    def identifiers(self, with_parts: bool = True) -> list[str]:
        """What identifies them in free text, longest first; name parts only where the text
        is about them anyway (their own rows), not in a search across everyone's."""
        values = set(self.names) | self.emails | self.phones | self.numbers
        values |= {re.sub(r"\D", "", phone) for phone in self.phones}
        if with_parts:
            values |= self.name_parts
        values |= {search.normalise(value) for value in values}
        return sorted((v for v in values if v and len(v) >= 2), key=len, reverse=True)

    def search_terms(self) -> list[str]:
        """Identifiers distinctive enough to look for in every row (the audit trail),
        also as JSON writes them (SQLite stores non-ASCII text in JSON as \\u escapes)."""
        values = set(self.names) | self.emails | self.phones | self.numbers
        values = {value for value in values if len(value) >= 5}
        escaped = {json.dumps(value)[1:-1] for value in values}
        return sorted(values | escaped)


def _add_identity(person: Person, first: str, last: str, email: str, *phones: str) -> None:
    full = person_name(first, last)
    if full:
        person.names |= {full, f"{first} {last}".strip(), f"{last} {first}".strip()}
    for part in (first, last):
        part = (part or "").strip()
        if len(part) >= _MIN_PART or (len(part) >= 2 and not part.isascii()):
            person.name_parts.add(part)
    if email and email.strip():
        person.emails.add(email.strip().lower())
    for phone in phones:
        if phone and len(re.sub(r"\D", "", phone)) >= 6:
            person.phones.add(phone.strip())
            number = e164(phone)
            if number:
                person.numbers.add(number)


def load(kind: str, record_id: int) -> Person | None:
    """The person behind a contact or lead (None when there is no such record)."""
    if kind not in KINDS:
        return None
    model = Contact if kind == "contact" else Lead
    record = db.session.get(model, record_id)
    if record is None:
        return None
    person = Person(kind=kind, id=record_id, label=str(record))
    if kind == "contact":
        person.contact_ids.add(record.id)
    else:
        person.lead_ids.add(record.id)
        if record.contact_id:
            person.contact_ids.add(record.contact_id)
    if person.contact_ids:
        converted = sa.select(Lead.id).where(Lead.contact_id.in_(person.contact_ids))
        person.lead_ids |= set(db.session.scalars(converted))
    _collect(person)
    return person


def _collect(person: Person) -> None:
    contacts = db.session.scalars(sa.select(Contact).where(Contact.id.in_(person.contact_ids)))
    leads = db.session.scalars(sa.select(Lead).where(Lead.id.in_(person.lead_ids)))
    for contact in contacts:
        _add_identity(person, contact.first_name, contact.last_name, contact.email,
                      contact.phone, contact.mobile)  # fmt: skip
        if contact.customer_id:
            person.customer_ids.add(contact.customer_id)
    for lead in leads:
        _add_identity(person, lead.first_name, lead.last_name, lead.email, lead.phone, lead.mobile)
        if lead.customer_id:
            person.customer_ids.add(lead.customer_id)
    if person.customer_ids:
        names = {search.normalise(name) for name in person.names}
        rows = db.session.execute(
            sa.select(Customer.id, Customer.name).where(Customer.id.in_(person.customer_ids))
        )
        person.individual_customer_ids = {
            cid for cid, name in rows if search.normalise(name) in names
        }
        person.customer_ids -= person.individual_customer_ids
    tickets = _table("tickets")
    person.ticket_ids = set(
        db.session.scalars(
            sa.select(tickets.c.id).where(tickets.c.contact_id.in_(person.contact_ids))
        )
    )
    deals = _table("opportunities")
    person.opportunity_ids = set(
        db.session.scalars(sa.select(deals.c.id).where(_person_clause(deals, person)))
    )
    person.own_emails = {e for e in person.emails if not _held_elsewhere_email(person, e)}
    person.own_numbers = {n for n in person.numbers if not _held_elsewhere_number(person, n)}


def _held_elsewhere_email(person: Person, email: str) -> bool:
    others = [
        sa.select(Contact.id).where(
            Contact.email_key == email, Contact.id.not_in(person.contact_ids)
        ),
        sa.select(Lead.id).where(Lead.email_key == email, Lead.id.not_in(person.lead_ids)),
    ]
    return any(db.session.scalar(query.limit(1)) is not None for query in others)


def _held_elsewhere_number(person: Person, number: str) -> bool:
    # The last four digits in order, whatever spaces or dashes the number was typed with;
    # the few candidates are then compared in E.164.
    pattern = "%" + "%".join(number[-4:]) + "%"
    for model, ids in ((Contact, person.contact_ids), (Lead, person.lead_ids)):
        rows = db.session.execute(
            sa.select(model.phone, model.mobile).where(
                model.id.not_in(ids), sa.or_(model.phone.like(pattern), model.mobile.like(pattern))
            )
        )
        if any(number in (e164(phone), e164(mobile)) for phone, mobile in rows):
            return True
    return False


def _table(name: str) -> sa.Table:
    return db.metadata.tables[name]


def has_table(name: str) -> bool:
    """Whether the schema has this table (the SMS and webhook modules are optional)."""
    return name in db.metadata.tables


def _in(column, ids) -> sa.ColumnElement:
    return column.in_(sorted(ids)) if ids else sa.false()


def _person_clause(table: sa.Table, person: Person) -> sa.ColumnElement:
    clauses = []
    if "contact_id" in table.c:
        clauses.append(_in(table.c.contact_id, person.contact_ids))
    if "lead_id" in table.c:
        clauses.append(_in(table.c.lead_id, person.lead_ids))
    return sa.or_(*clauses) if clauses else sa.false()


def _mentions(table: sa.Table, columns: list[str], person: Person) -> sa.ColumnElement:
    """Rows whose text (the columns as one lower-case string, built once a row) contains a
    distinctive identifier: one pass over the table, however many identifiers."""
    terms = person.search_terms()
    if not terms:
        return sa.false()
    parts = [sa.func.coalesce(sa.cast(table.c[column], sa.Text), "") for column in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + " " + part
    text = sa.func.lower(joined)
    patterns = [search.contains_pattern(term.lower()) for term in terms]
    if db.session.get_bind().dialect.name == "postgresql":
        # PostgreSQL's LIKE escapes with a backslash by default (ANY takes no ESCAPE).
        return text.like(sa.any_(postgresql.array(patterns)))
    return sa.or_(*(text.like(pattern, escape="\\") for pattern in patterns))


def link_clause(table: sa.Table, link: str, person: Person, columns: list[str]) -> sa.ColumnElement:
    """WHERE clause: the rows of `table` that `link` ties to `person`."""
    c = table.c
    clauses = {
        "self_contact": lambda: _in(c.id, person.contact_ids),
        "self_lead": lambda: _in(c.id, person.lead_ids),
        "person": lambda: _person_clause(table, person),
        "contact": lambda: _in(c.contact_id, person.contact_ids),
        "author": lambda: _in(c.author_contact_id, person.contact_ids),
        "uploader": lambda: _in(c.uploaded_by_contact_id, person.contact_ids),
        "person_ticket": lambda: _in(c.ticket_id, person.ticket_ids),
        "person_opportunity": lambda: _in(c.opportunity_id, person.opportunity_ids),
        "individual_customer": lambda: _in(
            c.id if table.name == "customers" else c.customer_id, person.individual_customer_ids
        ),
        "person_customer": lambda: _in(c.id, person.customer_ids),
        "address": lambda: _in(c.email, person.own_emails),
        "person_or_address": lambda: sa.or_(
            _person_clause(table, person), _in(c.email, person.own_emails | person.own_numbers)
        ),
        "number": lambda: _in(c.phone, person.own_numbers),
        "person_or_number": lambda: sa.or_(
            _person_clause(table, person),
            _in(c.to_number, person.own_numbers),
            _in(c.from_number, person.own_numbers),
        ),
        "mentions": lambda: _mentions(table, columns, person),
    }
    return clauses[link]()


class Redactor:
    """Replaces the person's identifiers inside text, whatever their case."""

    def __init__(self, identifiers: list[str]):
        parts = []
        for value in identifiers:
            escaped = re.escape(value)
            # Latin words only where they stand alone ("Ann" not inside "Annual").
            parts.append(
                rf"(?<!\w){escaped}(?!\w)" if value.isascii() and value[:1].isalnum() else escaped
            )
        self._pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def text(self, value):
        if not isinstance(value, str) or self._pattern is None or not value:
            return value
        return self._pattern.sub(ERASED, value)

    def json(self, value):
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.json(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.json(item) for item in value]
        return value
