"""One CSV row into one record: the fields it gives, the duplicates it matches, and whether it
ends created, updated, skipped or rejected. Records are always written through the customer,
contact and lead services, so validation, permissions, search text and the audit trail are
the same as in the forms. Imported leads get the source IMPORT and, without an owner in
their row, an owner from the assignment rules.
"""

from __future__ import annotations

import dataclasses
import re

import sqlalchemy as sa
from flask_babel import gettext

from app import permissions
from app.extensions import db
from app.models.customers import AddressKind, Contact, Customer
from app.models.identity import User
from app.models.sales import Lead, LeadSource
from app.services import contacts, custom_fields, customers, leads, tags
from app.services.import_mapping import CUSTOM_PREFIX
from app.services.search import normalise
from app.services.validation import RecordInvalid

DUPLICATE_MODES = ("skip", "update", "create")
MIN_PHONE_DIGITS = 6
_TRUE = {"1", "y", "yes", "true", "x", "是", "v", "✓"}
_ADDRESS_PREFIX = "address_"
_ADDRESS_COLUMNS = ("line1", "line2", "city", "region", "postal_code", "country")
_MODELS = {"customer": Customer, "contact": Contact, "lead": Lead}
_TAG_TABLES = {"customer": "customers", "contact": "contacts", "lead": "leads"}
# Record types whose new rows an import batch writes together (see PendingCreates).
BULK_TYPES = ("customer", "contact")


@dataclasses.dataclass
class Source:
    """A record later rows may duplicate: its id (None while its row waits in a batch for
    `PendingCreates.write`) and the file row that made it, when it came from this file."""

    record_id: int | None
    row_number: int | None = None


@dataclasses.dataclass(frozen=True)
class Match:
    """An earlier record a row duplicates, and which of its keys matched."""

    source: Source
    kind: str = ""

    @property
    def record_id(self) -> int | None:
        return self.source.record_id


@dataclasses.dataclass
class Outcome:
    """What became of one row."""

    result: str  # created, updated, skipped or rejected
    messages: list[str] = dataclasses.field(default_factory=list)
    match: Match | None = None


def phone_digits(text: str | None) -> str:
    """The digits of a phone number, or "" when too few to tell two numbers apart."""
    digits = re.sub(r"\D", "", text or "")
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


def duplicate_keys(entity_type: str, fields: dict) -> list[tuple[str, str]]:
    """The (kind, value) pairs two records share when they are the same one."""
    keys = []
    email = (fields.get("email") or "").strip().casefold()
    if email:
        keys.append(("email", email))
    for column in ("phone", "mobile"):
        digits = phone_digits(fields.get(column))
        if digits:
            keys.append(("phone", digits))
    if entity_type == "customer":
        name = normalise(fields.get("name"))
    elif entity_type == "lead":
        # Two leads named alike are one only at the same company.
        name = normalise(fields.get("first_name"), fields.get("last_name"))
        name = name and normalise(name, fields.get("company"))
    else:
        name = normalise(fields.get("first_name"), fields.get("last_name"))
    if name:
        keys.append(("name", name))
    return keys


