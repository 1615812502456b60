"""Forms of the knowledge-base pages. They shape the inputs; the rules (and their messages)
live in app.services.kb."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from app.services import kb


class _ShowsErrors(FlaskForm):
    def show_errors(self, errors: dict) -> None:
        for key, message in errors.items():
            field = self._fields.get(key)
            (field.errors if field is not None else self.form_errors).append(message)


class ArticleForm(_ShowsErrors):
    title = StringField(_l("Title"))
    body = TextAreaField(
        _l("Text"),
        render_kw={"rows": 16},
        description=_l("Plain text: leave an empty line between paragraphs."),
    )
    category_id = SelectField(_l("Category"), validate_choice=False)
    language = SelectField(
        _l("Language"),
        choices=lambda: [SelectChoice(code, label) for code, label in kb.LANGUAGES.items()],
        validate_choice=False,
    )
    visibility = SelectField(
        _l("Who may read it"),
        choices=lambda: [
            SelectChoice(value.value, label) for value, label in kb.VISIBILITY_LABELS.items()
        ],
        validate_choice=False,
    )
    is_faq = BooleanField(_l("Frequently asked question"))

    def set_category_choices(self) -> None:
        self.category_id.choices = [SelectChoice("", _l("No category"))] + [
            SelectChoice(str(c.id), c.name) for c in kb.categories()
        ]

    def values(self) -> dict:
        """The keyword arguments for create_article / update_article."""
        return {
            "title": self.title.data,
            "body": self.body.data,
            "category_id": self.category_id.data or None,
            "language": self.language.data,
            "visibility": self.visibility.data,
            "is_faq": self.is_faq.data,
        }


class CategoryForm(_ShowsErrors):
    name = StringField(_l("Name"))


class VoteForm(FlaskForm):
    helpful = HiddenField()
