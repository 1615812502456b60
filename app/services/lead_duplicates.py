"""Duplicate check for a lead: existing leads, contacts and customers that look like the same
person or company, by email address, phone number, or name and company.

Every lookup goes through an index: the search_text index (FTS5 on SQLite, trigram and
bigram GIN on PostgreSQL) or the last-name index narrows the rows to a few candidates,
which are then compared exactly in Python with the importer's rules (casefolded email,
phone digits, normalised names). Phone numbers are found by their last digits written in
groups of four or three, as nearly every format writes them.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app import permissions
from app.extensions import db
from app.models.customers import Contact, Customer
from app.models.sales import Lead
from app.services import search
from app.services.import_rows import phone_digits
from app.services.search import normalise

CANDIDATES = 50
# Two numbers are the same when their last digits agree (country and trunk prefixes
# differ between "+886 2 2345 6789" and "02-2345-6789").
PHONE_TAIL = 8
REASONS = {
    "email": _l("Same email address"),
    "phone": _l("Same phone number"),
    "name": _l("Same name and company"),
    "company": _l("Same company"),
}
_KINDS = ("lead", "contact", "customer")
_ENTITIES = {
    "lead": (Lead, "lead"),
    "contact": (Contact, "contact"),
    "customer": (Customer, "customer"),
}


@dataclasses.dataclass(frozen=True)
class DuplicateMatch:
    """An existing record that may be the same: its kind (lead, contact or customer), id,
    a label to show, and the strongest reason (email, phone, name or company)."""

    kind: str
    id: int
    label: str
    reason: str

    @property
    def reason_label(self) -> str:
        return str(REASONS[self.reason])


def find_duplicates(
    email: str | None = None,
    phone: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    company: str | None = None,
    exclude_lead_id: int | None = None,
    limit: int = 10,
    *,
    actor=None,
) -> list[DuplicateMatch]:
    """Leads, contacts and customers that share the email address, the phone number, or the
    person's name and company (customers: the company name), strongest reason first, each
    record once. With `actor`, only records they may see."""
    found: dict[tuple[str, int], DuplicateMatch] = {}
    email_key = (email or "").strip().casefold()
    phone_key = _tail(phone)
    name_key = normalise(first_name, last_name)
    company_key = normalise(company)
    finders = []
    if email_key:
        finders.append(("email", _by_email))
    if phone_key:
        finders.append(("phone", _by_phone))
    if name_key:
        finders.append(("name", _by_name))
    if company_key:
        finders.append(("company", _by_company))
    keys = {
        "email": email_key,
        "phone": phone_key,
        "name": name_key,
        "last": normalise(last_name),
        "last_typed": " ".join((last_name or "").split()),
        "company": company_key,
        "company_typed": " ".join((company or "").split()),
    }
    for reason, finder in finders:
        for kind in _KINDS:
            for record_id, label in finder(kind, keys, actor):
                if kind == "lead" and record_id == exclude_lead_id:
                    continue
                found.setdefault((kind, record_id), DuplicateMatch(kind, record_id, label, reason))
    return list(found.values())[:limit]


def _tail(text: str | None) -> str:
    return phone_digits(text)[-PHONE_TAIL:]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _indexed_search(model, text: str):
    """search.matches for the words of `text` that an index answers (three characters or
    more; two on PostgreSQL, whose bigram index takes them), or None if there are none: a
    shorter word would mean a full scan with LIKE."""
    shortest = 2 if _dialect() == "postgresql" else 3
    words = [word for word in search.terms(text) if len(word) >= shortest]
    return search.matches(model, " ".join(words), _dialect()) if words else None


def _visible(kind: str, actor):
    model, entity = _ENTITIES[kind]
    return sa.true() if actor is None else permissions.visible(actor, entity, model.owner_id)


def _rows(kind: str, columns, where, actor, limit: int = CANDIDATES) -> list:
    """Up to `limit` candidates of `kind` matching `where`, with their label columns."""
    model, _ = _ENTITIES[kind]
    query = sa.select(model.id, *_label_columns(kind), *columns)
    if kind == "contact":
        query = query.outerjoin(Customer, Customer.id == Contact.customer_id)
    query = query.where(where, _visible(kind, actor)).order_by(model.id).limit(limit)
    return list(db.session.execute(query))


def _by_email(kind: str, keys: dict, actor):
    model, _ = _ENTITIES[kind]
    where = _indexed_search(model, keys["email"])
    if where is None:
        return
    for row in _rows(kind, [model.email], where, actor):
        if (row.email or "").strip().casefold() == keys["email"]:
            yield row.id, _label(kind, row)


def _by_phone(kind: str, keys: dict, actor):
    model, _ = _ENTITIES[kind]
    digits = keys["phone"]
    phones = [model.phone] + ([model.mobile] if kind != "customer" else [])
    seen = set()
    # The last four digits written together ("2345 6789"), or the last six as two groups
    # of three ("0912-345-678"): between them nearly every way of writing a number.
    for text in (digits[-4:], f"{digits[-6:-3]} {digits[-3:]}"):
        where = _indexed_search(model, text)
        if where is None:
            continue
        for row in _rows(kind, phones, where, actor, limit=4 * CANDIDATES):
            numbers = [_tail(row.phone)] + ([_tail(row.mobile)] if kind != "customer" else [])
            if row.id not in seen and digits in numbers:
                seen.add(row.id)
                yield row.id, _label(kind, row)


def _by_name(kind: str, keys: dict, actor):
    """People with the same normalised name whose company is the same (or unknown on one
    side); customers are companies, found by `_by_company` instead."""
    if kind == "customer" or not keys["last"]:
        return
    model, _ = _ENTITIES[kind]
    wheres = [model.last_name.in_(_spellings(keys["last"], keys["last_typed"]))]
    found = _indexed_search(model, keys["name"])
    if found is not None:
        wheres.append(found)
    seen = set()
    for where in wheres:
        for row in _rows(kind, [], where, actor):
            if row.id in seen or normalise(row.first_name, row.last_name) != keys["name"]:
                continue
            seen.add(row.id)
            if _same_company(kind, row, keys["company"]):
                yield row.id, _label(kind, row)


def _spellings(last: str, typed: str) -> list[str]:
    """The last name as people type it, for the exact (indexed) last-name lookup that also
    finds names too short for the search index, like 王 or 林."""
    return sorted({last, last.title(), last.upper(), typed})


def _same_company(kind: str, row, company_key: str) -> bool:
    if not company_key:
        return True
    theirs = [row.company] if kind == "lead" else [row.customer_name, row.customer_company]
    theirs = [normalise(value) for value in theirs if value]
    return not theirs or company_key in theirs


def _by_company(kind: str, keys: dict, actor):
    """Customers whose name or legal name is the lead's company."""
    if kind != "customer":
        return
    where = _indexed_search(Customer, keys["company"])
    if where is None:
        where = Customer.name.in_({keys["company"], keys["company"].title(), keys["company_typed"]})
    for row in _rows(kind, [], where, actor):
        if keys["company"] in (normalise(row.name), normalise(row.company)):
            yield row.id, _label(kind, row)


def _label_columns(kind: str) -> list:
    if kind == "lead":
        return [Lead.first_name, Lead.last_name, Lead.company]
    if kind == "contact":
        return [
            Contact.first_name,
            Contact.last_name,
            Customer.name.label("customer_name"),
            Customer.company.label("customer_company"),
        ]
    return [Customer.name, Customer.company]


def _person_label(first: str, last: str, company: str = "") -> str:
    name = " ".join(part for part in (first, last) if part)
    return f"{name} ({company})" if company else name


def _label(kind: str, row) -> str:
    if kind == "lead":
        return _person_label(row.first_name, row.last_name, row.company)
    if kind == "contact":
        return _person_label(row.first_name, row.last_name, row.customer_name or "")
    return row.name