class DuplicateIndex:
    """Records by email, phone digits and normalised name; rows add themselves as they go
    in, so a later row of the same file is found as a duplicate too."""

    def __init__(self, entity_type: str):
        self.entity_type = entity_type
        self._by_key: dict[tuple[str, str], Source] = {}

    @classmethod
    def from_database(cls, entity_type: str) -> DuplicateIndex:
        """Every existing record, read once in one streaming query."""
        index = cls(entity_type)
        model = _MODELS[entity_type]
        if entity_type == "customer":
            columns = (Customer.id, Customer.name, Customer.email, Customer.phone)
        elif entity_type == "lead":
            columns = (
                Lead.id,
                Lead.first_name,
                Lead.last_name,
                Lead.company,
                Lead.email,
                Lead.phone,
                Lead.mobile,
            )
        else:
            columns = (
                Contact.id,
                Contact.first_name,
                Contact.last_name,
                Contact.email,
                Contact.phone,
                Contact.mobile,
            )
        query = sa.select(*columns).order_by(model.id).execution_options(yield_per=2000)
        for row in db.session.execute(query).mappings():
            index.add(dict(row), Source(row["id"]))
        return index

    def find(self, fields: dict) -> Match | None:
        for key in duplicate_keys(self.entity_type, fields):
            source = self._by_key.get(key)
            if source is not None:
                return Match(source, kind=key[0])
        return None

    def copy(self) -> DuplicateIndex:
        twin = DuplicateIndex(self.entity_type)
        twin._by_key = dict(self._by_key)
        return twin

    def add(self, fields: dict, source: Source) -> None:
        for key in duplicate_keys(self.entity_type, fields):
            self._by_key.setdefault(key, source)


class Lookups:
    """Owners by email and customers by name, read once per import rather than per row."""

    def __init__(self, actor):
        self.actor = actor
        self._owners: dict[str, int | None] = {}
        self._customers: dict[str, list[int]] = {}
        self._definitions: dict[str, list] = {}

    def definitions(self, entity_type: str) -> list:
        """The active custom fields of `entity_type`."""
        if entity_type not in self._definitions:
            self._definitions[entity_type] = custom_fields.fields_for(entity_type)
        return self._definitions[entity_type]

    def owner_id(self, email: str) -> int | None:
        """The active user with this email address or, as CRM exports name owners ("Contact
        owner: Mei Chen"), with exactly this name."""
        key = email.casefold()
        if key not in self._owners:
            self._owners[key] = db.session.scalar(
                sa.select(User.id).where(sa.func.lower(User.email) == key, User.is_active)
            )
            if self._owners[key] is None and "@" not in key:
                named = db.session.scalars(
                    sa.select(User.id)
                    .where(sa.func.lower(User.name) == " ".join(key.split()), User.is_active)
                    .limit(2)
                ).all()
                self._owners[key] = named[0] if len(named) == 1 else None
        return self._owners[key]

    def customer_ids(self, name: str) -> list[int]:
        key = normalise(name)
        if key not in self._customers:
            seen = permissions.visible(self.actor, "customer", Customer.owner_id)
            rows = db.session.execute(
                sa.select(Customer.id, Customer.name)
                .where(sa.func.lower(Customer.name) == name.lower(), seen)
                .limit(5)
            )
            self._customers[key] = [cid for cid, cname in rows if normalise(cname) == key]
        return self._customers[key]


def record_fields(entity_type: str, values: dict, lookups: Lookups) -> tuple[dict, list, dict]:
    """(service fields, tag names, errors) for one mapped row; empty cells are left out."""
    fields, custom, address, errors = {}, {}, {}, {}
    for target, text in values.items():
        if not text:
            continue
        if target.startswith(CUSTOM_PREFIX):
            custom[target.removeprefix(CUSTOM_PREFIX)] = text
        elif target.startswith(_ADDRESS_PREFIX):
            address[target.removeprefix(_ADDRESS_PREFIX)] = text
        elif target in ("size", "status", "rating"):
            fields[target] = text.strip().upper()
        elif target == "is_primary":
            fields[target] = text.strip().casefold() in _TRUE
        elif target not in ("owner_email", "customer", "tags"):
            fields[target] = text
    if values.get("owner_email"):
        owner_id = lookups.owner_id(values["owner_email"])
        if owner_id is None and "@" in values["owner_email"]:
            errors["owner_email"] = gettext("No active user has this email address.")
        elif owner_id is None:
            errors["owner_email"] = gettext("No single active user has this name.")
        fields["owner_id"] = owner_id
    if values.get("customer"):
        found = lookups.customer_ids(values["customer"])
        if len(found) == 1:
            fields["customer_id"] = found[0]
        else:
            errors["customer"] = (
                gettext("Several customers have this name.")
                if found
                else gettext("No customer you can see has this name.")
            )
    if custom:
        fields["custom"] = custom
    if address:
        fields["addresses"] = [{"kind": "BILLING", **address}]
    return fields, tags.split_names(values.get("tags", "")), errors


