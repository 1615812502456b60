"""The upload form and the column-mapping form (one select per CSV column)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from app.services import import_mapping

ENTITY_LABELS = {"customer": _l("Customers"), "contact": _l("Contacts"), "lead": _l("Leads")}
DUPLICATE_LABELS = {
    "skip": _l("Skip the row"),
    "update": _l("Update the existing record"),
    "create": _l("Create a new record anyway"),
}


class UploadForm(FlaskForm):
    entity_type = SelectField(
        _l("Import into"), choices=[SelectChoice(k, v) for k, v in ENTITY_LABELS.items()]
    )
    file = FileField(_l("CSV file (UTF-8 or Big5, at most 20 MB)"), validators=[FileRequired()])


def mapping_form(data_import, formdata=None):
    """A form with `col_<n>` for each column of the file, preset to the stored mapping."""
    choices = [SelectChoice("", _l("(ignore)"))] + [
        SelectChoice(key, str(label))
        for key, label in import_mapping.targets(data_import.entity_type).items()
    ]

    class MappingForm(FlaskForm):
        duplicates = RadioField(
            _l("When a row matches an existing record"),
            choices=[SelectChoice(k, v) for k, v in DUPLICATE_LABELS.items()],
            default=data_import.options.get("duplicates", "skip"),
        )

    for index, header in enumerate(data_import.options["headers"]):
        field = SelectField(
            header or _l("Column %(n)d", n=index + 1),
            choices=choices,
            default=data_import.mapping.get(str(index), ""),
            validate_choice=False,
        )
        setattr(MappingForm, f"col_{index}", field)
    form = MappingForm(formdata=formdata)
    form.columns = [form[f"col_{n}"] for n in range(len(data_import.options["headers"]))]
    return form


def wanted_mapping(form) -> dict[str, str]:
    return {str(n): field.data or "" for n, field in enumerate(form.columns)}
