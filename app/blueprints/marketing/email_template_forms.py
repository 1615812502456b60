"""The email template form: the name, then the sender name, subject, HTML body and text
body in English and in Traditional Chinese. The rules and messages live in
app.services.email_templates, whose RecordInvalid errors `show_errors` puts back on the
fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField


class EmailTemplateForm(FlaskForm):
    name = StringField(_l("Name"))
    sender_name = StringField(_l("Sender name"))
    subject = StringField(_l("Subject"))
    html_body = TextAreaField(_l("HTML body"), render_kw={"rows": 14, "spellcheck": "false"})
    text_body = TextAreaField(_l("Plain-text body"), render_kw={"rows": 8})
    sender_name_zh = StringField(_l("Sender name"))
    subject_zh = StringField(_l("Subject"))
    html_body_zh = TextAreaField(_l("HTML body"), render_kw={"rows": 14, "spellcheck": "false"})
    text_body_zh = TextAreaField(_l("Plain-text body"), render_kw={"rows": 8})

    def show_errors(self, errors: dict) -> None:
        """Put a service's messages on the fields they are about (the rest above the form)."""
        for key, message in errors.items():
            field = self._fields.get(key)
            (field.errors if field is not None else self.form_errors).append(message)

    def values(self) -> dict:
        """The keyword arguments for create_template / update_template."""
        return {
            name: field.data or "" for name, field in self._fields.items() if name != "csrf_token"
        }
