import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models.customers import Customer
from app.services import search


def test_normalise_folds_case_width_and_accents():
    assert search.normalise("Café  ＡＢＣ", None, "Ünïcode") == "cafe abc unicode"
    assert search.normalise("台灣積體電路") == "台灣積體電路"


def _customer(name: str) -> Customer:
    customer = Customer(name=name, search_text=search.normalise(name))
    db.session.add(customer)
    return customer


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("café", {"Café Lumière"}),
        ("CAFE", {"Café Lumière"}),
        ("lumi", {"Café Lumière"}),
        ("積體", {"台灣積體電路"}),
        ("台灣積體", {"台灣積體電路"}),
        ("志明", {"陳志明商行"}),
        ("100%", {"100% Juice"}),
        ("a_b", set()),
        ("juice 100", {"100% Juice"}),
        ("", None),
    ],
)
def test_search_finds_substrings_on_this_database(query, expected):
    for name in ("Café Lumière", "台灣積體電路", "陳志明商行", "100% Juice", "Axb Ltd"):
        _customer(name)
    db.session.commit()
    clause = search.matches(Customer, query, db.engine.dialect.name)
    if expected is None:
        assert clause is None
        return
    found = db.session.execute(sa.select(Customer.name).where(clause)).scalars().all()
    assert set(found) == expected


def test_search_index_follows_updates_and_deletes():
    customer = _customer("Old Name Trading")
    db.session.commit()
    customer.name, customer.search_text = "New Name Trading", search.normalise("New Name Trading")
    db.session.commit()
    dialect = db.engine.dialect.name

    def names(query):
        clause = search.matches(Customer, query, dialect)
        return db.session.execute(sa.select(Customer.name).where(clause)).scalars().all()

    assert names("old name") == [] and names("new name") == ["New Name Trading"]
    db.session.delete(customer)
    db.session.commit()
    assert names("new name") == []
