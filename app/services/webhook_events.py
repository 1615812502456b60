"""The events webhooks carry, and how a change becomes deliveries.

Record events come from the audit trail (app.audit calls `on_audit_entries` inside every
flush that writes entries), so every write path is covered: pages, API, imports, jobs. A
matching active subscription gets a PENDING delivery row written in the same transaction,
and one job is queued after the commit to send them. A rollback takes the rows with it
and drops the job; if Redis is down at commit time, the rows wait and the retry sweep
(every minute) sends them, so nothing is lost. The set of subscribed event names is cached
for a few seconds per process: a write nobody subscribed to costs a set lookup.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app import audit
from app.models.base import utcnow
from app.models.records import AuditAction
from app.models.webhooks import DeliveryStatus, WebhookDelivery, WebhookSubscription
from app.services import marketing_signals
from app.services.after_commit import call_after_commit

log = logging.getLogger(__name__)

PING = "ping"
# Audited table -> the entity name events and payloads use.
RECORDS = {
    "customers": "customer",
    "contacts": "contact",
    "leads": "lead",
    "opportunities": "opportunity",
    "tickets": "ticket",
    "quotes": "quote",
    "orders": "order",
}
_VERBS = {
    AuditAction.CREATE: "created",
    AuditAction.UPDATE: "updated",
    AuditAction.DELETE: "deleted",
}
_RECORD_LABELS = {
    "customer": _l("Customers"),
    "contact": _l("Contacts"),
    "lead": _l("Leads"),
    "opportunity": _l("Opportunities"),
    "ticket": _l("Tickets"),
    "quote": _l("Quotes"),
    "order": _l("Orders"),
}
# Columns kept for the search index, not part of the record as users know it.
_INTERNAL = frozenset({"search_text"})
_VERB_LABELS = {"created": _l("created"), "updated": _l("changed"), "deleted": _l("deleted")}
_SPECIAL = {
    "lead": [("lead.converted", _l("converted"))],
    "opportunity": [("opportunity.stage_changed", _l("moved to another stage"))],
    "ticket": [("ticket.resolved", _l("resolved"))],
}


def event_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The subscribable events as (group label, [(event name, label)]) for the form."""
    groups = []
    for entity, label in _RECORD_LABELS.items():
        events = [(f"{entity}.{verb}", verb_label) for verb, verb_label in _VERB_LABELS.items()]
        groups.append((label, events + _SPECIAL.get(entity, [])))
    groups.append((_l("Web forms"), [("form.submitted", _l("submitted"))]))
    return groups


EVENTS = frozenset(name for _group, events in event_groups() for name, _label in events)
_CACHE_SECONDS = 5.0
_cache: dict[object, tuple[float, frozenset[str]]] = {}  # by engine
_tables_seen: set[object] = set()
_PENDING = "webhook_events_pending"
_JOB_CHUNK = 100


@dataclasses.dataclass(frozen=True)
class Event:
    """One thing that happened; every subscription that wants it gets the same payload."""

    name: str
    data: dict
    occurred_at: datetime
    id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))

    def payload(self) -> dict:
        return {
            "id": self.id,
            "event": self.name,
            "occurred_at": self.occurred_at.isoformat(),
            "data": self.data,
        }


def forget_subscriptions() -> None:
    """Drop the cached set of subscribed events (a subscription was saved or deleted)."""
    _cache.clear()


def subscribed_events(connection) -> frozenset[str]:
    """The events some active subscription wants, cached for _CACHE_SECONDS."""
    key = connection.engine
    cached = _cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    events: frozenset[str] = frozenset()
    # A database not yet migrated this far (an upgrade test writing old rows) has no table.
    if key in _tables_seen or sa.inspect(connection).has_table(WebhookSubscription.__tablename__):
        _tables_seen.add(key)
        lists = connection.scalars(
            sa.select(WebhookSubscription.events).where(WebhookSubscription.active.is_(True))
        )
        events = frozenset(name for names in lists for name in names or ())
    _cache[key] = (time.monotonic() + _CACHE_SECONDS, events)
    return events


def _record_id(value: str):
    return int(value) if value.isdigit() else value


