"""Phone numbers as E.164 ("+15551234567"): what every SMS is addressed to and what opt-outs
are keyed by. A small normaliser, not a numbering plan: it accepts the usual ways people
write numbers (spaces, dots, dashes, brackets, "00" or "+" before the country code), adds
the default country code (RAPPORT_SMS_DEFAULT_COUNTRY_CODE) to a national number, dropping
its trunk "0", and refuses what it cannot read, with a message saying why."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext as _

# E.164: at most 15 digits with the country code; no real number is shorter than 8.
MIN_DIGITS = 8
MAX_DIGITS = 15
_FORMATTING = re.compile(r"[\s.\-()/\u00a0]")
_EXTENSION = re.compile(r"(?:ext\.?|x|#)\s*\d+$", re.IGNORECASE)
_COUNTRY_CODE = re.compile(r"^\+[1-9]\d{0,2}$")
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


class PhoneInvalid(ValueError):
    """A number that cannot be made E.164; str() is the message for the person who typed it."""


def default_country_code() -> str:
    code = str(current_app.config.get("RAPPORT_SMS_DEFAULT_COUNTRY_CODE") or "+1").strip()
    code = code if code.startswith("+") else f"+{code}"
    if not _COUNTRY_CODE.match(code):
        raise RuntimeError(
            f"RAPPORT_SMS_DEFAULT_COUNTRY_CODE must look like +1 or +886, not {code!r}"
        )
    return code


def normalise(raw: str | None, country_code: str | None = None) -> str:
    """`raw` as an E.164 number, or PhoneInvalid with the reason."""
    text = str(raw or "").strip()
    if not text:
        raise PhoneInvalid(_("Enter a phone number."))
    if _EXTENSION.search(text):
        raise PhoneInvalid(_("A number with an extension cannot receive text messages."))
    compact = _FORMATTING.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    international = compact.startswith("+")
    digits = compact[1:] if international else compact
    if not digits.isdigit() or not digits.isascii():
        raise PhoneInvalid(
            _("“%(number)s” is not a phone number: use digits, with + before a country code.",
              number=text[:40])
        )  # fmt: skip
    if international:
        number = "+" + digits
    else:
        number = _national(digits, country_code or default_country_code(), text)
    if not MIN_DIGITS <= len(number) - 1 <= MAX_DIGITS or not _E164.match(number):
        raise PhoneInvalid(
            _("“%(number)s” has too few or too many digits for a phone number.", number=text[:40])
        )
    return number


def _national(digits: str, country_code: str, text: str) -> str:
    """A number written without its country code, in the default country."""
    code = country_code.removeprefix("+")
    if code == "1":
        # North America: ten digits, sometimes written with the leading 1.
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if len(digits) != 10:
            raise PhoneInvalid(
                _("“%(number)s” needs ten digits (area code and number) or a + and the "
                  "country code.", number=text[:40])
            )  # fmt: skip
        return "+1" + digits
    if digits.startswith(code) and len(digits) > 10:
        return "+" + digits  # the country code written without its "+"
    return "+" + code + digits.removeprefix("0")


def normalise_or_none(raw: str | None, country_code: str | None = None) -> str | None:
    """normalise(), or None when the number cannot be read."""
    try:
        return normalise(raw, country_code)
    except PhoneInvalid:
        return None


def raw_number_of(person) -> str:
    """The number a contact or lead is texted at, as written: the mobile, else the phone."""
    return (getattr(person, "mobile", "") or "").strip() or (
        getattr(person, "phone", "") or ""
    ).strip()


def number_of(person) -> str | None:
    """The E.164 number a contact or lead is texted at, or None (none, or unreadable)."""
    raw = raw_number_of(person)
    return normalise_or_none(raw) if raw else None


def masked(number: str) -> str:
    """+155••••4567: enough to recognise a number without showing all of it."""
    if len(number) <= 7:
        return number
    return f"{number[:4]}{'•' * (len(number) - 8)}{number[-4:]}"
