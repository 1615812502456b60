"""The one error every record service raises for bad input: all field messages at once."""

from __future__ import annotations


class RecordInvalid(ValueError):
    """Input that breaks a rule; `errors` maps each field name to its message.

    Views show each message on its form field (status 200 re-render), the JSON API answers
    422 with `fields`, imports write them to the rejected-rows report.
    """

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class StaleRecord(Exception):
    """A change made from an out-of-date copy of a record (a board card dragged after a
    colleague moved the deal): refused, never silently applied over their change.

    `message` says who changed the record and when, when that is known; views answer 409
    and show the record as it is now.
    """

    def __init__(self, message: str, current_version: int | None = None):
        super().__init__(message)
        self.message = message
        self.current_version = current_version
