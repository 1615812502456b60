"""The one way a view saves a record form through its service."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from app.extensions import db
from app.services.validation import RecordInvalid

Record = TypeVar("Record")


def save_valid_form(form, save: Callable[[], Record]) -> Record | None:
    """Run `save()` once `form` validates, and commit. When the service refuses the input,
    roll back and put its messages on the form (`form.show_errors`). Returns the saved
    record, or None when the form should be shown again with its errors."""
    if not form.validate_on_submit():
        return None
    try:
        record = save()
    except RecordInvalid as invalid:
        db.session.rollback()
        form.show_errors(invalid.errors)
        return None
    db.session.commit()
    return record
