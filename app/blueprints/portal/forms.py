"""Forms of the portal's quote page: accept (a typed name and a tick) or decline (a name
and, if the customer wants to say, why). CSRF-protected like every staff form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


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
