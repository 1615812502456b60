"""Opportunities: created for a customer the user may edit, probability from the stage."""

from decimal import Decimal

import pytest

from app.models.identity import Role
from app.models.sales import OpportunityStage, StageChange
from app.services import opportunities
from app.services.validation import RecordInvalid
from tests.factories import make_customer, make_user


@pytest.fixture
def rep():
    return make_user(Role.SALES)


def test_an_opportunity_takes_its_probability_from_the_stage(rep):
    customer = make_customer(rep, name="Acme")
    deal = opportunities.create_opportunity(
        rep, name="Acme renewal", customer_id=customer.id, amount="12500.50", stage="PROPOSAL"
    )
    assert (deal.amount, deal.probability, deal.probability_is_manual) == (
        Decimal("12500.50"), 50, False
    )  # fmt: skip
    assert deal.owner_id == rep.id and deal.pipeline_id == opportunities.default_pipeline().id
    assert [c.to_stage for c in deal_changes(deal)] == [OpportunityStage.PROPOSAL]


def deal_changes(deal):
    from app.extensions import db

    return db.session.query(StageChange).filter_by(opportunity_id=deal.id).all()


def test_bad_fields_are_all_reported_and_nothing_is_made(rep):
    other = make_customer(make_user(Role.SALES), name="Not yours")
    with pytest.raises(RecordInvalid) as refused:
        opportunities.create_opportunity(
            rep, name="", customer_id=other.id, amount="-5", probability="140",
            expected_close_date="soon",
        )  # fmt: skip
    assert set(refused.value.errors) == {
        "name", "customer_id", "amount", "probability", "expected_close_date"
    }  # fmt: skip
