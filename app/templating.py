"""Jinja filters and globals: locale-aware money, numbers and dates (in the reader's time
zone); permission checks."""

from __future__ import annotations

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


def money(amount, currency: str | None = None) -> str:
    if amount is None:
        return ""
    return format_currency(Decimal(amount), currency or current_app.config["DEFAULT_CURRENCY"])


def number(value) -> str:
    return "" if value is None else format_decimal(value)


def date(value, fmt: str = "medium") -> str:
    """A date, or the local date of an aware datetime in the reader's time zone."""
    return "" if value is None else format_date(value, fmt)


def datetime_(value, fmt: str = "medium", zone: tzinfo | None = None) -> str:
    """A moment in the reader's time zone (flask-babel's selector), or in `zone` where no
    request decides it (emails)."""
    if value is None:
        return ""
    return format_datetime(value, fmt) if zone is None else timezones.format_local(value, zone, fmt)


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
        can=can, get_locale=get_locale, options=options, time_zone_name=time_zone_name
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _languages():
        return {"languages": app.config["LANGUAGES"]}
