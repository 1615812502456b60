"""Nightly ABC grading of customers (app.services.grading)."""

from flask import current_app

from app.jobs import background_job, finish
from app.services import grading


@background_job
def recompute_abc_classes(*, actor=None) -> dict[str, int]:
    """Regrade every customer with the configured thresholds (ABC_THRESHOLDS)."""
    thresholds = current_app.config.get("ABC_THRESHOLDS", grading.DEFAULT_THRESHOLDS)
    changed = grading.grade_abc(thresholds)
    finish(message=", ".join(f"{cls}: {n}" for cls, n in changed.items()))
    return changed
