"""Demo customers, contacts and activities for `flask rapport seed`, at any scale.

Rows go in with SQLAlchemy Core executemany in chunks, ids assigned here so contacts and
activities can point at their customer without reading anything back. Bulk demo data is
not user activity: it deliberately bypasses the ORM, so the audit hook writes no entry
per row (a million "created" entries would bury the real history).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.customers import (
    AddressKind,
    Contact,
    Customer,
    CustomerAddress,
    CustomerSize,
    CustomerStatus,
    Rating,
)
from app.models.identity import Role
from app.models.records import Tag, Tagging
from app.services.demo_customer_data import (
    COMPANIES,
    GEN_EN,
    GEN_ZH,
    GIVEN_ZH,
    JOBS_EN,
    JOBS_ZH,
    KINDS,
    PERSON_EN,
    PERSON_ZH,
    PLACES,
    SOURCES,
    SUBJECTS,
    SURNAME_EN,
    TAGS,
)
from app.services.search import normalise

if TYPE_CHECKING:
    from app.services.demo import SeedContext

CHUNK = 5_000
SALES_TEAMS = 2  # the first two demo teams sell; see demo.TEAMS


def _chunks(rows, size: int = CHUNK):
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _insert(table, rows) -> int:
    connection = db.session.connection()
    count = 0
    for chunk in _chunks(rows):
        connection.execute(table.insert(), chunk)
        count += len(chunk)
    return count


def _next_id(model) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def _sync_sequences(*models) -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 1))"
            )
        )


def _sellers(ctx: SeedContext) -> list:
    """Staff who own customers: sales reps and managers of the sales teams."""
    teams = sorted({u.team_id for u in ctx.staff if u.team_id is not None})[:SALES_TEAMS]
    return [u for u in ctx.staff if u.team_id in teams and u.role in (Role.SALES, Role.MANAGER)]


def _company(rng, n: int):
    if n < len(COMPANIES):
        return COMPANIES[n]
    if rng.random() < 0.6:
        prefixes, cores = GEN_ZH
        name = rng.choice(prefixes) + rng.choice(cores)
        return (
            name,
            f"{name}股份有限公司",
            rng.choice(COMPANIES)[2],
            f"c{n}.example",
            rng.choice(list(PLACES)[:7]),
        )
    prefixes, cores = GEN_EN
    name = f"{rng.choice(prefixes)} {rng.choice(cores)}"
    return (
        name,
        f"{name} Ltd",
        rng.choice(COMPANIES)[2],
        f"c{n}.example",
        rng.choice(list(PLACES)[7:]),
    )


def _when(rng, now: datetime, days_back: int = 365) -> datetime:
    return now - timedelta(seconds=rng.randrange(days_back * 86_400))


def _customers(
    ctx: SeedContext, first_id: int, owners: list, now: datetime, plan: dict, addresses: list
):
    rng = ctx.rng
    for n in range(ctx.size["customers"]):
        name, company, industry, domain, place = _company(rng, n)
        city, region, postal, country, dial, streets = PLACES[place]
        owner = rng.choice(owners).id
        created = _when(rng, now)
        phone = f"{dial} {rng.randrange(2000, 9999)} {rng.randrange(1000, 9999)}"
        email = f"info@{domain.split('.')[0]}.example.com"
        plan[first_id + n] = (owner, place, domain)
        yield {
            "id": first_id + n,
            "name": name,
            "company": company,
            "industry": industry,
            "size": rng.choice(list(CustomerSize)),
            "status": rng.choice(list(CustomerStatus)),
            "source": rng.choice(SOURCES),
            "rating": rng.choice([*Rating, None]),
            "website": f"https://www.{domain}",
            "email": email,
            "phone": phone,
            "description": "",
            "owner_id": owner,
            "created_by_id": owner,
            "updated_by_id": owner,
            "custom": {},
            "created_at": created,
            "updated_at": created,
            "search_text": normalise(name, company, email, phone),
        }
        street = rng.choice(streets)
        address = {
            "customer_id": first_id + n,
            "line1": f"{street} {rng.randrange(1, 300)}",
            "line2": "",
            "city": city,
            "region": region,
            "postal_code": postal,
            "country": country,
        }
        addresses.append({**address, "kind": AddressKind.BILLING})
        if rng.random() < 0.3:
            addresses.append({**address, "kind": AddressKind.SHIPPING})


def _contact_counts(rng, customers: int, total: int) -> list[int]:
    """2-4 contacts per customer, `total` in all (as near as 2-4 each allows)."""
    counts = [2] * customers
    extra = max(0, min(total, 4 * customers) - 2 * customers)
    while extra:
        n = rng.randrange(customers)
        if counts[n] < 4:
            counts[n] += 1
            extra -= 1
    return counts


def _contacts(ctx: SeedContext, first_id: int, plan: dict, now: datetime, people: dict):
    rng = ctx.rng
    counts = _contact_counts(rng, len(plan), ctx.size["contacts"])
    next_id = first_id
    for (customer_id, (owner, place, domain)), count in zip(plan.items(), counts, strict=True):
        people[customer_id] = (next_id, count)
        local_domain = f"{domain.split('.')[0]}.example.com"
        for k in range(count):
            if PLACES[place][3] in ("TW", "JP") and rng.random() < 0.8:
                (last, last_latin), (first, first_latin) = (
                    rng.choice(PERSON_ZH),
                    rng.choice(GIVEN_ZH),
                )
                title, department = rng.choice(JOBS_ZH)
            else:
                first, last = rng.choice(PERSON_EN), rng.choice(SURNAME_EN)
                first_latin, last_latin = first.lower(), normalise(last).replace(" ", "")
                title, department = rng.choice(JOBS_EN)
            email = f"{first_latin}.{last_latin}{next_id}@{local_domain}"
            dial = PLACES[place][4]
            phone = f"{dial} {rng.randrange(2000, 9999)} {rng.randrange(1000, 9999)} #{100 + k}"
            mobile = (
                f"+886 9{rng.randrange(10, 99)} {rng.randrange(100, 999)} {rng.randrange(100, 999)}"
                if dial.startswith("+886")
                else ""
            )
            created = _when(rng, now)
            yield {
                "id": next_id,
                "customer_id": customer_id,
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": phone,
                "mobile": mobile,
                "title": title,
                "department": department,
                "is_primary": k == 0,
                "owner_id": owner,
                "created_by_id": owner,
                "updated_by_id": owner,
                "custom": {},
                "created_at": created,
                "updated_at": created,
                "search_text": normalise(first, last, email, phone, mobile),
            }
            next_id += 1


def _activity(rng, now, customer_id, people, owner, kind, at, status=None) -> dict:
    first_contact, count = people[customer_id]
    subject = rng.choice(SUBJECTS[kind])
    due = ends = completed = None
    created = at
    if kind is ActivityKind.TASK:
        due, created = at, at - timedelta(days=rng.randrange(1, 14))
        status = status or (
            ActivityStatus.OPEN
            if at > now or rng.random() < 0.02
            else rng.choice([ActivityStatus.DONE] * 9 + [ActivityStatus.CANCELLED])
        )
    elif kind is ActivityKind.MEETING:
        due, ends = at, at + timedelta(hours=1)  # a meeting is "due" when it starts
        status = status or (ActivityStatus.OPEN if at > now else ActivityStatus.DONE)
    else:
        status = ActivityStatus.DONE
    if status is ActivityStatus.DONE:
        completed = at
    return {
        "kind": kind,
        "subject": subject,
        "description": "",
        "status": status,
        "occurred_at": created,
        "due_at": due,
        "ends_at": ends,
        "completed_at": completed,
        "remind_at": None,
        "reminded_at": None,
        "customer_id": customer_id,
        "contact_id": first_contact + rng.randrange(count),
        "owner_id": owner,
        "created_by_id": owner,
        "updated_by_id": owner,
        "custom": {},
        "created_at": min(created, now),
        "updated_at": min(created, now),
    }


def _activities(ctx: SeedContext, plan: dict, people: dict, sellers: list, now: datetime):
    """Each seller's open tasks (overdue, today, upcoming), then history over 12 months."""
    rng = ctx.rng
    customer_ids = list(plan)
    by_owner: dict[int, list[int]] = {}
    for customer_id, (owner, _, _) in plan.items():
        by_owner.setdefault(owner, []).append(customer_id)
    today = now.replace(hour=17, minute=0, second=0, microsecond=0)
    offsets = [-3, -1, 0, 0, 2, 5, 9]  # days from today: overdue, due today, upcoming
    made = 0
    for seller in sellers:
        own = by_owner.get(seller.id) or customer_ids
        for days in offsets:
            if made < ctx.size["activities"]:
                made += 1
                yield _activity(
                    rng,
                    now,
                    rng.choice(own),
                    people,
                    seller.id,
                    ActivityKind.TASK,
                    today + timedelta(days=days),
                    ActivityStatus.OPEN,
                )
    for _ in range(ctx.size["activities"] - made):
        customer_id = rng.choice(customer_ids)
        kind = rng.choice(KINDS)
        # Some tasks and meetings a few weeks ahead; the rest is history. A rep keeps
        # tens of open items, not hundreds: most past tasks were done.
        at = (
            now + timedelta(days=rng.randrange(1, 30))
            if (kind in (ActivityKind.TASK, ActivityKind.MEETING) and rng.random() < 0.03)
            else _when(rng, now)
        )
        yield _activity(rng, now, customer_id, people, plan[customer_id][0], kind, at)


