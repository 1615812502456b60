"""Template filters: money's fast path must say exactly what Babel says."""

from decimal import Decimal

import pytest
from flask_babel import force_locale, format_currency

from app.templating import money

AMOUNTS = ["0", "5", "999.5", "1234.56", "1000000", "987654321.99", "-42.10"]


@pytest.mark.parametrize("locale", ["en", "zh_Hant"])
@pytest.mark.parametrize("currency", ["USD", "TWD", "EUR", "JPY"])
def test_money_matches_babel_in_every_locale_and_currency(app, locale, currency):
    with app.test_request_context(), force_locale(locale):
        for amount in AMOUNTS:
            assert money(Decimal(amount), currency) == format_currency(Decimal(amount), currency)
