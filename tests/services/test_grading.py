"""ABC grading: customers ranked by their share of revenue from the registered sources,
recomputed by a nightly job."""

from decimal import Decimal

import pytest
import sqlalchemy as sa
from rq.cron import CronScheduler

from app import queues
from app.extensions import db
from app.jobs.cron import register_periodic_jobs
from app.jobs.grading import recompute_abc_classes
from app.models.customers import Customer
from app.models.identity import Role
from app.services import grading
from tests.factories import make_customer, make_user


@pytest.fixture
def revenue():
    """A revenue source the test fills in: {customer_id: amount}."""
    amounts: dict[int, Decimal] = {}

    def source():
        return dict(amounts)

    grading.register_revenue_source(source)
    yield amounts
    grading.unregister_revenue_source(source)


def _classes():
    rows = db.session.execute(sa.select(Customer.name, Customer.abc_class).order_by(Customer.name))
    return dict(rows.tuples().all())


def test_classes_follow_the_cumulative_share_of_revenue():
    revenue = {1: Decimal(50), 2: Decimal(30), 3: Decimal(15), 4: Decimal(5), 5: Decimal(0)}
    assert grading.classify(revenue) == {1: "A", 2: "A", 3: "B", 4: "C", 5: "C"}
    assert grading.classify(revenue, (0.5, 0.8)) == {1: "A", 2: "B", 3: "C", 4: "C", 5: "C"}


def test_a_customer_alone_above_the_first_threshold_is_still_a():
    assert grading.classify({7: Decimal(90), 8: Decimal(5), 9: Decimal(5)}) == {
        7: "A",
        8: "B",
        9: "C",
    }


def test_grading_stores_classes_and_customers_without_revenue_get_c(revenue):
    rep = make_user(Role.SALES)
    big, mid, small = (make_customer(rep, name=n) for n in ("Big", "Mid", "Small"))
    make_customer(rep, name="Silent")
    revenue.update({big.id: Decimal("800"), mid.id: Decimal("150"), small.id: Decimal("50")})
    changed = grading.grade_abc()
    db.session.commit()
    assert changed == {"A": 1, "B": 1, "C": 2}
    assert _classes() == {"Big": "A", "Mid": "B", "Silent": "C", "Small": "C"}
    assert grading.grade_abc() == {"A": 0, "B": 0, "C": 0}


def test_without_any_revenue_classes_stay_unset():
    make_customer(make_user(Role.SALES), name="Acme")
    assert grading.grade_abc() == {}
    assert _classes() == {"Acme": None}


def test_orders_are_the_revenue_grading_counts():
    from tests.factories import make_order

    rep = make_user(Role.SALES)
    big, small = make_customer(rep, name="Big"), make_customer(rep, name="Small")
    line = {"name": "Plan", "quantity": "1", "tax_rate": "0"}
    make_order(rep, big, lines=[line | {"unit_price": "900"}])
    make_order(rep, small, lines=[line | {"unit_price": "100"}])
    assert grading.grade_abc() == {"A": 1, "B": 0, "C": 1}
    assert _classes() == {"Big": "A", "Small": "C"}


def test_the_nightly_job_uses_the_configured_thresholds(app, revenue, worker, monkeypatch):
    rep = make_user(Role.SALES)
    first, second = make_customer(rep, name="First"), make_customer(rep, name="Second")
    revenue.update({first.id: Decimal(60), second.id: Decimal(40)})
    monkeypatch.setitem(app.config, "ABC_THRESHOLDS", (0.5, 0.99))
    job = queues.enqueue(recompute_abc_classes, actor=None, title="ABC grading")
    worker()
    job.refresh()
    assert job.is_finished, job.latest_result()
    db.session.expire_all()
    assert _classes() == {"First": "A", "Second": "C"}


def test_the_grading_job_runs_nightly():
    scheduler = CronScheduler(connection=queues.connection())
    register_periodic_jobs(scheduler)
    names = {job.func_name for job in scheduler.get_jobs()}
    assert "app.jobs.grading.recompute_abc_classes" in names
