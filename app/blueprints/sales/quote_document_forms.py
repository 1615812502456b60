"""The form that sends a quote by email; the rules live in app.services.quote_sending."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField


class SendQuoteForm(FlaskForm):
    to = StringField(_l("To"), render_kw={"type": "email", "autocomplete": "email"})
    message = TextAreaField(_l("Message"), render_kw={"rows": 8})
