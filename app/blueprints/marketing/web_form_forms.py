"""The web form designer's forms: the form's settings, its field rows (read from the post
as `fields-<n>-<attribute>`, added, removed and moved by the builder's buttons on the
server, no JavaScript of our own) and a variant's texts and weight. The rules live in
app.services.web_forms, web_form_fields and web_form_variants."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.models.marketing import FormStatus
from app.services import web_forms
from app.services.web_form_fields import MAX_FIELDS

_ROW = re.compile(r"^fields-(\d{1,3})-(key|label|label_zh|type|required|maps_to|choices)$")
ACTION = re.compile(r"^(add|remove|up|down)(?:-(\d{1,3}))?$")


def _optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


def _value(value):
    return getattr(value, "value", value)


class _ServiceErrors:
    def show_errors(self, errors: dict) -> None:
        """Put a service's messages on the fields they are about (the rest above the form)."""
        for key, message in errors.items():
            field = self._fields.get(key)
            if field is not None:
                field.errors = [*field.errors, message]
            elif not key.startswith("fields."):
                self.form_errors.append(message)

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class WebFormForm(_ServiceErrors, FlaskForm):
    name = StringField(_l("Name"))
    slug = StringField(_l("Address (slug)"))
    status = SelectField(_l("Status"), coerce=_value, validate_choice=False)
    campaign_id = SelectField(_l("Campaign"), coerce=_optional_int, validate_choice=False)
    consent_text = TextAreaField(_l("Consent text"))
    consent_text_zh = TextAreaField(_l("Consent text (Chinese)"))
    success_message = TextAreaField(_l("Thank-you message"))
    success_message_zh = TextAreaField(_l("Thank-you message (Chinese)"))
    redirect_url = StringField(_l("After submitting, go to"), render_kw={"type": "url"})

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(s.value, label) for s, label in web_forms.STATUS_LABELS.items()]
        self.campaign_id.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(row.id, row.name) for row in web_forms.campaign_choices(actor)
        ]
        if not self.is_submitted() and kwargs.get("obj") is None:
            self.status.data = FormStatus.DRAFT.value


class VariantForm(_ServiceErrors, FlaskForm):
    name = StringField(_l("Name"))
    weight = StringField(_l("Weight"), render_kw={"inputmode": "numeric"})
    is_active = BooleanField(_l("Active (shown to visitors)"))
    headline = StringField(_l("Headline"))
    headline_zh = StringField(_l("Headline (Chinese)"))
    intro = TextAreaField(_l("Introduction"))
    intro_zh = TextAreaField(_l("Introduction (Chinese)"))
    button_label = StringField(_l("Button label"))
    button_label_zh = StringField(_l("Button label (Chinese)"))


def fields_from(data) -> list[dict]:
    """The field rows of a post, in their order on the page."""
    rows: dict[int, dict] = {}
    for name in data:
        match = _ROW.match(name)
        if match:
            index, attribute = int(match.group(1)), match.group(2)
            rows.setdefault(index, {})[attribute] = data.get(name)
    result = []
    for index in sorted(rows)[: MAX_FIELDS + 1]:
        row = rows[index]
        result.append({
            "key": (row.get("key") or "").strip(),
            "label": row.get("label") or "",
            "label_zh": row.get("label_zh") or "",
            "type": row.get("type") or "text",
            "required": bool(row.get("required")),
            "maps_to": row.get("maps_to") or "",
            "choices": row.get("choices") or "",
        })  # fmt: skip
    return result


def apply_action(fields: list[dict], action: str) -> list[dict]:
    """The rows after a builder button: add a row, remove one, move one up or down."""
    match = ACTION.match(action or "")
    if not match:
        return fields
    verb, index = match.group(1), int(match.group(2) or 0)
    rows = list(fields)
    if verb == "add" and len(rows) < MAX_FIELDS:
        rows.append({"key": "", "label": "", "label_zh": "", "type": "text",
                     "required": False, "maps_to": "", "choices": ""})  # fmt: skip
    elif verb == "remove" and 0 <= index < len(rows):
        del rows[index]
    elif verb == "up" and 0 < index < len(rows):
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif verb == "down" and 0 <= index < len(rows) - 1:
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
    return rows


def choices_text(choices) -> str:
    """A select field's choices as the textarea shows them, one a line."""
    return choices if isinstance(choices, str) else "\n".join(choices or [])
