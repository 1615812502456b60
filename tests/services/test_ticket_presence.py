"""Who else has a ticket open (Redis)."""

from app import queues
from app.models.identity import Role
from app.services import ticket_presence
from tests.factories import make_user


def test_viewers_see_each_other_but_not_themselves():
    amy = make_user(Role.SUPPORT, name="Amy")
    bob = make_user(Role.SUPPORT, name="Bob")
    ticket_presence.touch(7, amy)
    assert ticket_presence.others_viewing(7, amy) == []
    assert ticket_presence.others_viewing(7, bob) == ["Amy"]
    ticket_presence.touch(7, bob)
    assert ticket_presence.others_viewing(7, amy) == ["Bob"]
    assert ticket_presence.others_viewing(8, amy) == []


def test_a_viewer_gone_quiet_is_forgotten():
    amy = make_user(Role.SUPPORT, name="Amy")
    bob = make_user(Role.SUPPORT, name="Bob")
    now = 1_000_000.0
    ticket_presence.touch(7, amy, now=now)
    later = now + ticket_presence.VIEWING_SECONDS + 1
    assert ticket_presence.others_viewing(7, bob, now=now + 30) == ["Amy"]
    assert ticket_presence.others_viewing(7, bob, now=later) == []
    ticket_presence.touch(7, bob, now=later)
    assert queues.connection().zrange("rapport:ticket-presence:7", 0, -1) == [str(bob.id).encode()]
    assert 0 < queues.connection().ttl("rapport:ticket-presence:7") <= 60


def test_inactive_colleagues_and_those_who_left_are_not_shown():
    amy = make_user(Role.SUPPORT, name="Amy")
    bob = make_user(Role.SUPPORT, name="Bob", is_active=False)
    cy = make_user(Role.SUPPORT, name="Cy")
    for user in (amy, bob, cy):
        ticket_presence.touch(7, user)
    me = make_user(Role.SUPPORT)
    assert ticket_presence.others_viewing(7, me) == ["Amy", "Cy"]
    ticket_presence.leave(7, amy)
    assert ticket_presence.others_viewing(7, me) == ["Cy"]


def test_a_viewers_recent_reply_is_mentioned():
    from datetime import timedelta

    from app.extensions import db
    from app.models.base import utcnow
    from app.services import tickets
    from tests.factories import make_ticket

    amy = make_user(Role.SUPPORT, name="Amy")
    bob = make_user(Role.SUPPORT, name="Bob")
    ticket = make_ticket(amy)
    comment = tickets.add_comment(ticket, amy, "On it")
    comment.created_at = utcnow() - timedelta(minutes=3)
    db.session.commit()
    ticket_presence.touch(ticket.id, amy)
    [viewer] = ticket_presence.viewers(ticket.id, bob)
    assert viewer.name == "Amy" and viewer.minutes_since_reply() == 3
    comment.created_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    assert ticket_presence.viewers(ticket.id, bob)[0].replied_at is None