def record_events(entry: dict) -> list[tuple[str, dict]]:
    """The events an audit entry (as app.audit writes it) stands for, with their data:
    `customer.updated` and, for some changes, a more specific one as well."""
    entity = RECORDS.get(entry["entity_type"])
    if entity is None:
        return []
    changes = {
        key: values
        for key, values in (entry["changes"] or {}).items()
        if key not in _INTERNAL and audit.SECRET not in (values or ())
    }
    data = {
        "entity": entity,
        "id": _record_id(entry["entity_id"]),
        "label": entry["label"],
        "changes": changes,
        "actor": {"id": entry["actor_id"], "source": entry["source"]},
    }
    events = [(f"{entity}.{_VERBS[entry['action']]}", data)]
    if entry["action"] is not AuditAction.UPDATE:
        return events
    if entity == "opportunity" and "stage" in changes:
        before, after = changes["stage"]
        events.append(("opportunity.stage_changed", data | {"from": before, "to": after}))
    if entity == "ticket" and changes.get("status", [None, None])[1] == "RESOLVED":
        events.append(("ticket.resolved", data))
    if entity == "lead" and changes.get("status", [None, None])[1] == "CONVERTED":
        events.append(("lead.converted", data))
    return events


def on_audit_entries(session: Session, entries: list[dict]) -> None:
    """Deliveries for the record events in `entries` that some subscription wants."""
    subscribed = subscribed_events(session.connection())
    if not subscribed:
        return
    events = [
        Event(name, data, entry["at"])
        for entry in entries
        for name, data in record_events(entry)
        if name in subscribed
    ]
    if events:
        queue(session, events)


def queue(session: Session, events: list[Event], subscription_id: int | None = None) -> int:
    """Write a PENDING delivery of each event to each active subscription that wants it
    (or to `subscription_id` only, whatever its events) and send them after the commit.
    Returns how many deliveries were written."""
    connection = session.connection()
    query = sa.select(WebhookSubscription.id, WebhookSubscription.events)
    if subscription_id is None:
        query = query.where(WebhookSubscription.active.is_(True))
    else:
        query = query.where(WebhookSubscription.id == subscription_id)
    subscriptions = connection.execute(query).all()
    now = utcnow()
    rows = [
        {
            "subscription_id": sub_id,
            "event": event.name,
            "event_id": event.id,
            "payload": event.payload(),
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
        }
        for event in events
        for sub_id, wanted in subscriptions
        if subscription_id is not None or event.name in (wanted or ())
    ]
    if rows:
        connection.execute(sa.insert(WebhookDelivery.__table__), rows)
        _send_after_commit(session, sorted({row["event_id"] for row in rows}))
    return len(rows)


def _send_after_commit(session: Session, event_ids: list[str]) -> None:
    """One job per transaction (per 100 events) sends what it wrote, once it commits."""
    transaction = session.get_transaction()
    pending = session.info.get(_PENDING)
    if pending is None or pending[0] is not transaction:
        pending = (transaction, [])
        session.info[_PENDING] = pending
        call_after_commit(lambda: _enqueue(session, pending[1]), session)
    pending[1].extend(event_ids)


def _enqueue(session: Session, event_ids: list[str]) -> None:
    from app import queues
    from app.jobs.webhooks import send_webhook_events

    session.info.pop(_PENDING, None)
    for start in range(0, len(event_ids), _JOB_CHUNK):
        try:
            queues.enqueue(
                send_webhook_events,
                event_ids[start : start + _JOB_CHUNK],
                actor=None,
                title=gettext("Webhook deliveries"),
            )
        except Exception as error:  # the rows wait in the database for the sweep
            log.warning("webhooks not queued (%s); the retry sweep will send them", error)
            return


def _on_form_submitted(submission, lead, contact) -> None:
    from app.extensions import db

    session = db.session()
    if "form.submitted" not in subscribed_events(session.connection()):
        return
    data = {
        "entity": "form_submission",
        "id": submission.id,
        "form_id": submission.form_id,
        "lead_id": lead.id if lead is not None else None,
        "contact_id": contact.id if contact is not None else None,
        "values": submission.data,
        "page_url": submission.page_url,
        "referrer": submission.referrer,
        "utm": {
            key: getattr(submission, f"utm_{key}")
            for key in ("source", "medium", "campaign", "term", "content")
            if getattr(submission, f"utm_{key}")
        },
    }
    queue(session, [Event("form.submitted", data, submission.created_at or utcnow())])


if on_audit_entries not in audit.entry_listeners:
    audit.entry_listeners.append(on_audit_entries)
marketing_signals.subscribe("form_submitted", _on_form_submitted)
