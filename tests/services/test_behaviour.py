"""Behaviour figures for lead scoring: counts per kind within 30 or 90 days and the last
engagement, for contacts and leads, from one grouped query."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.base import utcnow
from app.models.identity import Role
from app.models.marketing import EventKind, MarketingEvent, SegmentEntity
from app.services import behaviour
from tests.factories import make_contact, make_lead, make_user


def _events(now, person: dict, *plan):
    for kind, days_ago in plan:
        db.session.add(
            MarketingEvent(
                kind=kind, occurred_at=now - timedelta(days=days_ago), detail={}, **person
            )
        )
    db.session.commit()


def test_inputs_count_each_kind_in_its_window():
    rep = make_user(Role.MARKETING)
    busy, quiet, idle = make_lead(rep), make_lead(rep), make_lead(rep)
    contact = make_contact(rep)
    now = utcnow()
    _events(
        now,
        {"lead_id": busy.id},
        (EventKind.VISIT, 1),
        (EventKind.VISIT, 29),
        (EventKind.VISIT, 31),  # outside 30 days
        (EventKind.EMAIL_OPEN, 0.5),
        (EventKind.EMAIL_CLICK, 3),
        (EventKind.EMAIL_CLICK, 45),  # outside 30 days
        (EventKind.DOWNLOAD, 80),
        (EventKind.DOWNLOAD, 100),  # outside 90 days
        (EventKind.FORM_SUBMIT, 89),
        (EventKind.UNSUBSCRIBE, 0.1),  # not engagement
        (EventKind.BOUNCE, 0.1),
    )
    _events(now, {"lead_id": quiet.id}, (EventKind.VISIT, 400))
    _events(now, {"contact_id": contact.id}, (EventKind.VISIT, 2), (EventKind.EMAIL_OPEN, 2))

    statements = []

    def log(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", log)
    try:
        figures = behaviour.inputs(SegmentEntity.LEAD, [busy.id, quiet.id, idle.id], now)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", log)
    assert len([s for s in statements if "marketing_events" in s]) == 1
    assert figures[busy.id] == behaviour.BehaviourInputs(
        visits_30d=2,
        email_opens_30d=1,
        email_clicks_30d=1,
        downloads_90d=1,
        form_submissions_90d=1,
        last_event_at=figures[busy.id].last_event_at,
    )
    last = figures[busy.id].last_event_at
    assert abs(last - (now - timedelta(days=0.5))) < timedelta(seconds=1)
    assert last.tzinfo is not None
    assert figures[quiet.id].visits_30d == 0
    assert abs(figures[quiet.id].last_event_at - (now - timedelta(days=400))) < timedelta(seconds=1)
    assert figures[idle.id] == behaviour.BehaviourInputs()

    contacts = behaviour.inputs(SegmentEntity.CONTACT, [contact.id], now)
    assert (contacts[contact.id].visits_30d, contacts[contact.id].email_opens_30d) == (1, 1)
    assert behaviour.inputs(SegmentEntity.CONTACT, [], now) == {}