def _create(entity_type: str, actor, fields: dict):
    if entity_type == "customer":
        return customers.create_customer(actor, **fields)
    if entity_type == "lead":
        return leads.create_lead(actor, assign=True, **fields | {"source": LeadSource.IMPORT})
    return contacts.create_contact(actor, **fields)


def _update(entity_type: str, record, actor, fields: dict):
    if entity_type == "customer":
        if "addresses" in fields:
            # The file gives a billing address; the record's other addresses stay.
            kept = [
                {key: getattr(a, key) for key in _ADDRESS_COLUMNS} | {"kind": a.kind}
                for a in record.addresses
                if a.kind is not AddressKind.BILLING
            ]
            fields = fields | {"addresses": fields["addresses"] + kept}
        return customers.update_customer(record, actor, **fields)
    if entity_type == "lead":
        return leads.update_lead(record, actor, **fields)
    return contacts.update_contact(record, actor, **fields)


def _describe(match: Match) -> str:
    if match.source.row_number is not None:
        row = match.source.row_number
        return gettext("Same %(kind)s as row %(row)d.", kind=match.kind, row=row)
    return gettext("Same %(kind)s as an existing record.", kind=match.kind)


class UnsafeRow(Exception):
    """A row failed after it started writing, outside a savepoint: its whole batch must be
    rolled back and redone with a savepoint per row."""


class PendingCreates:
    """The rows of a batch that create a plain new record. Each is checked by its service
    when its turn comes (a bad row is rejected where it stands) and they are all written
    together by `write`, in a few statements, at the end of the batch or before any row
    that writes on its own, so records still go in in file order."""

    def __init__(self, entity_type: str, actor, lookups: Lookups):
        self.entity_type = entity_type
        self.actor = actor
        self.lookups = lookups
        self._records: list = []
        self._sources: list[Source] = []
        self._tagged: list[tuple[object, list[str]]] = []
        self._seen_tags: set[str] = set()

    def add(self, fields: dict, tag_names: list[str], source: Source) -> bool:
        """Check the row and keep its record for `write`; False when the row must be
        written on its own (a primary contact, tags that need a check of their own).
        RecordInvalid and PermissionDenied as the services raise them."""
        if fields.get("is_primary") or not self._tags_ok(tag_names):
            return False
        definitions = self.lookups.definitions(self.entity_type)
        if self.entity_type == "customer":
            record = customers.new_customer(self.actor, fields, definitions)
        else:
            record = contacts.new_contact(self.actor, fields, definitions)
        if tag_names:
            if not permissions.can(self.actor, "edit", self.entity_type, record):
                return False
            self._tagged.append((record, tag_names))
        self._records.append(record)
        self._sources.append(source)
        return True

    def _tags_ok(self, tag_names: list[str]) -> bool:
        """Whether every name is valid and exists, or may be created, by this actor."""
        try:
            names = [tags.normalise(name) for name in tag_names]
        except tags.TagError:
            return False
        missing = [name for name in names if name.casefold() not in self._seen_tags]
        unknown = missing and len(tags.find(missing)) < len({n.casefold() for n in missing})
        if unknown and not permissions.can(self.actor, "create", "tag"):
            return False
        self._seen_tags.update(name.casefold() for name in names)
        return True

    def write(self) -> None:
        """Insert the waiting records and their tags; UnsafeRow if anything fails."""
        if not self._records:
            return
        try:
            if self.entity_type == "customer":
                customers.insert_customers(self._records)
            else:
                contacts.insert_contacts(self._records)
            tags.tag_new_records(self.actor, _TAG_TABLES[self.entity_type], self._tagged)
        except Exception as error:
            raise UnsafeRow() from error
        for record, source in zip(self._records, self._sources, strict=True):
            source.record_id = record.id
        self._records, self._sources, self._tagged = [], [], []


