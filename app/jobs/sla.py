"""The SLA sweep, every five minutes: record missed due times once, escalate them, and
warn assignees before a due time (the rules live in app.services.sla_breaches)."""

from __future__ import annotations

from app.jobs import background_job, finish
from app.services import sla


@background_job
def check_sla(*, actor=None) -> dict[str, int]:
    """Run one sweep; returns how many breaches were recorded and warnings sent."""
    counts = sla.check_breaches()
    finish(message=f"{counts['breaches']} breached, {counts['warnings']} warned")
    return counts
