"""`flask rapport seed` enters 36 months of sales costs: a salary base per sales rep plus
commissions on the month's order revenue."""

from decimal import Decimal

import sqlalchemy as sa

from app.extensions import db
from app.models.analytics import SalesCost
from app.models.identity import Role, User
from app.services import demo
from app.services.demo_costs import SALARY_PER_REP


def test_the_seed_enters_a_sales_cost_for_each_of_the_last_36_months(app):
    summary = demo.seed(seed=3, scale="small", admin_password="a long admin password")
    db.session.commit()
    costs = db.session.scalars(sa.select(SalesCost).order_by(SalesCost.month)).all()
    assert summary["sales_costs"] == len(costs) == 36
    assert len({cost.month for cost in costs}) == 36 and all(c.month.day == 1 for c in costs)
    assert {cost.currency for cost in costs} == {app.config["DEFAULT_CURRENCY"]}
    reps = db.session.scalar(sa.select(sa.func.count()).where(User.role == Role.SALES))
    floor = reps * SALARY_PER_REP * Decimal("0.9")
    assert all(cost.amount >= floor.quantize(Decimal("1")) for cost in costs)
