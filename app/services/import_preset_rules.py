"""Applying the import presets of app.services.import_presets: which presets fit a record
type, recognising an export by its headers, the column mapping a preset gives a file, and
its values translated to Rapport's as each row is imported."""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation

from babel import Locale
from flask_babel import gettext as _

from app.extensions import db
from app.services import import_mapping
from app.services.import_presets import LARGEST_SIZE, PRESETS, SIZE_BANDS

MIN_MATCHES = 3
_COUNTRY_ALIASES = {"usa": "US", "us": "US", "uk": "GB", "england": "GB", "greatbritain": "GB",
                    "republicofchina": "TW", "taiwanroc": "TW", "southkorea": "KR",
                    "korea": "KR", "hongkongsar": "HK", "中華民國": "TW"}  # fmt: skip


def _key(text: str) -> str:
    return import_mapping._key(text or "")


def choices(entity_type: str) -> list[tuple[str, str]]:
    """(key, label) of the presets for `entity_type`, in the order they are offered."""
    return [(key, str(p["label"])) for key, p in PRESETS.items() if entity_type in p["columns"]]


def fits(key: str | None, entity_type: str) -> bool:
    """Whether `key` is a preset for files of `entity_type`."""
    return key in PRESETS and entity_type in PRESETS[key]["columns"]


def _matches(key: str, entity_type: str, headers: list[str]) -> int:
    present = {_key(header) for header in headers}
    return sum(1 for header in PRESETS[key]["columns"][entity_type] if _key(header) in present)


def detect(entity_type: str, headers: list[str]) -> str | None:
    """The preset whose export this file is (a signature header and three mapped headers),
    the one matching most headers when several do; None for any other file."""
    present = {_key(header) for header in headers}
    best, best_count = None, 0
    for key, preset in PRESETS.items():
        if entity_type not in preset["columns"]:
            continue
        if not any(_key(header) in present for header in preset["signature"]):
            continue
        count = _matches(key, entity_type, headers)
        if count >= MIN_MATCHES and count > best_count:
            best, best_count = key, count
    return best


def mapping(key: str, entity_type: str, headers: list[str]) -> dict[str, str]:
    """Column index -> field by the preset (each field once, the preset's first header
    present winning); columns it does not know are guessed as for any file."""
    columns = PRESETS[key]["columns"][entity_type]
    allowed = import_mapping.targets(entity_type)
    index_of = {}
    for index, header in enumerate(headers):
        index_of.setdefault(_key(header), index)
    result, taken = {}, set()
    for header, target in columns.items():
        index = index_of.get(_key(header))
        if index is None or target in taken or target not in allowed or str(index) in result:
            continue
        result[str(index)] = target
        taken.add(target)
    guessed = import_mapping.guess(entity_type, headers)
    for index in range(len(headers)):
        target = guessed.get(str(index), "")
        if str(index) not in result:
            result[str(index)] = target if target and target not in taken else ""
            taken.add(target)
    return result


def initial_mapping(entity_type: str, headers: list[str]) -> tuple[dict[str, str], str | None]:
    """The mapping an upload starts with, and the preset recognised (None: a plain guess)."""
    key = detect(entity_type, headers)
    if key is None:
        return import_mapping.guess(entity_type, headers), None
    return mapping(key, entity_type, headers), key


@functools.cache
def _countries() -> dict[str, str]:
    names = dict(_COUNTRY_ALIASES)
    for locale in ("en", "zh_Hant"):
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(_key(name), code)
                names.setdefault(_key(code), code)
    return names


def _country_code(text: str) -> str:
    return _countries().get(_key(text), "")


def _number(text: str) -> str:
    """ "$1,250,000.00", "USD 1 250 000", "1.250.000" -> "1250000.00" etc.; "" if not a number."""
    cleaned = re.sub(r"[^\d.,-]", "", text)
    if cleaned.count(",") and cleaned.count("."):
        cleaned = cleaned.replace(",", "")
    elif cleaned.count(",") == 1 and len(cleaned.split(",")[1]) != 3:
        cleaned = cleaned.replace(",", ".")  # a decimal comma
    else:
        cleaned = cleaned.replace(",", "")
    if cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return ""
    return str(value.to_integral_value()) if value == value.to_integral_value() else str(value)


def _size(text: str) -> str:
    number = _number(text)
    if not number:
        return ""
    count = Decimal(number)
    for limit, size in SIZE_BANDS:
        if count < limit:
            return size
    return LARGEST_SIZE


_CONVERTERS = {"country_code": _country_code, "number": _number, "size_from_employees": _size}


def translate(key: str | None, values: dict[str, str]) -> dict[str, str]:
    """One mapped row with the preset's values translated; unknown values left empty."""
    if key not in PRESETS:
        return values
    result = dict(values)
    for target, rule in PRESETS[key]["values"].items():
        text = result.get(target)
        if not text:
            continue
        if isinstance(rule, str):
            result[target] = _CONVERTERS[rule](text)
        else:
            known = rule.get(_key(text), "")
            own = text.strip().upper()  # already one of Rapport's values
            result[target] = known or (own if own in rule.values() else "")
    return result


def choose(data_import, actor, key: str | None):
    """Map an upload by the preset `key` (None: back to the mapping guessed from its
    headers); its values are translated when it runs. Refused once the import started."""
    from app.services.imports import ImportFileError, _require_editable

    _require_editable(data_import, actor)
    headers = data_import.options["headers"]
    if key and not fits(key, data_import.entity_type):
        raise ImportFileError(_("Choose a preset made for this kind of record."))
    if key:
        data_import.mapping = mapping(key, data_import.entity_type, headers)
    else:
        data_import.mapping = import_mapping.guess(data_import.entity_type, headers)
    data_import.options = {**data_import.options, "preset": key or None}
    db.session.flush()
    return data_import
