"""The optional comment a customer adds on the survey's thank-you page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.services.surveys import COMMENT_LENGTH


class SurveyCommentForm(FlaskForm):
    comment = TextAreaField(
        _l("Anything you would like to tell us? (optional)"),
        validators=[
            DataRequired(_l("Write your comment, or simply close this page.")),
            Length(max=COMMENT_LENGTH),
        ],
        id="survey-comment",
    )
