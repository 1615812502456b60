"""Jinja filters and globals: locale-aware money, numbers and dates (in the reader's time
zone); permission checks."""

from __future__ import annotations

import math
from datetime import tzinfo
from decimal import Decimal

from flask import Flask, current_app, g
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    get_timezone,
    get_translations,
)
from flask_login import current_user
from markupsafe import Markup, escape

from app import permissions, timezones

_SAMPLE_AMOUNT = Decimal("1234567.89")
_SAMPLE_DIGITS = "1,234,567.89"


def money(amount, currency: str | None = None) -> str:
    """An amount in the reader's locale. Babel takes ~100 µs an amount, which a board of
    300 cards feels, so the locale's pattern for a currency is learnt once a request from a
    sample and applied with plain formatting; a currency or locale whose sample does not
    look like "<prefix>1,234,567.89<suffix>" (other separators, no cents) keeps Babel."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    currency = currency or current_app.config["DEFAULT_CURRENCY"]
    if amount >= 0:
        shapes = g.setdefault("_rapport_money", {})
        key = (str(get_locale()), currency)
        if key not in shapes:
            sample = format_currency(_SAMPLE_AMOUNT, currency)
            prefix, found, suffix = sample.partition(_SAMPLE_DIGITS)
            shapes[key] = (prefix, suffix) if found else None
        if shapes[key] is not None:
            prefix, suffix = shapes[key]
            return f"{prefix}{amount:,.2f}{suffix}"
    return format_currency(amount, currency)


def number(value, fmt: str | None = None) -> str:
    """A number in the reader's locale; `fmt` a CLDR pattern such as "#,##0.0"."""
    return "" if value is None else format_decimal(value, format=fmt)


def date(value, fmt: str = "medium") -> str:
    """A date, or the local date of an aware datetime in the reader's time zone; each
    distinct date is formatted once a request (lists repeat the same few dates)."""
    if value is None:
        return ""
    formatted = g.setdefault("_rapport_dates", {})
    key = (value, fmt, str(get_locale()))
    if key not in formatted:
        formatted[key] = format_date(value, fmt)
    return formatted[key]


def datetime_(value, fmt: str = "medium", zone: tzinfo | None = None) -> str:
    """A moment in the reader's time zone (flask-babel's selector), or in `zone` where no
    request decides it (emails)."""
    if value is None:
        return ""
    return format_datetime(value, fmt) if zone is None else timezones.format_local(value, zone, fmt)


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round axis values from at most `low` to at least `high`, about `count` steps of 1, 2
    or 5 times a power of ten (0, 2,500, 5,000 rather than 0, 1,256, 2,512)."""
    low, high = min(float(low), 0.0), float(high)
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= raw)
    first = math.floor(low / step)
    ticks = [round(first * step, 10)]
    while ticks[-1] < high:
        ticks.append(round((first + len(ticks)) * step, 10))
    return ticks


def time_zone_name() -> str:
    """The zone the page shows and reads times in."""
    return str(get_timezone())


def options(choices, selected=None) -> Markup:
    """<option> elements for (value, label) pairs, built in one pass and once a request
    for the same list: a Jinja loop over the hundreds of users of an owner picker, twice a
    page, costs milliseconds on every list page."""
    built = g.setdefault("_rapport_options", {})
    key = id(choices)
    if key not in built:
        built[key] = (choices, "".join(
            f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in choices
        ))  # fmt: skip
    html = built[key][1]
    if selected is not None:
        mark = f'<option value="{escape(selected)}">'
        html = html.replace(mark, mark[:-1] + " selected>", 1)
    return Markup(html)


def can(action: str, entity: str, record=None) -> bool:
    return permissions.can(current_user, action, entity, record)


def _catalogue():
    """This request's translations, looked up once per locale instead of once per string
    (Flask-Babel's lookup costs ~40 µs, which adds up to milliseconds on a 50-row list)."""
    cache = g.setdefault("_rapport_catalogues", {})
    locale = get_locale()
    catalogue = cache.get(locale)
    if catalogue is None:
        catalogue = cache[locale] = get_translations()
    return catalogue


def register(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters.update(money=money, number=number, date=date, datetime=datetime_)
    app.jinja_env.globals.update(
        can=can,
        get_locale=get_locale,
        nice_ticks=nice_ticks,
        options=options,
        time_zone_name=time_zone_name,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _languages():
        return {"languages": app.config["LANGUAGES"]}
