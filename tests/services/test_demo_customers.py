"""`flask rapport seed` fills the customer side: bilingual customers with contacts and a
year of activities, searchable the way the services keep records searchable."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models.activities import Activity, ActivityKind, ActivityStatus
from app.models.customers import Contact, Customer, CustomerAddress
from app.models.identity import Role, User
from app.models.records import AuditEntry
from app.services import demo, search, tags


def _seed(seed: int = 3) -> dict:
    summary = demo.seed(seed=seed, scale="small", admin_password="a long admin password")
    db.session.commit()
    return summary


def test_the_small_seed_has_bilingual_customers_each_with_one_primary_contact():
    summary = _seed()

    assert (summary["customers"], summary["contacts"], summary["activities"]) == (60, 180, 600)
    names = db.session.scalars(sa.select(Customer.name)).all()
    assert "台積電" in names and "Acme Robotics" in names
    per_customer = db.session.execute(
        sa.select(
            Contact.customer_id,
            sa.func.count(),
            sa.func.sum(sa.case((Contact.is_primary, 1), else_=0)),
        ).group_by(Contact.customer_id)
    ).all()
    assert len(per_customer) == 60
    assert all(2 <= count <= 4 and primaries == 1 for _, count, primaries in per_customer)
    countries = set(db.session.scalars(sa.select(CustomerAddress.country)))
    assert "TW" in countries and len(countries) > 3
    vip = db.session.scalars(
        sa.select(Customer.id).where(tags.filter_clause("customers", Customer.id, ["VIP"]))
    ).all()
    assert 0 < len(vip) < 60


def test_search_text_is_what_the_services_would_write_so_search_finds_chinese_parts():
    _seed()

    for c in db.session.scalars(sa.select(Customer)):
        assert c.search_text == search.normalise(c.name, c.company, c.email, c.phone)
    for p in db.session.scalars(sa.select(Contact)):
        assert p.search_text == search.normalise(
            p.first_name, p.last_name, p.email, p.phone, p.mobile
        )
    found = db.session.scalars(
        sa.select(Customer.name).where(search.matches(Customer, "積體電", db.engine.dialect.name))
    ).all()
    assert found == ["台積電"]


def test_every_seller_has_open_tasks_overdue_due_today_and_upcoming():
    _seed()
    now = datetime.now(UTC)
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    sellers = db.session.scalars(
        sa.select(User).where(User.role == Role.SALES, User.team_id.is_not(None))
    ).all()
    assert sellers

    for seller in sellers:
        due = db.session.scalars(
            sa.select(Activity.due_at).where(
                Activity.owner_id == seller.id,
                Activity.kind == ActivityKind.TASK,
                Activity.status == ActivityStatus.OPEN,
            )
        ).all()
        assert any(d < start_of_day for d in due)
        assert any(start_of_day <= d < start_of_day + timedelta(days=1) for d in due)
        assert any(d >= start_of_day + timedelta(days=1) for d in due)


def test_activities_span_the_past_year_and_belong_to_their_customers_contacts():
    _seed()
    oldest = db.session.scalar(sa.select(sa.func.min(Activity.occurred_at)))
    assert oldest < datetime.now(UTC) - timedelta(days=300)
    mismatched = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Activity)
        .join(Contact, Contact.id == Activity.contact_id)
        .where(Contact.customer_id != Activity.customer_id)
    )
    assert mismatched == 0
    meetings = db.session.execute(
        sa.select(Activity.occurred_at, Activity.due_at).where(
            Activity.kind == ActivityKind.MEETING
        )
    ).all()
    assert meetings and all(start == due for start, due in meetings)  # due when they start
    owners_outside_sales = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Customer)
        .join(User, User.id == Customer.owner_id)
        .where(User.role.not_in([Role.SALES, Role.MANAGER]))
    )
    assert owners_outside_sales == 0


def test_the_same_seed_gives_the_same_customers_and_bulk_rows_are_not_audited():
    _seed(seed=11)
    first = db.session.execute(
        sa.select(Customer.name, Customer.status, Customer.phone).order_by(Customer.id)
    ).all()
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity_type.in_(["customers", "contacts", "activities"]))
        )
        == 0
    )
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(sa.delete(table))
    db.session.commit()

    _seed(seed=11)
    again = db.session.execute(
        sa.select(Customer.name, Customer.status, Customer.phone).order_by(Customer.id)
    ).all()
    assert again == first
