"""The fields of a web form: which types exist, which lead fields a field may fill
(`maps_to`), and the designer's checks of a field list. Shared by the designer
(app.services.web_forms) and the public side (app.services.form_submissions).

A field is stored as `{key, label, label_zh, type, required, maps_to, choices}`. `maps_to`
is a lead field from LEAD_FIELDS, `custom.<key>` for an active lead custom field, or ""
(the value is kept only in the submission's data).
"""

from __future__ import annotations

import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.services import custom_fields

FIELD_TYPES = {
    "text": _l("Text"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "textarea": _l("Long text"),
    "select": _l("Choice"),
    "checkbox": _l("Checkbox"),
    "country": _l("Country"),
}
# The lead fields a visitor may fill: never an owner, a team, a status or a source.
LEAD_FIELD_LABELS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "mobile": _l("Mobile"),
    "company": _l("Company"),
    "title": _l("Job title"),
    "website": _l("Website"),
    "industry": _l("Industry"),
    "employees": _l("Employees"),
    "country": _l("Country"),
    "region": _l("Region"),
    "city": _l("City"),
    "description": _l("Description"),
}
LEAD_FIELDS = tuple(LEAD_FIELD_LABELS)
# Names the landing page's own inputs use: a field may not take them.
RESERVED_KEYS = {
    "website_url", "consent", "variant", "page_url", "referrer", "vid", "lang", "embed",
    "campaign", "csrf_token", "utm_source", "utm_medium", "utm_campaign", "utm_term",
    "utm_content", "next",
}  # fmt: skip
MAX_FIELDS = 30
LABEL_LENGTH = 120
KEY_LENGTH = 40
MAX_CHOICES = 50
CHOICE_LENGTH = 100
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")

# A new form's fields: what a typical "contact us" page asks.
DEFAULT_FIELDS = [
    {"key": "first_name", "label": "First name", "label_zh": "名字", "type": "text",
     "required": False, "maps_to": "first_name", "choices": []},
    {"key": "last_name", "label": "Last name", "label_zh": "姓氏", "type": "text",
     "required": True, "maps_to": "last_name", "choices": []},
    {"key": "email", "label": "Email", "label_zh": "電子郵件", "type": "email",
     "required": True, "maps_to": "email", "choices": []},
    {"key": "company", "label": "Company", "label_zh": "公司", "type": "text",
     "required": False, "maps_to": "company", "choices": []},
]  # fmt: skip


def mapping_targets() -> set[str]:
    """Every allowed `maps_to` value right now ("" included)."""
    custom = {f"custom.{field.key}" for field in custom_fields.fields_for("lead")}
    return {"", *LEAD_FIELDS, *custom}


def _truthy(value) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "y", "yes", "on")


def _choices(raw) -> list[str]:
    if isinstance(raw, str):
        raw = raw.splitlines()
    seen: list[str] = []
    for choice in raw or []:
        text = " ".join(str(choice).split())
        if text and text not in seen:
            seen.append(text)
    return seen


def _key_for(raw: dict, maps_to: str, index: int) -> str:
    """The key to use when none was typed: the mapped field's, else field_<n>."""
    key = str(raw.get("key") or "").strip().lower()
    if key:
        return key
    if maps_to:
        return maps_to.removeprefix("custom.")[:KEY_LENGTH]
    return f"field_{index + 1}"


def _check_one(raw: dict, index: int, targets: set[str], errors: dict) -> dict:
    prefix = f"fields.{index}"
    maps_to = str(raw.get("maps_to") or "").strip()
    key = _key_for(raw, maps_to, index)
    field_type = str(raw.get("type") or "text").strip().lower()
    label = " ".join(str(raw.get("label") or "").split())
    label_zh = " ".join(str(raw.get("label_zh") or "").split())
    choices = _choices(raw.get("choices"))
    if len(key) > KEY_LENGTH or not _KEY.match(key):
        errors[f"{prefix}.key"] = gettext(
            "Start the key with a letter; use lower-case letters, digits and _ (at most %(max)d).",
            max=KEY_LENGTH,
        )
    elif key in RESERVED_KEYS:
        errors[f"{prefix}.key"] = gettext("The key “%(key)s” is used by the page itself.", key=key)
    if not label:
        errors[f"{prefix}.label"] = gettext("Give the field a label.")
    elif len(label) > LABEL_LENGTH or len(label_zh) > LABEL_LENGTH:
        errors[f"{prefix}.label"] = gettext("Use at most %(max)d characters.", max=LABEL_LENGTH)
    if field_type not in FIELD_TYPES:
        errors[f"{prefix}.type"] = gettext(
            "Choose one of: %(choices)s.", choices=", ".join(FIELD_TYPES)
        )
    if maps_to not in targets:
        errors[f"{prefix}.maps_to"] = gettext("Choose a lead field from the list.")
    elif maps_to == "email" and field_type != "email":
        errors[f"{prefix}.type"] = gettext(
            "A field filling the lead's email must be an email field."
        )
    elif field_type == "checkbox" and maps_to in LEAD_FIELDS:
        errors[f"{prefix}.maps_to"] = gettext(
            "A checkbox can only fill a custom field or stay in the submission."
        )
    if field_type == "select":
        if not choices:
            errors[f"{prefix}.choices"] = gettext("List the choices, one a line.")
        elif len(choices) > MAX_CHOICES or any(len(c) > CHOICE_LENGTH for c in choices):
            errors[f"{prefix}.choices"] = gettext(
                "Use at most %(count)d choices of at most %(max)d characters.",
                count=MAX_CHOICES,
                max=CHOICE_LENGTH,
            )
    return {
        "key": key,
        "label": label,
        "label_zh": label_zh,
        "type": field_type,
        # A lead cannot exist without a last name: that field is always required.
        "required": _truthy(raw.get("required")) or maps_to == "last_name",
        "maps_to": maps_to,
        "choices": choices if field_type == "select" else [],
    }


def check_fields(raw_fields) -> tuple[list[dict], dict[str, str]]:
    """The cleaned field list and {error key: message}; keys are `fields` (the list as a
    whole) or `fields.<index>.<attribute>`."""
    errors: dict[str, str] = {}
    if not isinstance(raw_fields, list | tuple) or not all(isinstance(f, dict) for f in raw_fields):
        return [], {"fields": gettext("Send the fields as a list of objects.")}
    if len(raw_fields) > MAX_FIELDS:
        return [], {"fields": gettext("Use at most %(max)d fields.", max=MAX_FIELDS)}
    targets = mapping_targets()
    clean = [_check_one(raw, n, targets, errors) for n, raw in enumerate(raw_fields)]
    seen_keys: set[str] = set()
    seen_targets: set[str] = set()
    for n, field in enumerate(clean):
        if field["key"] in seen_keys and f"fields.{n}.key" not in errors:
            errors[f"fields.{n}.key"] = gettext("Another field already uses this key.")
        if field["maps_to"] and field["maps_to"] in seen_targets:
            errors.setdefault(
                f"fields.{n}.maps_to", gettext("Another field already fills this lead field.")
            )
        seen_keys.add(field["key"])
        seen_targets.add(field["maps_to"])
    missing = []
    if "last_name" not in seen_targets:
        missing.append(gettext("Add a field that fills the lead's last name."))
    if not {"email", "phone"} & seen_targets:
        missing.append(gettext("Add a field that fills the lead's email or phone."))
    if missing:
        errors["fields"] = " ".join(missing)
    return clean, errors
