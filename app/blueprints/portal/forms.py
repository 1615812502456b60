"""Forms of the portal: the quote page's accept (a typed name and a tick) and decline (a
name and, if the customer wants to say, why), sign-in and passwords, tickets and replies,
the language switch. CSRF-protected like every staff form."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    MultipleFileField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from app.services.accounts import MIN_PASSWORD_LENGTH


class AcceptForm(FlaskForm):
    name = StringField(
        _l("Your full name"),
        validators=[DataRequired(_l("Enter your full name.")), Length(max=200)],
        id="accept-name",
    )
    agree = BooleanField(
        _l("I accept this quote and its terms"),
        validators=[DataRequired(_l("Tick the box to accept the quote and its terms."))],
    )


class DeclineForm(FlaskForm):
    name = StringField(
        _l("Your full name"),
        validators=[DataRequired(_l("Enter your full name.")), Length(max=200)],
        id="decline-name",
    )
    reason = TextAreaField(
        _l("Why are you declining? (optional)"), validators=[Optional(), Length(max=500)]
    )


class SignInForm(FlaskForm):
    email = StringField(
        _l("Email"), validators=[DataRequired(_l("Enter your email.")), Length(max=254)]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])


class ForgotPasswordForm(FlaskForm):
    email = StringField(
        _l("Email"), validators=[DataRequired(_l("Enter your email.")), Email(), Length(max=254)]
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(_l("Write a message."))])
    files = MultipleFileField(_l("Attach files (optional)"))


class NewTicketForm(FlaskForm):
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(_l("Say in a few words what it is about.")), Length(max=300)],
    )
    description = TextAreaField(
        _l("Describe your question or problem"),
        validators=[DataRequired(_l("Describe your question or problem."))],
    )
    files = MultipleFileField(_l("Attach files (optional)"))


class LanguageForm(FlaskForm):
    locale = SelectField(_l("Language"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = list(current_app.config["LANGUAGES"].items())
