"""Template helpers for the SLA fragments (app/templates/_macros/sla.html): how long until
a due time, and a ticket's recorded breaches. Registered on the app by the service
blueprint, so the ticket page and the queue rows can both use them."""

from __future__ import annotations

from datetime import datetime

from app.blueprints.service import bp
from app.models.base import utcnow
from app.services import sla


@bp.app_template_global("sla_seconds_left")
def seconds_left(due: datetime | None) -> int | None:
    """Seconds from now until `due` (negative once it has passed)."""
    if due is None:
        return None
    return int((due - utcnow()).total_seconds())


@bp.app_template_global("sla_breaches")
def breaches(ticket) -> dict:
    """{"FIRST_RESPONSE": SlaBreach, "RESOLUTION": ...} for the targets `ticket` missed."""
    return {target.value: breach for target, breach in sla.breaches_of(ticket).items()}
