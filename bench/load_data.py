"""The people and records the load test uses, read from (and added to) a seeded database.

Run as `python -m bench.load_data STAFF PORTAL` with DATABASE_URL set; prints JSON. Staff
are the seeded users (one shared demo password); portal users are created once for
contacts who have tickets (idempotent: a later run reuses them). Each simulated person
gets the ids of records they may open, so no request fails for want of permission.
"""

from __future__ import annotations

import json
import sys

import sqlalchemy as sa

PORTAL_PASSWORD = "bench portal password"  # noqa: S105 - a throwaway benchmark database
PORTAL_EMAIL = "load-portal-{n}@bench.test"
PER_PERSON = 15


def _ids(query, limit: int = PER_PERSON) -> list[int]:
    from app.extensions import db

    return list(db.session.scalars(query.limit(limit)))


def _staff(count: int) -> list[dict]:
    from app import permissions
    from app.extensions import db
    from app.models import Customer, Lead, Opportunity, Ticket, User
    from app.models.identity import Role
    from app.services.demo import DEMO_PASSWORD

    users = db.session.scalars(
        sa.select(User).where(User.role != Role.ADMIN, User.is_active).order_by(User.id)
    ).all()[:count]
    staff = []
    for user in users:

        def visible(model, entity, user=user, **extra):
            where = permissions.visible(user, entity, model.owner_id, **extra)
            return _ids(sa.select(model.id).where(where).order_by(model.id.desc()))

        staff.append(
            {
                "email": user.email,
                "password": DEMO_PASSWORD,
                "role": user.role.value,
                # The menus a person has: nobody clicks a link their role does not show.
                "may": [
                    entity
                    for entity in ("customer", "contact", "lead", "opportunity", "ticket")
                    if permissions.can(user, "read", entity)
                ],
                "customers": visible(Customer, "customer"),
                "leads": visible(Lead, "lead"),
                "opportunities": visible(Opportunity, "opportunity"),
                "tickets": visible(Ticket, "ticket", team_column=Ticket.team_id),
            }
        )
    return staff


def _portal(count: int) -> list[dict]:
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.models import Contact, PortalUser, Ticket

    existing = {
        user.email: user
        for user in db.session.scalars(
            sa.select(PortalUser).where(PortalUser.email.like("load-portal-%@bench.test"))
        )
    }
    if len(existing) < count:
        taken = sa.select(PortalUser.contact_id)
        contact_ids = _ids(
            sa.select(Ticket.contact_id)
            .where(Ticket.contact_id.is_not(None), Ticket.contact_id.not_in(taken))
            .group_by(Ticket.contact_id)
            .order_by(sa.func.count().desc()),
            count - len(existing),
        )
        # Hashing is deliberately slow: every bench user shares one hash.
        shared_hash = generate_password_hash(PORTAL_PASSWORD)
        for n, contact_id in enumerate(contact_ids, start=len(existing) + 1):
            email = PORTAL_EMAIL.format(n=n)
            user = PortalUser(contact_id=contact_id, email=email, password_hash=shared_hash)
            db.session.add(user)
            existing[email] = user
        db.session.commit()
    people = []
    for email, user in sorted(existing.items())[:count]:
        contact = db.session.get(Contact, user.contact_id)
        tickets = _ids(
            sa.select(Ticket.id).where(Ticket.contact_id == contact.id).order_by(Ticket.id)
        )
        people.append({"email": email, "password": PORTAL_PASSWORD, "tickets": tickets})
    return people


def main() -> None:
    from app import create_app
    from app.audit import set_actor
    from app.extensions import db
    from app.models.identity import Role, User

    staff_count, portal_count = int(sys.argv[1]), int(sys.argv[2])
    app = create_app()
    with app.app_context():
        set_actor(db.session, None, source="cli")
        if db.session.scalar(sa.select(User.id).where(User.role == Role.ADMIN)) is None:
            raise SystemExit("The database is not seeded: run `flask rapport seed --scale large`.")
        print(json.dumps({"staff": _staff(staff_count), "portal": _portal(portal_count)}))


if __name__ == "__main__":
    main()
