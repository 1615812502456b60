"""Erasing a person (GDPR art. 17): their contact and lead records, and every row the
registry in app.services.personal_data links to them, anonymised in place; the audit trail
scrubbed of their old values (app.services.erasure_audit); one audit entry left that says
who erased whom, when, and how many rows of each table changed, with no personal data.

Records are anonymised, not deleted: counts, amounts, stages, dates and campaign metrics
stay right. Rows keyed by the address itself (email and SMS preferences) are deleted, since
their key is the personal data. Writes go through Core UPDATEs, which the audit hook does
not see, so the erasure writes no entry that repeats the values it removes.
"""

from __future__ import annotations

import dataclasses
import secrets
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask_babel import gettext

from app import audit, permissions
from app.extensions import db
from app.services import erasure_audit, erasure_files, person_records, personal_data, search
from app.services import personal_data as pd
from app.services.after_commit import call_after_commit
from app.services.person_records import ERASED, Person, Redactor

UTM_KEYS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "channel",
    "code",
)


_SINGLE_VALUE = frozenset({"email", "phone", "mobile", "website", "to_number", "from_number"})


class ConfirmationMismatch(ValueError):
    """The name or address typed to confirm is not the person's; str() says so."""


@dataclasses.dataclass
class ErasureResult:
    """What an erasure changed: rows per table (and audit entries scrubbed)."""

    kind: str
    record_id: int
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def pseudonym(row_id) -> str:
    """What an erased person is called from now on."""
    return f"Erased person #{row_id}"


def _search_text(table: str, row: dict) -> str:
    """search_text as the services build it, from the row's erased values."""
    if table == "contacts":
        parts = (row["first_name"], row["last_name"], row["email"], row["phone"], row["mobile"])
    elif table == "leads":
        parts = (row["first_name"], row["last_name"], row["company"], row["email"],
                 row["phone"], row["mobile"])  # fmt: skip
    elif table == "customers":
        parts = (row["name"], row["company"], row["email"], row["phone"])
    else:  # tickets: number, subject, customer name, the start of the description
        customer = db.metadata.tables["customers"]
        name = row["customer_id"] and db.session.scalar(
            sa.select(customer.c.name).where(customer.c.id == row["customer_id"])
        )
        parts = (row["number"], row["subject"], name or "", (row["description"] or "")[:2000])
    return search.normalise(*parts)


_SEARCH_SOURCES = {
    "contacts": ("first_name", "last_name", "email", "phone", "mobile"),
    "leads": ("first_name", "last_name", "company", "email", "phone", "mobile"),
    "customers": ("name", "company", "email", "phone"),
    "tickets": ("number", "subject", "customer_id", "description"),
}


def _url_path(value, redactor: Redactor):
    if not value:
        return value
    parts = urlsplit(value)
    host = parts.hostname or ""
    return redactor.text(urlunsplit((parts.scheme, host, parts.path, "", "")))


def _new_value(treatment: str, value, row: dict, pk, redactor: Redactor, table: sa.Table, column):
    """The erased value of one column (DERIVED, REBUILD_SEARCH and files are done apart)."""
    if treatment == pd.ERASE:
        return ERASED if value else value
    if treatment == pd.BLANK:
        return ""
    if treatment == pd.NULL:
        return None
    if treatment == pd.PSEUDONYM:
        return pseudonym(pk)
    if treatment == pd.REDACT:
        redacted = redactor.text(value)
        # An address or number field holds one value: emptied, not left as "[erased]".
        return "" if column in _SINGLE_VALUE and redacted != value else redacted
    if treatment == pd.HASH:
        return (
            value
            if not value or value.startswith("sha256:")
            else person_records.address_hash(value)
        )
    if treatment == pd.ROW_TOKEN:
        if value and value.startswith("erased-"):
            return value
        is_key = table.c[column].primary_key
        return f"erased-{secrets.token_hex(8)}" if is_key else f"erased-{pk}"
    if treatment == pd.INVALID_EMAIL:
        return f"erased-{pk}@erased.invalid"
    if treatment == pd.JSON_CLEAR:
        return {} if value is not None else None
    if treatment == pd.JSON_REDACT:
        return redactor.json(value)
    if treatment == pd.KEEP_UTM:
        kept = {key: item for key, item in (value or {}).items() if key in UTM_KEYS}
        return redactor.json(kept)
    if treatment == pd.URL_PATH:
        return _url_path(value, redactor)
    if treatment == pd.DEACTIVATE:
        return False
    if treatment == pd.DELETE_FILE:
        return None if column == "pdf_file" else (ERASED if value else value)
    raise ValueError(f"unknown treatment {treatment!r}")


