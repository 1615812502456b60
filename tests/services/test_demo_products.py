"""`flask rapport seed` fills the catalogue: bilingual products, 5 % and 0 % tax, and three
price books whose prices follow the default currency."""

import random
from decimal import Decimal as D

import sqlalchemy as sa

from app.extensions import db
from app.models.sales import PriceBook, PriceBookEntry, Product
from app.services import demo, price_books
from app.services.demo_products import seed_products


def test_the_seed_adds_the_catalogue_and_three_price_books(app):
    summary = demo.seed(seed=5, scale="small", admin_password="a long admin password")
    db.session.commit()
    assert summary["products"] == 40 and summary["price_books"] == 3
    names = db.session.scalars(sa.select(Product.name)).all()
    assert "Rapport CRM 專業版 年授權" in names and "Sales tablet 10-inch" in names
    assert set(db.session.scalars(sa.select(Product.line))) == {"Software", "Services", "Hardware"}
    rates = set(db.session.scalars(sa.select(Product.tax_rate)))
    assert rates == {D("5.00"), D("0.00")}
    assert db.session.scalar(sa.select(sa.func.count()).where(Product.is_active.is_(False))) == 2
    home = app.config["DEFAULT_CURRENCY"]
    books = {book.name: book for book in db.session.scalars(sa.select(PriceBook))}
    assert set(books) == {f"Retail {home}", f"Distributor {home}", "Export USD"}
    assert books["Export USD"].currency == "USD"
    assert summary["prices"] == db.session.scalar(sa.select(sa.func.count(PriceBookEntry.id)))

    licence = db.session.scalar(sa.select(Product).where(Product.sku == "SW-CRM-PRO-1Y"))
    retail = price_books.price_for(licence, books[f"Retail {home}"])
    dealer = price_books.price_for(licence, books[f"Distributor {home}"])
    assert retail == licence.list_price and dealer == (retail * D("0.8")).quantize(D("0.01"))
    # 9,600 TWD at 32 TWD a dollar, plus 10 %: 330.00 USD.
    assert price_books.price_for(licence, books["Export USD"]) == D("330.00")


def test_list_prices_follow_the_default_currency(app):
    previous, app.config["DEFAULT_CURRENCY"] = app.config["DEFAULT_CURRENCY"], "TWD"
    try:
        seed_products(demo.SeedContext(random.Random(1), demo.SCALES["small"], "x"))
        licence = db.session.scalar(sa.select(Product).where(Product.sku == "SW-CRM-PRO-1Y"))
        assert licence.list_price == D("9600.00")
        names = set(db.session.scalars(sa.select(PriceBook.name)))
        assert names == {"Retail TWD", "Distributor TWD", "Export USD"}
    finally:
        app.config["DEFAULT_CURRENCY"] = previous
