"""Custom fields in WTForms: one input per active field, named "cf_<key>", checked by
app.services.custom_fields so HTML forms, the API and imports apply the same rules.

    form = form_with_custom_fields(CustomerForm, "customer", record=customer)
    if form.validate_on_submit():
        custom_fields.apply_values(customer, form.custom_data)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from app.models.records import CustomField, FieldType
from app.services import custom_fields

PREFIX = "cf_"


def _input(field: CustomField):
    label = custom_fields.field_label(field)
    # The flag only marks the input (and the browser's check); the service has the say.
    validators = [InputRequired()] if field.required else []
    if field.field_type is FieldType.TEXT:
        return StringField(label, validators + [Length(max=custom_fields.MAX_TEXT_LENGTH)])
    if field.field_type is FieldType.NUMBER:
        return DecimalField(label, validators, places=None)
    if field.field_type is FieldType.DATE:
        return DateField(label, validators)
    if field.field_type is FieldType.CHOICE:
        options = [SelectChoice("", _l("(none)"))] + [SelectChoice(c, c) for c in field.choices]
        return SelectField(label, validators, choices=options, validate_choice=False)
    return BooleanField(label, validators)


def _initial(field: CustomField, value):
    """A stored value in the Python type its input expects."""
    if value is None:
        return False if field.field_type is FieldType.CHECKBOX else None
    try:
        if field.field_type is FieldType.NUMBER:
            return Decimal(str(value))
        if field.field_type is FieldType.DATE:
            return date.fromisoformat(str(value))
    except (InvalidOperation, ValueError):
        return None
    if field.field_type is FieldType.CHECKBOX:
        return bool(value)
    return value


def form_with_custom_fields(form_class, entity_type: str, record=None, **kwargs):
    """An instance of `form_class` extended with the custom fields of `entity_type`.

    `record` (when given) fills every input, the custom ones from `record.custom`; other
    keyword arguments (formdata, data, prefix, meta) go to the form as usual. After
    `validate()`, `form.custom_data` holds the values to pass to `apply_values`.
    """
    definitions = custom_fields.fields_for(entity_type)

    class CustomFieldsForm(form_class):
        custom_field_defs = definitions
        custom_data = None

        def validate(self, extra_validators=None):
            super().validate(extra_validators=extra_validators)
            clean, errors = custom_fields.validate_values(
                entity_type, custom_form_values(self), fields=definitions
            )
            # The service's specific messages replace WTForms' generic parse errors.
            for definition in definitions:
                message = errors.get(definition.key)
                self[PREFIX + definition.key].errors = [message] if message else []
            self.custom_data = clean
            return not self.errors

    for definition in definitions:
        setattr(CustomFieldsForm, PREFIX + definition.key, _input(definition))

    stored = (getattr(record, "custom", None) or {}) if record is not None else {}
    initial = {PREFIX + d.key: _initial(d, stored.get(d.key)) for d in definitions}
    kwargs["data"] = initial | (kwargs.get("data") or {})
    if record is not None:
        kwargs.setdefault("obj", record)
    return CustomFieldsForm(**kwargs)


def custom_form_values(form) -> dict:
    """The custom values as submitted (raw text where there is some), keyed by field key,
    ready for custom_fields.validate_values."""
    values = {}
    for definition in form.custom_field_defs:
        inp = form[PREFIX + definition.key]
        if definition.field_type is FieldType.CHECKBOX:
            values[definition.key] = bool(inp.data)
        elif inp.raw_data:
            values[definition.key] = inp.raw_data[0]
        else:
            values[definition.key] = inp.data
    return values