def _tag_ids(now: datetime) -> list[int]:
    """The demo tags' ids, creating those that do not exist yet."""
    names = [name for name, _ in TAGS]
    query = sa.select(Tag.name, Tag.id).where(Tag.name.in_(names))
    existing = {name: id_ for name, id_ in db.session.execute(query)}
    missing = [
        {"name": name, "color": color, "created_at": now, "updated_at": now}
        for name, color in TAGS
        if name not in existing
    ]
    if missing:
        db.session.execute(sa.insert(Tag.__table__), missing)
        query = sa.select(Tag.name, Tag.id).where(Tag.name.in_(names))
    existing = {name: id_ for name, id_ in db.session.execute(query)}
    return [existing[name] for name in names]


def _taggings(rng, customer_ids, tag_ids: list[int]):
    for customer_id in customer_ids:
        if rng.random() < 0.33:
            for tag_id in rng.sample(tag_ids, rng.randint(1, 2)):
                yield {"tag_id": tag_id, "entity_type": "customers", "entity_id": customer_id}


def seed_customers(ctx: SeedContext) -> dict:
    """Customers with addresses, 2-4 contacts each (one primary), and their activities."""
    sellers = _sellers(ctx) or ctx.staff
    now = datetime.now(UTC).replace(microsecond=0)
    plan: dict[int, tuple] = {}
    people: dict[int, tuple[int, int]] = {}
    addresses: list[dict] = []
    customers = _insert(
        Customer.__table__, _customers(ctx, _next_id(Customer), sellers, now, plan, addresses)
    )
    _insert(CustomerAddress.__table__, addresses)
    _insert(Tagging.__table__, _taggings(ctx.rng, list(plan), _tag_ids(now)))
    contacts = _insert(Contact.__table__, _contacts(ctx, _next_id(Contact), plan, now, people))
    activities = _insert(Activity.__table__, _activities(ctx, plan, people, sellers, now))
    _sync_sequences(Customer, Contact)
    return {"customers": customers, "contacts": contacts, "activities": activities}
