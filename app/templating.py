"""Jinja filters and globals: locale-aware money, numbers and dates; permission checks."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask, current_app, g
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    get_translations,
)
from flask_login import current_user

from app import permissions


def money(amount, currency: str | None = None) -> str:
    if amount is None:
        return ""
    return format_currency(Decimal(amount), currency or current_app.config["DEFAULT_CURRENCY"])


def number(value) -> str:
    return "" if value is None else format_decimal(value)


def date(value, fmt: str = "medium") -> str:
    return "" if value is None else format_date(value, fmt)


def datetime_(value, fmt: str = "medium") -> str:
    return "" if value is None else format_datetime(value, fmt)


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
    app.jinja_env.globals.update(can=can, get_locale=get_locale)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _languages():
        return {"languages": app.config["LANGUAGES"]}