def _write(entity_type: str, actor, fields: dict, match, mode: str, tag_names: list):
    if match is not None and mode == "update":
        record = db.session.get(_MODELS[entity_type], match.record_id)
        if record is None or not permissions.can(actor, "edit", entity_type, record):
            raise permissions.PermissionDenied()
        _update(entity_type, record, actor, fields)
        result = "updated"
    else:
        record = _create(entity_type, actor, fields)
        result = "created"
    try:
        if tag_names and entity_type == "lead" and result == "created":
            # The rules may have given the new lead to someone the importer cannot edit for;
            # its tags are part of making it.
            tags.tag_new_records(actor, _TAG_TABLES[entity_type], [(record, tag_names)])
        elif tag_names:
            tags.add_tags(actor, _TAG_TABLES[entity_type], record.id, tag_names)
    except Exception as error:
        raise UnsafeRow() from error
    return record, result


def _write_unguarded(*args):
    """Write without a savepoint. The services refuse (RecordInvalid, PermissionDenied)
    before they change anything, so only those may be caught here; any other failure
    may have left half a row behind."""
    try:
        return _write(*args)
    except (RecordInvalid, permissions.PermissionDenied, UnsafeRow):
        raise
    except Exception as error:
        raise UnsafeRow() from error


def _write_guarded(*args):
    """Write in a savepoint, so a failure at any point leaves nothing of the row behind."""
    with db.session.begin_nested():
        try:
            return _write(*args)
        except UnsafeRow as unsafe:
            raise unsafe.__cause__ from None


def apply_row(
    entity_type: str,
    actor,
    values: dict,
    mode: str,
    index: DuplicateIndex,
    lookups: Lookups,
    row_number: int,
    labels: dict | None = None,
    pending: PendingCreates | None = None,
) -> Outcome:
    """Create, update or skip the record for one row; RecordInvalid and refusals become a
    rejected Outcome. Without `pending` the row is written in a savepoint of its own, so a
    failure at any point leaves nothing behind. With it (an import batch) a new record
    waits in `pending` and other rows are written without a savepoint, raising UnsafeRow
    when a failure may have left part of the batch behind."""
    fields, tag_names, errors = record_fields(entity_type, values, lookups)
    if errors:
        return Outcome("rejected", errors_as_messages(errors, labels))
    match = index.find(fields)
    if match is not None and mode == "skip":
        return Outcome("skipped", [_describe(match)], match)
    described = [_describe(match)] if match else []
    source = Source(None, row_number)
    args = (entity_type, actor, fields, match, mode, tag_names)
    try:
        creating = match is None or mode != "update"
        if pending is not None and creating and pending.add(fields, tag_names, source):
            index.add(fields, source)
            return Outcome("created", described, match)
        if pending is not None:
            pending.write()
            record, result = _write_unguarded(*args)
        else:
            record, result = _write_guarded(*args)
    except RecordInvalid as invalid:
        return Outcome("rejected", errors_as_messages(invalid.errors, labels), match)
    except permissions.PermissionDenied:
        message = gettext("You may not change the matching record.")
        if creating:
            message = gettext("You may not create this record.")
        return Outcome("rejected", [message], match)
    except tags.TagError as error:
        return Outcome("rejected", [str(error)], match)
    except sa.exc.IntegrityError:
        return Outcome("rejected", [gettext("This row conflicts with an existing record.")])
    if result == "created":
        source.record_id = record.id
        index.add(fields, source)
    return Outcome(result, described, match)


def errors_as_messages(errors: dict, labels: dict | None = None) -> list[str]:
    """RecordInvalid's {field: message} as "column: message" lines, named as in the file."""
    labels = labels or {}
    return [f"{labels.get(field, field)}: {message}" for field, message in errors.items()]