def _apply(rule: pd.Rule, person: Person, redactor: Redactor) -> set:
    """Apply one rule; returns the primary keys of the rows it changed or deleted."""
    table = db.metadata.tables[rule.table]
    columns = {name: t for name, t in rule.columns.items() if name in table.c and t != pd.DERIVED}
    keys = list(table.primary_key.columns)
    rebuild = [name for name, t in columns.items() if t == pd.REBUILD_SEARCH]
    wanted = set(columns) | set(_SEARCH_SOURCES.get(rule.table, ()) if rebuild else ())
    if pd.DELETE_FILE in columns.values():
        wanted |= {"stored_name"} & set(table.c.keys())
    select = sa.select(*keys, *(table.c[name] for name in sorted(wanted - {k.name for k in keys})))
    where = person_records.link_clause(table, rule.link, person, list(columns))
    rows = [dict(row) for row in db.session.execute(select.where(where)).mappings()]
    if pd.DELETE_ROW in columns.values():
        for row in rows:
            db.session.execute(sa.delete(table).where(*(k == row[k.name] for k in keys)))
        return {tuple(row[k.name] for k in keys) for row in rows}
    changed = set()
    for row in rows:
        pk = row[keys[0].name] if len(keys) == 1 else tuple(row[k.name] for k in keys)
        values = {}
        for name, treatment in columns.items():
            if treatment == pd.REBUILD_SEARCH:
                continue
            new = _new_value(treatment, row[name], row, pk, redactor, table, name)
            if new != row[name]:
                values[name] = new
        merged = row | values
        for name in rebuild:
            text = _search_text(rule.table, merged)
            if text != row[name]:
                values[name] = text
        if not values:
            continue
        if pd.DELETE_FILE in columns.values():
            erasure_files.forget(rule.table, row)
        db.session.execute(sa.update(table).where(*(k == row[k.name] for k in keys)).values(values))
        changed.add(tuple(row[k.name] for k in keys))
    if rule.table == "portal_users" and changed:
        # Deactivated and signed out everywhere.
        db.session.execute(
            sa.update(table)
            .where(table.c.id.in_([key[0] for key in changed]))
            .values(session_version=table.c.session_version + 1)
        )
    return changed


def _person_or_404(kind: str, record_id: int) -> Person:
    person = person_records.load(kind, record_id)
    if person is None:
        raise LookupError(record_id)
    return person


def confirmation_matches(person: Person, typed: str | None) -> bool:
    """Whether `typed` is the person's name or one of their email addresses."""
    given = search.normalise(typed)
    accepted = {search.normalise(person.label)} | {search.normalise(e) for e in person.emails}
    return bool(given) and given in accepted


def preview(actor, kind: str, record_id: int) -> tuple[Person, dict[str, int]]:
    """The person and how many rows of each table an erasure would change (nothing written)."""
    permissions.require_admin(actor)
    person = _person_or_404(kind, record_id)
    counts: dict[str, int] = {}
    for rule in pd.RULES:
        if not person_records.has_table(rule.table) or rule.link == "mentions":
            continue
        table = db.metadata.tables[rule.table]
        where = person_records.link_clause(table, rule.link, person, list(rule.columns))
        count = db.session.scalar(sa.select(sa.func.count()).select_from(table).where(where))
        if count:
            counts[rule.table] = max(counts.get(rule.table, 0), count)
    return person, counts


def check(actor, kind: str, record_id: int, confirmation: str | None) -> Person:
    """The person to erase, once `actor` (an administrator) has typed their name or email
    address; LookupError, PermissionDenied or ConfirmationMismatch otherwise."""
    permissions.require_admin(actor)
    person = _person_or_404(kind, record_id)
    if not confirmation_matches(person, confirmation):
        raise ConfirmationMismatch(
            gettext("Type the person's full name or email address exactly as shown to confirm.")
        )
    return person


def erase(
    actor, kind: str, record_id: int, confirmation: str | None, progress=None
) -> ErasureResult:
    """Anonymise the person behind a contact or lead everywhere (administrators only).
    `confirmation` must be their name or email address; `progress(done, total)` follows
    the scan of the audit trail; the caller commits."""
    check(actor, kind, record_id, confirmation)
    return erase_confirmed(actor, kind, record_id, progress)


def erase_confirmed(actor, kind: str, record_id: int, progress=None) -> ErasureResult:
    """`erase` once the name or address was checked (by the page that queued the job: the
    job's arguments, kept in Redis for days, must not repeat it)."""
    permissions.require_admin(actor)
    person = _person_or_404(kind, record_id)
    db.session.flush()
    own = Redactor(person.identifiers(with_parts=True))
    # table -> {primary key -> {column: treatment}}: what the audit trail must match.
    touched: dict[str, dict[tuple, dict[str, str]]] = {}
    for rule in pd.RULES:
        if rule.table == "audit_entries" or not person_records.has_table(rule.table):
            continue
        redactor = own if rule.link != "mentions" else Redactor(person.identifiers(False))
        for key in _apply(rule, person, redactor):
            columns = touched.setdefault(rule.table, {}).setdefault(key, {})
            for column, treatment in rule.columns.items():
                if treatment in pd.REMOVING or column not in columns:
                    columns[column] = treatment
    counts = {table: len(keys) for table, keys in sorted(touched.items())}
    scrubbed = erasure_audit.scrub(person, touched, progress)
    if scrubbed:
        counts["audit_entries"] = scrubbed
    _record_erasure(actor, person, counts)
    db.session.expire_all()
    paths = erasure_files.pending()
    if paths:
        call_after_commit(lambda: erasure_files.remove(paths))
    return ErasureResult(kind, record_id, counts)


def _record_erasure(user, person: Person, counts: dict[str, int]) -> None:
    """The one entry that stays: who erased which record, when, and how many rows."""
    audit.record_action(
        db.session,
        user,
        "contacts" if person.kind == "contact" else "leads",
        person.id,
        pseudonym(person.id),
        {
            "erased": [None, "personal data erased"],
            "rows_changed": [None, counts],
            "contacts": [None, sorted(person.contact_ids)],
            "leads": [None, sorted(person.lead_ids)],
        },
    )


def is_erased(kind: str, record_id: int) -> bool:
    """Whether the record has been through an erasure (its name is the pseudonym)."""
    table = db.metadata.tables["contacts" if kind == "contact" else "leads"]
    name = db.session.scalar(sa.select(table.c.last_name).where(table.c.id == record_id))
    return name == pseudonym(record_id)


__all__ = ["ConfirmationMismatch", "ErasureResult", "erase", "preview", "personal_data"]
