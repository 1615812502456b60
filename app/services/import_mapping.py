"""Reading an uploaded CSV and mapping its columns onto record fields.

Spreadsheets arrive as UTF-8 (with or without a BOM) or, from Taiwanese Excel, as Big5
(cp950); the delimiter is a comma, semicolon or tab. Columns are matched to fields by
their header in English or Chinese, and to custom fields by label or key.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.services import contacts, custom_fields, customers, leads
from app.services.search import normalise

IGNORE = ""
CUSTOM_PREFIX = "cf_"
MAX_COLUMNS = 200
ENCODINGS = ("utf-8-sig", "cp950")
DELIMITERS = (",", ";", "\t")

# Field name -> label, per record type; the order is the order of the mapping select.
TARGETS: dict[str, dict[str, object]] = {
    "customer": {
        **customers.FIELD_LABELS,
        "owner_email": _l("Owner (email)"),
        "tags": _l("Tags"),
        "address_line1": _l("Address"),
        "address_line2": _l("Address line 2"),
        "address_city": _l("City"),
        "address_region": _l("Region"),
        "address_postal_code": _l("Postal code"),
        "address_country": _l("Country (2 letters)"),
    },
    "contact": {
        **contacts.FIELD_LABELS,
        "customer": _l("Customer (name)"),
        "is_primary": _l("Primary contact"),
        "owner_email": _l("Owner (email)"),
        "tags": _l("Tags"),
    },
    # Imported leads have the source IMPORT; a file's own "source" goes to the detail.
    "lead": {
        **{key: label for key, label in leads.FIELD_LABELS.items() if key != "source"},
        "owner_email": _l("Owner (email)"),
        "tags": _l("Tags"),
    },
}

# Headers as people write them (compared after normalising and dropping punctuation).
_SYNONYMS = {
    "name": "name customer customername accountname 名稱 客戶名稱 客戶 姓名",
    "company": "company companyname organisation organization 公司 公司名稱",
    "industry": "industry sector 產業 行業",
    "size": "size companysize 規模 公司規模",
    "status": "status 狀態",
    "source": "source leadsource 來源",
    "rating": "rating 評等 評級",
    "website": "website web url homepage site 網站 網址",
    "email": "email emailaddress mail 電子郵件 電郵 信箱 電子信箱 郵件",
    "phone": "phone telephone tel phonenumber 電話 市話 聯絡電話",
    "mobile": "mobile cell cellphone mobilephone 手機 行動電話",
    "description": "description notes note remarks 描述 說明 備註",
    "owner_email": "owner owneremail 負責人 負責業務",
    "tags": "tags tag labels 標籤",
    "address_line1": "address street address1 addressline1 地址",
    "address_line2": "address2 addressline2",
    "address_city": "city town 城市 縣市",
    "address_region": "region state province county 區域 省 州",
    "address_postal_code": "postalcode zip zipcode postcode 郵遞區號 郵遞區號",
    "address_country": "country 國家",
    "first_name": "firstname first givenname forename 名",
    "last_name": "lastname last surname familyname 姓",
    "title": "title jobtitle position 職稱 職位",
    "department": "department dept 部門",
    "is_primary": "primary isprimary primarycontact 主要聯絡人",
}
_EXTRA_SYNONYMS = {
    "contact": {"customer": "customer customername company account 客戶 公司 客戶名稱"},
    "lead": {
        "first_name": "firstname first givenname forename 名 名字",
        "last_name": "lastname last surname familyname name fullname 姓 姓氏 姓名",
        "company": "company companyname organisation organization account 公司 公司名稱 客戶名稱",
        "country": "country countrycode 國家 國別",
        "region": "region state province county 區域 地區 省 州",
        "city": "city town 城市 縣市",
        "employees": "employees staff headcount employeecount 員工數 員工人數 人數",
        "annual_revenue": "annualrevenue revenue turnover 年營收 營收 營業額",
        "source_detail": "source leadsource sourcedetail campaign 來源 名單來源 活動",
    },
}


class ImportFileError(ValueError):
    """An upload that cannot be read as a CSV; the message is shown to the user."""


@dataclasses.dataclass
class CsvFile:
    """A decoded CSV: its header, its data rows, and how it was read."""

    headers: list[str]
    rows: list[list[str]]
    encoding: str
    delimiter: str


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding) of an upload: UTF-8 first, then Big5 (cp950)."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(gettext("The file is neither UTF-8 nor Big5 text. Save it as CSV UTF-8."))


def sniff_delimiter(text: str) -> str:
    """The delimiter used by the header line: the most frequent of comma, semicolon, tab."""
    first_line = text.split("\n", 1)[0]
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse(data: bytes, encoding: str | None = None, delimiter: str | None = None) -> CsvFile:
    """Read an upload (as first detected, when `encoding`/`delimiter` are known)."""
    if encoding:
        text = data.decode(encoding)
    else:
        text, encoding = decode(data)
    delimiter = delimiter or sniff_delimiter(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ImportFileError(
            gettext("The file is not valid CSV: %(error)s", error=error)
        ) from None
    records = [row for row in records if any(cell.strip() for cell in row)]
    if not records:
        raise ImportFileError(gettext("The file is empty."))
    headers = [" ".join(cell.split()) for cell in records[0]]
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(gettext("Use at most %(max)d columns.", max=MAX_COLUMNS))
    width = len(headers)
    rows = [(row + [""] * width)[:width] for row in records[1:]]
    return CsvFile(headers, rows, encoding, delimiter)


def _key(header: str) -> str:
    return re.sub(r"[\W_]+", "", normalise(header))


def targets(entity_type: str) -> dict[str, object]:
    """Every field a column may go to: built-in fields, then active custom fields."""
    result = dict(TARGETS[entity_type])
    for field in custom_fields.fields_for(entity_type):
        result[CUSTOM_PREFIX + field.key] = custom_fields.field_label(field)
    return result


def guess(entity_type: str, headers: list[str]) -> dict[str, str]:
    """Column index (as a string) -> field, guessed from the headers; each field once."""
    lookup = {}
    for target, words in (_SYNONYMS | _EXTRA_SYNONYMS.get(entity_type, {})).items():
        if target in TARGETS[entity_type]:
            for word in words.split():
                lookup.setdefault(_key(word), target)
    for field in custom_fields.fields_for(entity_type):
        for word in (field.key, field.label, field.label_zh):
            if word:
                lookup.setdefault(_key(word), CUSTOM_PREFIX + field.key)
    mapping, taken = {}, set()
    for index, header in enumerate(headers):
        target = lookup.get(_key(header), IGNORE)
        if target in taken:
            target = IGNORE
        taken.add(target)
        mapping[str(index)] = target
    return mapping


def clean_mapping(entity_type: str, headers: list[str], wanted: dict) -> dict[str, str]:
    """A submitted mapping restricted to known fields, each used by one column at most."""
    allowed = targets(entity_type)
    mapping, taken = {}, set()
    for index in range(len(headers)):
        target = wanted.get(str(index)) or IGNORE
        if target not in allowed or target in taken:
            target = IGNORE
        if target:
            taken.add(target)
        mapping[str(index)] = target
    return mapping


def apply(mapping: dict[str, str], row: list[str]) -> dict[str, str]:
    """One data row as {field: trimmed text}, ignored columns left out."""
    return {
        target: row[int(index)].strip()
        for index, target in mapping.items()
        if target and int(index) < len(row)
    }
